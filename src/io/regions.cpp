#include "seqlift/regions.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "io/line_reader.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/log.hpp"

namespace seqlift {

struct BedReader::Impl {
  explicit Impl(const std::string& path) : lines(path) {}
  LineReader lines;
};

BedReader::BedReader(const std::string& path) : path_(path), impl_(new Impl(path)) {}

BedReader::~BedReader() = default;

static std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  const char* seps = line.find('\t') != std::string::npos ? "\t" : " ";
  std::size_t pos = 0;
  for (;;) {
    std::size_t next = line.find_first_of(seps, pos);
    fields.push_back(line.substr(pos, next - pos));
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  return fields;
}

static int64_t parse_int(const std::string& text, const std::string& path, long line,
                         const char* column) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    throw ParseError(path, line, std::string(column) + " is not an integer: '" + text + "'");
  return v;
}

bool BedReader::next(BedRecord& rec) {
  std::string line;
  for (;;) {
    if (!impl_->lines.next(line)) return false;
    line_no_ = impl_->lines.line_number();
    if (line.empty() || line[0] == '#' || line.rfind("track", 0) == 0 ||
        line.rfind("browser", 0) == 0)
      continue;
    break;
  }
  const std::vector<std::string> f = split_fields(line);
  if (f.size() < 3)
    throw ParseError(
        path_, line_no_,
        "expected at least 3 columns (chrom start end), found " + std::to_string(f.size()));
  rec = BedRecord{};
  rec.line = line_no_;
  rec.chrom = f[0];
  if (rec.chrom.empty()) throw ParseError(path_, line_no_, "empty chromosome name");
  rec.start = parse_int(f[1], path_, line_no_, "start");
  rec.end = parse_int(f[2], path_, line_no_, "end");
  if (rec.start < 0)
    throw ParseError(path_, line_no_, "start " + std::to_string(rec.start) + " is negative");
  if (rec.end < rec.start)
    throw ParseError(path_, line_no_,
                     "end " + std::to_string(rec.end) + " < start " + std::to_string(rec.start));
  if (f.size() > 3 && f[3] != ".") rec.name = f[3];
  if (f.size() > 5) {
    if (f[5] != "+" && f[5] != "-" && f[5] != ".")
      throw ParseError(path_, line_no_, "strand must be '+', '-' or '.', found '" + f[5] + "'");
    rec.strand = f[5][0];
  }
  if (f.size() >= 10) {
    rec.summit = parse_int(f[9], path_, line_no_, "summit (column 10)");
    if (rec.summit < -1) throw ParseError(path_, line_no_, "summit " + f[9] + " is negative");
    if (rec.summit >= rec.end - rec.start)
      throw ParseError(path_, line_no_,
                       "summit " + f[9] + " is past the region end (length " +
                           std::to_string(rec.end - rec.start) + ")");
  }
  return true;
}

std::optional<Window> make_window(const BedRecord& rec, const Genome& genome,
                                  const WindowOptions& options, const std::string& bed_path) {
  if (!genome.has(rec.chrom))
    throw ParseError(bed_path, rec.line,
                     "chromosome '" + rec.chrom + "' is not in the genome " + genome.path());
  const int64_t chrom_len = genome.length(rec.chrom);
  Window w;
  w.chrom = rec.chrom;
  w.strand = rec.strand == '-' ? '-' : '+';
  if (options.width > 0) {
    const int64_t centre = rec.summit >= 0 ? rec.start + rec.summit : (rec.start + rec.end) / 2;
    w.start = centre - options.width / 2;
    w.end = w.start + options.width;
  } else {
    if (rec.end == rec.start)
      throw ParseError(bed_path, rec.line, "region has length 0 (use --width to score a window)");
    w.start = rec.start;
    w.end = rec.end;
  }
  // A region that does not touch its chromosome at all is not an edge case but a BED
  // from another assembly: scoring it would give an all-N window.
  if (rec.start >= chrom_len || w.start >= chrom_len || w.end <= 0)
    throw ParseError(bed_path, rec.line,
                     "region " + rec.chrom + ":" + std::to_string(rec.start) + "-" +
                         std::to_string(rec.end) + " (window " + std::to_string(w.start) + "-" +
                         std::to_string(w.end) + ") lies wholly past the end of " + rec.chrom +
                         " (length " + std::to_string(chrom_len) + " in " + genome.path() +
                         "); is the BED from another assembly?");
  if (w.start < 0 || w.end > chrom_len) {
    if (options.edge == EdgeMode::kSkip) {
      log_warn(bed_path + " line " + std::to_string(rec.line) + ": window " + rec.chrom + ":" +
               std::to_string(w.start) + "-" + std::to_string(w.end) +
               " runs off the chromosome (length " + std::to_string(chrom_len) + "); skipped");
      return std::nullopt;
    }
  }
  w.name = !rec.name.empty()
               ? rec.name
               : rec.chrom + ":" + std::to_string(w.start) + "-" + std::to_string(w.end);
  return w;
}

std::string window_sequence(const Window& window, const Genome& genome) {
  std::string seq = genome.fetch(window.chrom, window.start, window.end);
  return window.strand == '-' ? reverse_complement(seq) : seq;
}

BedRecord parse_region_string(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return UsageError("--region '" + text + "': " + why +
                      " (expected CHROM:START-END, 1-based inclusive as in samtools)");
  };
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) throw bad("no ':'");
  auto number = [&](std::string s) -> int64_t {
    s.erase(std::remove(s.begin(), s.end(), ','), s.end());
    if (s.empty() || s.size() > 15 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
      throw bad("'" + s + "' is not a position");
    return std::stoll(s);
  };
  const std::string span = text.substr(colon + 1);
  const auto dash = span.find('-');
  const int64_t first = number(span.substr(0, dash));
  const int64_t last = dash == std::string::npos ? first : number(span.substr(dash + 1));
  if (first < 1) throw bad("positions start at 1");
  if (last < first) throw bad("end before start");
  BedRecord rec;
  rec.chrom = text.substr(0, colon);
  rec.start = first - 1;
  rec.end = last;
  rec.name = text;
  return rec;
}

}  // namespace seqlift
