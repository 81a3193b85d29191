#include "seqlift/references.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <random>
#include <sstream>

#include "references/gc_genome.hpp"
#include "references/shuffle.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/log.hpp"

namespace seqlift {

void ReferenceSource::make(const Region& region, float* out) const {
  const auto seqs = sequences(region);
  const std::size_t n = kAlphabetSize * region.sequence.size();
  for (std::size_t k = 0; k < seqs.size(); ++k) one_hot(seqs[k], out + k * n);
}

std::string gc_matched_sequence(const std::string& seq, uint32_t seed) {
  std::mt19937 rng(seed);
  const double gc = gc_fraction(seq);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::string out(seq.size(), 'N');
  for (std::size_t j = 0; j < seq.size(); ++j) {
    if (base_index(seq[j]) < 0) continue;
    const double p = u(rng);
    out[j] = p < (1 - gc) / 2 ? 'A' : p < 0.5 ? 'C' : p < 0.5 + gc / 2 ? 'G' : 'T';
  }
  return out;
}

namespace {

class DinucShuffles final : public ReferenceSource {
 public:
  DinucShuffles(int64_t k, uint64_t seed, bool uniform) : k_(k), seed_(seed), uniform_(uniform) {}
  int64_t count() const override { return k_; }
  std::vector<std::string> sequences(const Region& region) const override {
    std::vector<std::string> out;
    bool unchanged = true;
    for (int64_t k = 0; k < k_; ++k) {
      std::mt19937 rng(reference_seed(seed_, region.name, k));
      out.push_back(uniform_ ? dinuc_shuffle_uniform(region.sequence, rng)
                             : dinuc_shuffle(region.sequence, 1, rng)[0]);
      unchanged = unchanged && out.back() == region.sequence;
    }
    if (unchanged && region.sequence.size() > 2)
      log_info(region.name +
               ": has a single dinucleotide-preserving order; its shuffles equal it (zero "
               "contributions)");
    return out;
  }
  std::string describe() const override {
    return std::to_string(k_) + (uniform_ ? " uniform" : "") + " dinucleotide shuffles (seed " +
           std::to_string(seed_) + ")";
  }

 private:
  int64_t k_;
  uint64_t seed_;
  bool uniform_;
};

class GcMatched final : public ReferenceSource {
 public:
  GcMatched(int64_t k, uint64_t seed) : k_(k), seed_(seed) {}
  int64_t count() const override { return k_; }
  std::vector<std::string> sequences(const Region& region) const override {
    std::vector<std::string> out;
    for (int64_t k = 0; k < k_; ++k)
      out.push_back(gc_matched_sequence(region.sequence, reference_seed(seed_, region.name, k)));
    return out;
  }
  std::string describe() const override {
    return std::to_string(k_) + " GC-matched random sequences";
  }

 private:
  int64_t k_;
  uint64_t seed_;
};

class Flat final : public ReferenceSource {
 public:
  explicit Flat(const std::string& spec) {
    std::stringstream ss(spec);
    std::string item;
    int c = 0;
    double sum = 0;
    while (std::getline(ss, item, ',')) {
      char* end = nullptr;
      const double v = std::strtod(item.c_str(), &end);
      if (c >= 4 || item.empty() || *end || v < 0)
        throw UsageError(
            "--references flat:A,C,G,T needs four non-negative numbers (got 'flat:" + spec + "')");
      p_[c++] = static_cast<float>(v);
      sum += v;
    }
    if (c != 4)
      throw UsageError("--references flat:A,C,G,T needs four numbers (got 'flat:" + spec + "')");
    if (sum > 1.0 + 1e-6)
      log_warn("flat reference frequencies sum to " + std::to_string(sum) + " (> 1)");
  }
  int64_t count() const override { return 1; }
  std::vector<std::string> sequences(const Region&) const override { return {}; }
  void make(const Region& region, float* out) const override {
    const std::size_t len = region.sequence.size();
    for (int c = 0; c < 4; ++c)
      for (std::size_t j = 0; j < len; ++j) out[c * len + j] = p_[c];
  }
  std::string describe() const override {
    return "flat reference " + std::to_string(p_[0]) + "," + std::to_string(p_[1]) + "," +
           std::to_string(p_[2]) + "," + std::to_string(p_[3]);
  }

