// BED3 / BED6 / narrowPeak regions and the fixed-width windows scored around them.
// All coordinates are 0-based, half-open [start, end), as in BED.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace seqlift {

class Genome;

struct BedRecord {
  std::string chrom;
  int64_t start = 0;
  int64_t end = 0;
  std::string name;     ///< column 4, empty when absent or "."
  char strand = '.';    ///< column 6: '+', '-' or '.'
  int64_t summit = -1;  ///< narrowPeak column 10 (offset from start), -1 when absent
  long line = 0;        ///< 1-based line number in the file
};

/// Streams records from a BED/narrowPeak file (plain or gzip). Header lines
/// (track, browser, #) and blank lines are skipped; CRLF is accepted. Malformed
/// lines throw ParseError naming the file, line and bad value. Not thread-safe.
class BedReader {
 public:
  explicit BedReader(const std::string& path);
  ~BedReader();
  BedReader(const BedReader&) = delete;
  BedReader& operator=(const BedReader&) = delete;
  bool next(BedRecord& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  long line_no_ = 0;
};

/// Parses a samtools-style region "chr1:101-200" (1-based, inclusive: the BED record
/// chr1 100 200; commas in numbers are accepted; "chr1:101" is one base) into a record
/// named as written. Throws UsageError naming the string.
BedRecord parse_region_string(const std::string& text);

enum class EdgeMode { kPad, kSkip };

struct WindowOptions {
  int64_t width = 0;  ///< 0: use each region as it is; else a window of this width
  EdgeMode edge = EdgeMode::kPad;
};

/// One region to score.
struct Window {
  std::string chrom;
  int64_t start = 0;  ///< may be < 0 or past the chromosome end when padded with N
  int64_t end = 0;
  char strand = '+';  ///< '-' means: score the reverse complement
  std::string name;   ///< BED name, else "chrom:start-end"
};

/// The window for `rec`: centred on the summit (narrowPeak) or midpoint when
/// options.width > 0. Returns nullopt when the window runs off the chromosome and
/// options.edge == kSkip. Throws ParseError (file, line) when the chromosome is not in
/// the genome.
std::optional<Window> make_window(const BedRecord& rec, const Genome& genome,
                                  const WindowOptions& options, const std::string& bed_path);

/// Sequence of a window in scoring orientation (reverse-complemented for '-').
std::string window_sequence(const Window& window, const Genome& genome);

}  // namespace seqlift
