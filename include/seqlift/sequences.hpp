// One stream of regions to score, from a FASTA file or from a genome plus BED regions.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "seqlift/regions.hpp"

namespace seqlift {

struct SequenceSourceOptions {
  std::string fasta;    ///< either this ...
  std::string genome;   ///< ... or this with `regions`
  std::string regions;  ///< BED / narrowPeak
  /// Regions given on the command line (--region), used instead of `regions`.
  std::vector<BedRecord> region_list;
  /// Keep only regions on these chromosomes (empty: all); applied before sharding.
  std::vector<std::string> chroms;
  WindowOptions window;
  int64_t shard_index = 0;  ///< keep regions with index % shard_count == shard_index
  int64_t shard_count = 1;
};

struct Region {
  std::string name;
  std::string sequence;          ///< in scoring orientation (reverse-complemented for '-')
  std::optional<Window> window;  ///< genome coordinates when read from BED
  std::size_t index = 0;         ///< 0-based position in the input (skipped records counted)
};

/// Streams regions in input order. Not thread-safe.
class SequenceSource {
 public:
  explicit SequenceSource(const SequenceSourceOptions& options);
  ~SequenceSource();
  bool next(Region& region);
  /// Logs per-file notices (ambiguity codes read as N). Call at the end.
  void report() const;
  const Genome* genome() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct RegionCount {
  int64_t regions = 0;
  std::size_t max_name_length = 1;
  std::size_t max_chrom_length = 1;  ///< chromosome (or record) names
};
/// What the source would yield (FASTA records, or BED windows that are not skipped, in
/// this shard), without fetching sequences.
RegionCount count_regions(const SequenceSourceOptions& options);

/// Parses "I/N" (0 <= I < N) into options.shard_*; throws UsageError.
void parse_shard(const std::string& spec, SequenceSourceOptions& options);

}  // namespace seqlift
