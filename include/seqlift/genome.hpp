// Random access to a genome FASTA through HTSlib faidx.
// Coordinates are 0-based, half-open [start, end). Not thread-safe: use one Genome per
// thread, or serialise fetch() calls.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace seqlift {

class Genome {
 public:
  /// Opens `path` (plain or bgzipped). Builds the .fai (and .gzi) index when it is
  /// missing; throws IoError naming the index when that is not possible.
  explicit Genome(const std::string& path);
  ~Genome();
  Genome(const Genome&) = delete;
  Genome& operator=(const Genome&) = delete;

  const std::string& path() const { return path_; }
  bool has(const std::string& chrom) const;
  /// Length of `chrom`; throws InputError if it is not in the index.
  int64_t length(const std::string& chrom) const;
  /// Chromosome names in index (file) order.
  const std::vector<std::string>& chromosomes() const { return names_; }

  /// Sequence of [start, end), upper-case, non-ACGT as N. Positions outside the
  /// chromosome (start < 0 or end > length) are returned as N.
  std::string fetch(const std::string& chrom, int64_t start, int64_t end) const;

 private:
  std::string path_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, int64_t> lengths_;
};

}  // namespace seqlift
