// Reference sequences for DeepLIFT-SHAP: K per region, generated deterministically from
// (seed, region name, k) so results do not depend on threads, chunking or on whether a
// region is scored alone or inside a larger file.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seqlift/sequences.hpp"

namespace seqlift {

class Genome;

struct ReferenceOptions {
  /// dinuc | dinuc-uniform | gc | gc-genome | flat:A,C,G,T | path to a FASTA file
  std::string kind = "dinuc";
  int64_t count = 20;  ///< K (ignored for flat and FASTA files, which define their own)
  uint64_t seed = 0;
  std::string genome;   ///< gc-genome: genome FASTA to draw windows from
  std::string exclude;  ///< gc-genome: optional BED of regions windows must avoid
  int64_t length = 0;   ///< gc-genome: window length (the model's input length)
};

/// What ReferenceOptions::kind names. Parsed in this one place; every subcommand asks it.
enum class ReferenceKind { kDinuc, kDinucUniform, kGc, kGcGenome, kFlat, kFasta };

/// The built-in names, "flat:..." and otherwise a FASTA path (an existing file, or any
/// name containing a '.'); throws UsageError for anything else.
ReferenceKind parse_reference_kind(const std::string& kind);

/// The options a run uses for input sequences of `length` bp: gc-genome draws
/// `length`-bp windows from `input_genome` unless options.genome names another genome.
/// Other kinds are returned unchanged. Throws UsageError for an unknown kind.
ReferenceOptions references_for_input(ReferenceOptions options, const std::string& input_genome,
                                      int64_t length);

/// Produces references for each region. make() is thread-safe unless ordered() is true,
/// in which case it must be called once per region, in input order, from one thread.
class ReferenceSource {
 public:
  virtual ~ReferenceSource() = default;
  /// K, the number of references per region.
  virtual int64_t count() const = 0;
  virtual bool ordered() const { return false; }
  /// References of `region` as sequences (scoring orientation); empty for flat.
  virtual std::vector<std::string> sequences(const Region& region) const = 0;
  /// References one-hot encoded: out[K, 4, L] with L = region.sequence.size().
  virtual void make(const Region& region, float* out) const;
  virtual std::string describe() const = 0;
};

/// A generated kind (not kFasta: see make_fasta_references). Throws UsageError for an
/// unknown kind or a FASTA path, InputError for unreadable files.
std::unique_ptr<ReferenceSource> make_reference_source(const ReferenceOptions& options);

/// References read from a FASTA file holding `per_region` consecutive records per input
/// region, in input order (ordered() is true).
std::unique_ptr<ReferenceSource> make_fasta_references(const std::string& path, int64_t per_region);

/// Parses a --seed value: decimal 0..2^64-1; anything else (negative, out of range, not a
/// number) is a UsageError rather than a silently saturated seed.
uint64_t parse_seed(const std::string& text);

/// Number of records in a FASTA file (a full parse, so malformed files are reported).
int64_t count_fasta_records(const std::string& path);

/// GC-matched random sequence: A=T=(1-gc)/2, C=G=gc/2 at each ACGT position, N kept.
std::string gc_matched_sequence(const std::string& seq, uint32_t seed);

}  // namespace seqlift
