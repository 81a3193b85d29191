// One stream of regions to score, from a FASTA file or from a genome plus BED regions.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "seqlift/regions.hpp"

namespace seqlift {

struct SequenceSourceOptions {
  std::string fasta;    ///< either this ...
  std::string genome;   ///< ... or this with `regions`
  std::string regions;  ///< BED / narrowPeak
  WindowOptions window;
};

struct Region {
  std::string name;
  std::string sequence;         ///< in scoring orientation (reverse-complemented for '-')
  std::optional<Window> window; ///< genome coordinates when read from BED
  std::size_t index = 0;        ///< 0-based position in the input (skipped records counted)
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

/// Number of regions the source would yield (FASTA records, or BED windows that are not
/// skipped), without fetching sequences.
int64_t count_regions(const SequenceSourceOptions& options);

}  // namespace seqlift
