#include "seqlift/extra_inputs.hpp"

#include <bigWig.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>

#include "seqlift/error.hpp"
#include "seqlift/npy.hpp"

namespace seqlift {
namespace {

std::once_flag g_bw_read_init;
std::mutex g_bw_mutex;  // libBigWig file handles are not thread-safe

struct BigWig {
  bigWigFile_t* fp = nullptr;
  std::string path;
  explicit BigWig(const std::string& p) : path(p) {
    std::call_once(g_bw_read_init, [] { bwInit(1 << 17); });
    fp = bwOpen(const_cast<char*>(p.c_str()), nullptr, const_cast<char*>("r"));
    if (!fp) throw IoError(p + ": cannot open as a bigWig file");
  }
  ~BigWig() {
    if (fp) bwClose(fp);
  }
  // |value| at bases [start, end) of chrom; outside the chromosome or no data: 0.
  std::vector<double> read(const std::string& chrom, int64_t start, int64_t end) const {
    std::vector<double> out(static_cast<std::size_t>(end - start), 0.0);
    const int64_t lo = std::max<int64_t>(start, 0);
    uint32_t tid = bwGetTid(fp, chrom.c_str());
    if (tid == static_cast<uint32_t>(-1)) return out;  // chromosome absent: no signal
    const int64_t hi = std::min<int64_t>(end, fp->cl->len[tid]);
    if (lo >= hi) return out;
    bwOverlappingIntervals_t* iv =
        bwGetValues(fp, const_cast<char*>(chrom.c_str()), static_cast<uint32_t>(lo),
                    static_cast<uint32_t>(hi), 1);
    if (!iv) throw IoError(path + ": cannot read " + chrom + ":" + std::to_string(lo));
    for (uint32_t i = 0; i < iv->l; ++i) {
      const float v = iv->value[i];
      if (std::isfinite(v)) out[static_cast<std::size_t>(lo - start + i)] = std::fabs(v);
    }
    bwDestroyOverlappingIntervals(iv);
    return out;
  }
};

}  // namespace

struct ExtraInputs::Input {
  enum class Kind { kConstant, kNpy, kBigWig } kind = Kind::kConstant;
  std::string name, spec;
  Shape shape;
  double constant = 0;
  NpyArray npy;
  bool npy_per_region = false;
  std::unique_ptr<BigWig> plus, minus;
  int64_t strand_axis = -1;  // profile: axis of size 2; -1 for a count input
  int64_t profile_length = 0;
};

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (true) {
    const auto p = s.find(sep, at);
    out.push_back(s.substr(at, p == std::string::npos ? std::string::npos : p - at));
    if (p == std::string::npos) return out;
    at = p + 1;
  }
}

}  // namespace

ExtraInputs::ExtraInputs(const Model& model, const std::vector<std::string>& specs) {
  std::map<std::string, std::string> given;
  for (const auto& s : specs) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
      throw UsageError("--extra-input '" + s + "' is not NAME=VALUE");
    if (!given.emplace(s.substr(0, eq), s.substr(eq + 1)).second)
      throw UsageError("--extra-input " + s.substr(0, eq) + " given twice");
  }
  std::string missing;
  for (int v : model.extra_inputs()) {
    const auto& info = model.values()[v];
    auto in = std::make_unique<Input>();
    in->name = info.name;
    in->shape = info.shape;
    size_ += numel(info.shape);
    auto it = given.find(info.name);
    if (it == given.end()) {
      missing +=
          (missing.empty() ? "" : ", ") + info.name + " [N, " + shape_string(info.shape).substr(1);
      inputs_.push_back(std::move(in));
      continue;
    }
    in->spec = it->second;
    given.erase(it);
    const std::string& val = in->spec;
    char* end = nullptr;
    const double c = std::strtod(val.c_str(), &end);
    if (val == "zeros") {
      in->constant = 0;
    } else if (end && *end == 0 && std::isfinite(c)) {
      in->constant = c;
    } else if (val.rfind("bigwig:", 0) == 0) {
      const auto files = split(val.substr(7), ',');
      if (files.size() != 2 || files[0].empty() || files[1].empty())
        throw UsageError("--extra-input " + in->name + "=" + val +
                         ": give bigwig:PLUS.bw,MINUS.bw");
      in->kind = Input::Kind::kBigWig;
      const Shape& s = in->shape;
      if (s.size() == 2 && (s[0] == 2 || s[1] == 2)) {
        in->strand_axis = s[1] == 2 ? 1 : 0;
        in->profile_length = s[1 - in->strand_axis];
      } else if (!(s.size() == 1 && (s[0] == 1 || s[0] == 2))) {
        throw UsageError("--extra-input " + in->name + ": bigWig tracks fill a profile [P, 2] / " +
                         "[2, P] or a count [1] / [2] input, not " + shape_string(s));
      }
      in->plus = std::make_unique<BigWig>(files[0]);
      in->minus = std::make_unique<BigWig>(files[1]);
    } else if (val.size() > 4 && val.compare(val.size() - 4, 4, ".npy") == 0) {
      in->kind = Input::Kind::kNpy;
      in->npy = read_npy(val);
      const auto& d = in->npy.shape;
      const Shape tail(d.begin() + (d.empty() ? 0 : 1), d.end());
      if (tail == in->shape && !d.empty()) {
        in->npy_per_region = true;
      } else if (d != in->shape) {
        throw InputError(val + ": array of shape " + shape_string(d) + " fits neither [N, " +
                         shape_string(in->shape).substr(1) + " nor " + shape_string(in->shape) +
                         " for input '" + in->name + "'");
      }
    } else {
      throw UsageError("--extra-input " + in->name + "=" + val +
                       ": VALUE must be zeros, a number, FILE.npy or bigwig:PLUS.bw,MINUS.bw");
    }
    inputs_.push_back(std::move(in));
  }
  if (!missing.empty())
    throw UsageError(
        "the model has inputs besides the sequence; supply each with --extra-input "
        "NAME=zeros|NUMBER|FILE.npy|bigwig:PLUS.bw,MINUS.bw: missing " +
        missing);
  if (!given.empty()) {
    std::string names;
    for (int v : model.extra_inputs()) names += " " + model.values()[v].name;
    throw UsageError(
        "--extra-input " + given.begin()->first + ": the model has no such input" +
        (names.empty() ? " (it reads only the sequence)" : " (extra inputs:" + names + ")"));
  }
  // Count inputs from bigWigs sum over the profile input's window when there is one.
  int64_t profile = 0;
  for (const auto& in : inputs_)
    if (in->kind == Input::Kind::kBigWig && in->strand_axis >= 0) profile = in->profile_length;
  for (auto& in : inputs_)
    if (in->kind == Input::Kind::kBigWig && in->strand_axis < 0) in->profile_length = profile;
}

