// Internal: per-base tracks in genome coordinates from per-window values.
// Windows are 0-based half-open [start, end) and may overlap or run off a chromosome.
// Where windows overlap, a base takes its value from the window whose centre is
// nearest (chrombpnet's midpoint rule; ties go to the window that starts first, then to the lower
// `order`). Values are spooled to a temporary file, so memory does not grow with the number of
// windows. Not thread-safe.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace seqlift {

class TrackAssembler {
 public:
  /// chrom_sizes: every chromosome a window may name, in output (file) order.
  explicit TrackAssembler(std::vector<std::pair<std::string, int64_t>> chrom_sizes);
  ~TrackAssembler();
  TrackAssembler(const TrackAssembler&) = delete;
  TrackAssembler& operator=(const TrackAssembler&) = delete;

  /// values[end - start], in + strand order. `order` ranks windows that start at the same
  /// base (default: the order of add() calls); give the region's input index so that
  /// shards merged in any order tie-break like one unsharded run.
  void add(const std::string& chrom, int64_t start, int64_t end, const float* values,
           std::optional<uint64_t> order = std::nullopt);

  /// Calls emit(chrom, start, values, n) for consecutive runs of covered bases, sorted
  /// by chromosome (input order) and position; values[i] is the value at start + i.
  void assemble(
      const std::function<void(const std::string&, int64_t, const float*, int64_t)>& emit);

  const std::vector<std::pair<std::string, int64_t>>& chrom_sizes() const { return chroms_; }

 private:
  struct Entry {
    int32_t chrom;
    int64_t start, end;
    uint64_t offset;  ///< in the spool file, floats
    uint64_t order;   ///< tie-break among windows starting at the same base
  };
  class MergedEntries;
  void spill_run();

  std::vector<std::pair<std::string, int64_t>> chroms_;
  std::map<std::string, int32_t> chrom_index_;
  // Window index, kept memory-flat: at most kRunEntries in memory; full buffers are
  // sorted and spilled as runs to index_spool_, merged when assembling.
  static constexpr std::size_t kRunEntries = 16384;
  std::vector<Entry> buffer_;
  std::vector<std::pair<uint64_t, uint64_t>> runs_;  ///< (first entry, count) in index_spool_
  std::FILE* spool_ = nullptr;
  std::FILE* index_spool_ = nullptr;
  uint64_t spooled_ = 0, indexed_ = 0, added_ = 0;
};

/// Writes a bigWig (libBigWig, zoom levels) of the assembled track; atomic rename.
void write_bigwig(const std::string& path, TrackAssembler& track);
/// Writes the assembled track as bedGraph text, one line per base; atomic rename ("-":
/// stdout). A non-empty `header` (one line, e.g. provenance JSON) is written first as a
/// '#' comment, which bedtools, pandas (comment='#') and genome browsers skip.
void write_bedgraph(const std::string& path, TrackAssembler& track, const std::string& header = "");

}  // namespace seqlift
