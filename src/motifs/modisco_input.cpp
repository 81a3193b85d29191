// Inputs of `seqlift modisco`: seqlift score --npz shards, or an ohe/hyp arr_0 pair.
#include <algorithm>

#include "seqlift/error.hpp"
#include "seqlift/modisco.hpp"
#include "seqlift/npy.hpp"

namespace seqlift {
namespace {

// Appends rows given as [rows][4][L] (channel-major, as numpy stores them) to a
// [rows][L][4] track.
void append_transposed(const std::vector<float>& rows, int64_t count, int64_t length,
                       std::vector<float>& out) {
  const std::size_t base = out.size();
  out.resize(base + count * length * 4);
  for (int64_t r = 0; r < count; ++r)
    for (int ch = 0; ch < 4; ++ch)
      for (int64_t j = 0; j < length; ++j)
        out[base + (r * length + j) * 4 + ch] = rows[(r * 4 + ch) * length + j];
}

// A [N, 4, L] array from an .npy or from member `member` of an .npz (first member when
// absent), read in blocks of rows.
void read_n4l(const std::string& path, const std::string& member, std::vector<float>& out,
              int64_t& n, int64_t& length) {
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".npy") == 0) {
    const NpyArray a = read_npy(path);
    if (a.shape.size() != 3 || a.shape[1] != 4)
      throw InputError(path + ": expected an array [N, 4, L]");
    n = a.shape[0];
    length = a.shape[2];
    std::vector<float> rows(a.values.begin(), a.values.end());
    append_transposed(rows, n, length, out);
    return;
  }
  NpzReader z(path);
  const std::string name = z.has(member) ? member : "arr_0";
  const auto& s = z.shape(name);
  if (s.size() != 3 || s[1] != 4)
    throw InputError(path + ": member '" + name + "' is not [N, 4, L]");
  n = s[0];
  length = s[2];
  for (int64_t i = 0; i < n; i += 256) {
    const int64_t c = std::min<int64_t>(256, n - i);
    append_transposed(z.read_rows(name, i, c), c, length, out);
  }
}

}  // namespace

ModiscoTracks read_modisco_npz(const std::vector<std::string>& paths, int64_t target) {
  if (paths.empty()) throw UsageError("modisco needs at least one --npz");
  ModiscoTracks t;
  for (const auto& path : paths) {
    NpzReader z(path);
    for (const char* m : {"ohe", "hyp"})
      if (!z.has(m))
        throw InputError(path + ": no '" + std::string(m) +
                         "' array (is it a seqlift score --npz?)");
    const auto& hs = z.shape("hyp");
    const auto& os = z.shape("ohe");
    if (hs.size() != 4 || hs[2] != 4) throw InputError(path + ": 'hyp' is not [N, T, 4, L]");
    if (os.size() != 3 || os[0] != hs[0] || os[1] != 4 || os[2] != hs[3])
      throw InputError(path + ": 'ohe' is not [N, 4, L] matching 'hyp'");
    const int64_t n = hs[0], targets = hs[1], length = hs[3];
    if (target < 0 || target >= targets)
      throw UsageError("--target " + std::to_string(target) + " but " + path + " holds " +
                       std::to_string(targets) + " target(s)");
    if (t.length != 0 && length != t.length)
      throw InputError(path + ": windows of " + std::to_string(length) + " bp, but " +
                       paths.front() + " has " + std::to_string(t.length));
    t.length = length;
    for (int64_t i = 0; i < n; i += 256) {
      const int64_t c = std::min<int64_t>(256, n - i);
      append_transposed(z.read_rows("ohe", i, c), c, length, t.one_hot);
      const auto all = z.read_rows("hyp", i, c);
      std::vector<float> rows(c * 4 * length);
      for (int64_t r = 0; r < c; ++r)
        std::copy_n(all.begin() + (r * targets + target) * 4 * length, 4 * length,
                    rows.begin() + r * 4 * length);
      append_transposed(rows, c, length, t.hypothetical);
    }
    std::vector<std::string> names =
        z.has("names") ? z.read_strings("names") : std::vector<std::string>(n);
    std::vector<std::string> chroms =
        z.has("coords_chrom") ? z.read_strings("coords_chrom") : names;
    std::vector<double> starts =
        z.has("coords_start") ? z.read_all("coords_start") : std::vector<double>(n, 0.0);
    for (int64_t i = 0; i < n; ++i) {
      t.names.push_back(names[i]);
      t.chroms.push_back(chroms[i]);
      t.starts.push_back(static_cast<int64_t>(starts[i]));
    }
    t.n += n;
  }
  return t;
}

ModiscoTracks read_modisco_pair(const std::string& ohe_path, const std::string& hyp_path) {
  ModiscoTracks t;
  int64_t n2 = 0, l2 = 0;
  read_n4l(ohe_path, "arr_0", t.one_hot, t.n, t.length);
  read_n4l(hyp_path, "arr_0", t.hypothetical, n2, l2);
  if (n2 != t.n || l2 != t.length)
    throw InputError(hyp_path + ": shape [" + std::to_string(n2) + ", 4, " + std::to_string(l2) +
                     "] differs from " + ohe_path + " [" + std::to_string(t.n) + ", 4, " +
                     std::to_string(t.length) + "]");
  for (int64_t i = 0; i < t.n; ++i) {
    t.names.push_back("example" + std::to_string(i));
    t.chroms.push_back(t.names.back());
    t.starts.push_back(0);
  }
  return t;
}

}  // namespace seqlift