ExtraInputs::~ExtraInputs() = default;

std::string ExtraInputs::describe() const {
  std::string s;
  for (const auto& in : inputs_)
    s += (s.empty() ? "" : "; ") + in->name + " " + shape_string(in->shape) + " = " + in->spec;
  return s;
}

void ExtraInputs::fill(const Region& region, float* out) const {
  for (const auto& in : inputs_) {
    const int64_t n = numel(in->shape);
    switch (in->kind) {
      case Input::Kind::kConstant:
        std::fill(out, out + n, static_cast<float>(in->constant));
        break;
      case Input::Kind::kNpy: {
        int64_t row = 0;
        if (in->npy_per_region) {
          row = static_cast<int64_t>(region.index);
          if (row >= in->npy.shape[0])
            throw InputError(in->spec + ": " + std::to_string(in->npy.shape[0]) +
                             " rows, but region '" + region.name + "' is number " +
                             std::to_string(row + 1) + " of the input");
        }
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(in->npy.values[row * n + i]);
        break;
      }
      case Input::Kind::kBigWig: {
        if (!region.window)
          throw UsageError("--extra-input " + in->name +
                           "=bigwig:...: needs genome coordinates (--genome with --regions), "
                           "region '" +
                           region.name + "' has none");
        const Window& w = *region.window;
        const int64_t width = w.end - w.start;
        if (in->profile_length > width)
          throw InputError("region '" + region.name + "' is " + std::to_string(width) +
                           " bp, shorter than input '" + in->name + "' (" +
                           std::to_string(in->profile_length) + " positions)");
        const int64_t p = in->profile_length > 0 ? in->profile_length : width;
        const int64_t start = w.start + (width - p) / 2;
        std::vector<double> plus, minus;
        {
          std::lock_guard<std::mutex> lock(g_bw_mutex);
          plus = in->plus->read(w.chrom, start, start + p);
          minus = in->minus->read(w.chrom, start, start + p);
        }
        if (w.strand == '-') {  // the sequence is reverse-complemented: so are the tracks
          std::reverse(plus.begin(), plus.end());
          std::reverse(minus.begin(), minus.end());
          std::swap(plus, minus);
        }
        if (in->strand_axis < 0) {
          double sp = 0, sm = 0;
          for (double v : plus) sp += v;
          for (double v : minus) sm += v;
          if (n == 1) {
            out[0] = static_cast<float>(std::log1p(sp + sm));
          } else {
            out[0] = static_cast<float>(std::log1p(sp));
            out[1] = static_cast<float>(std::log1p(sm));
          }
        } else {
          for (int64_t i = 0; i < p; ++i)
            for (int s = 0; s < 2; ++s) {
              const double v = (s == 0 ? plus : minus)[i];
              out[in->strand_axis == 1 ? i * 2 + s : s * p + i] = static_cast<float>(v);
            }
        }
        break;
      }
    }
    out += n;
  }
}

}  // namespace seqlift
