// `seqlift variants`: effects of VCF alleles on a model's outputs (and, optionally, on
// DeepLIFT contributions), in the conventions of chrombpnet's variant scorer.
//
// Coordinates: Variant::pos is 0-based (VCF POS - 1), the first base of REF.
// Allele windows: L = model input length, both alleles start at index L/2 of their
// window (kundajelab/variant-scorer's VariantGenerator): the window holds genome
// [pos - L/2, pos), then the allele, then the genome right after REF, cut to L bases.
// So the REF window is exactly genome [pos - L/2, pos - L/2 + L); a deletion pulls in
// more right flank, an insertion pushes the right flank out. Off-chromosome bases are N.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "seqlift/deeplift.hpp"
#include "seqlift/model.hpp"
#include "seqlift/references.hpp"

namespace seqlift {

class Genome;

/// One ALT allele of a VCF record (multi-allelic records are split into one per ALT).
struct Variant {
  std::string chrom;
  int64_t pos = 0;   ///< 0-based position of REF's first base
  std::string id;    ///< VCF ID, or chrom:POS:REF:ALT (1-based POS) when it is '.'
  std::string ref, alt;
  int allele = 1;      ///< 1-based index of this ALT in the record
  int64_t record = 0;  ///< 1-based record number in the VCF
};

/// The window of one allele (see the header comment). `allele` replaces
/// ref.size() bases at pos; the result always has `length` bases.
std::string allele_window(const Genome& genome, const Variant& v, const std::string& allele,
                          int64_t length);

/// A model output ("head") and how its alt - ref effect is summarised.
/// Rule: an output with >= kProfileMinSize values (a length axis, or a flattened
/// [N, T] profile) is a profile head (Jensen-Shannon distance of softmax(logits));
/// smaller outputs are scalar heads (alt - ref per value), "counts" heads when the
/// name contains "count" (their output is log counts, so alt - ref is a log fold
/// change). --counts-heads / --profile-heads override by output name.
struct Head {
  std::string name;     ///< graph/Keras output name
  int64_t offset = 0;   ///< first value in the flattened per-sample outputs
  int64_t size = 0;     ///< values
  bool profile = false;
  bool counts = false;  ///< scalar head holding log counts
};
constexpr int64_t kProfileMinSize = 16;
/// Throws UsageError for an override naming no output, or a profile head of size < 2.
std::vector<Head> classify_heads(const Model& model, const std::vector<std::string>& counts_heads,
                                 const std::vector<std::string>& profile_heads);
/// Column-safe head name ([A-Za-z0-9_.], other characters become '_').
std::string head_label(const std::string& name);

/// Jensen-Shannon distance between softmax(a) and softmax(b) over n logits, natural log
/// (scipy.spatial.distance.jensenshannon's default, which chrombpnet's scorer calls):
/// sqrt((KL(p||m) + KL(q||m)) / 2), m = (p + q) / 2; in [0, sqrt(ln 2)].
double jensen_shannon_distance(const float* a, const float* b, int64_t n);

struct VariantOptions {
  std::string model, weights, genome, vcf;
  std::string output = "-";  ///< TSV, one row per variant allele
  std::string vcf_out;       ///< bgzipped VCF with INFO fields, indexed (.tbi)
  std::string npz;           ///< DeepLIFT contributions of both alleles
  bool contributions = false;  ///< contrib_ref/contrib_alt TSV columns (implied by npz)
  bool revcomp_average = false;
  std::vector<std::string> counts_heads, profile_heads;
  /// DeepLIFT target: "" = first scalar head's first value, else score's syntax
  /// ("0", "profile:OUTPUT").
  std::string target;
  Rule rule = Rule::kRescale;
  ReferenceOptions references;  ///< generated from the REF window, shared by both alleles
  int threads = 1;
  int64_t chunk = 128;  ///< VCF records per batch
};

struct VariantSummary {
  int64_t records = 0, alleles = 0, scored = 0, ref_mismatch = 0, skipped = 0;
  double worst_delta_error = 0;
};

/// Runs the whole job; outputs are written under temporary names and renamed at the end.
/// REF mismatches and unusable alleles (symbolic, unknown chromosome) are reported per
/// record on stderr and get a status other than "ok" with NA values; they are not fatal.
VariantSummary run_variants(const VariantOptions& options);

}  // namespace seqlift