 private:
  float p_[4] = {0, 0, 0, 0};
};

// K consecutive records per input region, read in lockstep with the input.
class FastaReferences final : public ReferenceSource {
 public:
  FastaReferences(const std::string& path, int64_t k) : path_(path), reader_(path), k_(k) {}
  int64_t count() const override { return k_; }
  bool ordered() const override { return true; }
  std::vector<std::string> sequences(const Region& region) const override {
    std::vector<std::string> out;
    FastaRecord rec;
    for (int64_t k = 0; k < k_; ++k) {
      if (!reader_.next(rec))
        throw InputError(path_ + ": ran out of references at region '" + region.name +
                         "' (expected " + std::to_string(k_) +
                         " records per input record, in input order)");
      if (rec.sequence.size() != region.sequence.size())
        throw InputError(path_ + ": reference '" + rec.name + "' has length " +
                         std::to_string(rec.sequence.size()) + " but region '" + region.name +
                         "' has length " + std::to_string(region.sequence.size()));
      check_name(rec.name, region, k);
      out.push_back(std::move(rec.sequence));
    }
    return out;
  }
  /// Records named NAME_refK (what `seqlift shuffle` writes) must belong to this region,
  /// in order; other names are taken by position.
  void check_name(const std::string& rec_name, const Region& region, int64_t k) const {
    const auto at = rec_name.rfind("_ref");
    if (at == std::string::npos || at + 4 >= rec_name.size()) return;
    const std::string digits = rec_name.substr(at + 4);
    if (digits.find_first_not_of("0123456789") != std::string::npos) return;
    if (rec_name.compare(0, at, region.name) != 0 || at != region.name.size() ||
        digits != std::to_string(k))
      throw InputError(path_ + ": reference record '" + rec_name + "' is not '" + region.name +
                       "_ref" + std::to_string(k) + "' (reference " + std::to_string(k) +
                       " of input region '" + region.name +
                       "'): references must follow the input's order");
  }
  std::string describe() const override {
    return std::to_string(k_) + " references per region from " + path_;
  }

 private:
  std::string path_;
  mutable FastaReader reader_;
  int64_t k_;
};

}  // namespace

ReferenceKind parse_reference_kind(const std::string& kind) {
  if (kind == "dinuc") return ReferenceKind::kDinuc;
  if (kind == "dinuc-uniform") return ReferenceKind::kDinucUniform;
  if (kind == "gc") return ReferenceKind::kGc;
  if (kind == "gc-genome") return ReferenceKind::kGcGenome;
  if (kind.rfind("flat:", 0) == 0) return ReferenceKind::kFlat;
  if (access(kind.c_str(), F_OK) == 0 || kind.find('.') != std::string::npos)
    return ReferenceKind::kFasta;
  throw UsageError(
      "--references must be dinuc, dinuc-uniform, gc, gc-genome, flat:A,C,G,T or a FASTA file (got "
      "'" +
      kind + "')");
}

ReferenceOptions references_for_input(ReferenceOptions o, const std::string& input_genome,
                                      int64_t length) {
  if (parse_reference_kind(o.kind) != ReferenceKind::kGcGenome) return o;
  if (o.genome.empty()) o.genome = input_genome;
  o.length = length;
  return o;
}

std::unique_ptr<ReferenceSource> make_reference_source(const ReferenceOptions& o) {
  if (o.count <= 0) throw UsageError("--n-refs must be positive");
  switch (parse_reference_kind(o.kind)) {
    case ReferenceKind::kDinuc:
      return std::make_unique<DinucShuffles>(o.count, o.seed, false);
    case ReferenceKind::kDinucUniform:
      return std::make_unique<DinucShuffles>(o.count, o.seed, true);
    case ReferenceKind::kGc:
      return std::make_unique<GcMatched>(o.count, o.seed);
    case ReferenceKind::kGcGenome:
      return make_gc_genome_references(o);
    case ReferenceKind::kFlat:
      return std::make_unique<Flat>(o.kind.substr(5));
    case ReferenceKind::kFasta:
      break;
  }
  throw UsageError("--references " + o.kind +
                   ": a FASTA file of references is read only by score (K records per region)");
}

std::unique_ptr<ReferenceSource> make_fasta_references(const std::string& path,
                                                       int64_t per_region) {
  return std::make_unique<FastaReferences>(path, per_region);
}

}  // namespace seqlift

namespace seqlift {

uint64_t parse_seed(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end || errno == ERANGE || text.find('-') != std::string::npos ||
      !std::isdigit(static_cast<unsigned char>(text[0])))
    throw UsageError("--seed must be an integer 0.." + std::to_string(UINT64_MAX) + " (got '" +
                     text + "')");
  return v;
}

int64_t count_fasta_records(const std::string& path) {
  FastaReader reader(path);
  FastaRecord rec;
  int64_t n = 0;
  while (reader.next(rec)) ++n;
  return n;
}

}  // namespace seqlift
