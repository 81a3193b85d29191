#include "references/gc_genome.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <random>

#include "references/shuffle.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/log.hpp"
#include "seqlift/regions.hpp"

namespace seqlift {
namespace {

constexpr double kBinWidth = 0.02;
constexpr int kBins = 51;  // 0.00-0.02, ..., 1.00
constexpr double kMaxN = 0.10;
constexpr int64_t kMaxCandidates = 200000;

int gc_bin(double gc) {
  return std::min(kBins - 1, static_cast<int>(gc / kBinWidth));
}

struct Interval {
  int64_t start, end;
};

// Sorted, merged intervals per chromosome.
using IntervalMap = std::map<std::string, std::vector<Interval>>;

void add_bed(IntervalMap& map, const std::string& path) {
  BedReader reader(path);
  BedRecord rec;
  while (reader.next(rec)) map[rec.chrom].push_back({rec.start, rec.end});
}

bool overlaps(const IntervalMap& map, const std::string& chrom, int64_t start, int64_t end) {
  auto it = map.find(chrom);
  if (it == map.end()) return false;
  const auto& v = it->second;
  auto pos = std::upper_bound(v.begin(), v.end(), start,
                              [](int64_t s, const Interval& iv) { return s < iv.end; });
  return pos != v.end() && pos->start < end;
}

struct Candidate {
  int32_t chrom;
  int64_t start;
};

class GcGenome final : public ReferenceSource {
 public:
  explicit GcGenome(const ReferenceOptions& o) : o_(o), genome_(o.genome) {
    if (o.length <= 0) throw UsageError("gc-genome references need the window length");
    // Only --exclude shapes the candidates: the other scored regions must not, or a region
    // would get different references alone than in a batch. A region's own window is
    // kept out when its references are drawn (sequences()).
    IntervalMap excluded;
    if (!o.exclude.empty()) add_bed(excluded, o.exclude);
    for (auto& [chrom, v] : excluded) {
      std::sort(v.begin(), v.end(),
                [](const Interval& a, const Interval& b) { return a.start < b.start; });
      std::vector<Interval> merged;
      for (const auto& iv : v) {
        if (!merged.empty() && iv.start <= merged.back().end)
          merged.back().end = std::max(merged.back().end, iv.end);
        else
          merged.push_back(iv);
      }
      v.swap(merged);
    }
    // Candidate windows on a regular grid (step chosen so the genome gives at most
    // kMaxCandidates windows), binned by GC.
    int64_t total = 0;
    for (const auto& c : genome_.chromosomes()) total += genome_.length(c);
    const int64_t step = std::max<int64_t>(o.length / 4, total / kMaxCandidates + 1);
    bins_.resize(kBins);
    const auto& chroms = genome_.chromosomes();
    for (std::size_t ci = 0; ci < chroms.size(); ++ci) {
      const int64_t len = genome_.length(chroms[ci]);
      if (len < o.length) continue;
      const std::string seq = genome_.fetch(chroms[ci], 0, len);
      for (int64_t s = 0; s + o.length <= len; s += step) {
        if (overlaps(excluded, chroms[ci], s, s + o.length)) continue;
        const std::string_view w(seq.data() + s, o.length);
        const auto n = std::count(w.begin(), w.end(), 'N');
        if (n > kMaxN * o.length) continue;
        bins_[gc_bin(gc_fraction(w))].push_back({static_cast<int32_t>(ci), s});
      }
    }
    std::size_t count = 0;
    for (const auto& b : bins_) count += b.size();
    if (count == 0)
      throw InputError(o.genome + ": no window of " + std::to_string(o.length) +
                       " bp is free of the excluded regions and N");
    log_info("gc-genome references: " + std::to_string(count) + " candidate windows of " +
             std::to_string(o.length) + " bp (step " + std::to_string(step) + ")");
  }

  int64_t count() const override { return o_.count; }

  std::vector<std::string> sequences(const Region& region) const override {
    if (static_cast<int64_t>(region.sequence.size()) != o_.length)
      throw InputError("region '" + region.name + "' has length " +
                       std::to_string(region.sequence.size()) + "; gc-genome windows have length " +
                       std::to_string(o_.length));
    // The region's bin, widened to neighbours until it holds K windows.
    const int bin = gc_bin(gc_fraction(region.sequence));
    std::vector<const Candidate*> pool;
    int32_t own_chrom = -1;  // the region's own window never serves as its reference
    int64_t own_start = 0, own_end = 0;
    if (region.window) {
      const auto& names = genome_.chromosomes();
      const auto it = std::find(names.begin(), names.end(), region.window->chrom);
      own_chrom = it == names.end() ? -1 : static_cast<int32_t>(it - names.begin());
      own_start = region.window->start;
      own_end = region.window->end;
    }
    for (int radius = 0; radius < kBins && static_cast<int64_t>(pool.size()) < o_.count; ++radius) {
      for (int b : {bin - radius, bin + radius}) {
        if (b < 0 || b >= kBins || (radius == 0 && b != bin)) continue;
        if (radius > 0 && b == bin) continue;
        for (const auto& c : bins_[b])
          if (c.chrom != own_chrom || c.start >= own_end || c.start + o_.length <= own_start)
            pool.push_back(&c);
      }
    }
    if (pool.empty())
      throw InputError(o_.genome + ": no gc-genome window is free of region '" + region.name + "'");
    std::mt19937 rng(reference_seed(o_.seed, region.name, 0));
    std::vector<std::string> out;
    for (int64_t k = 0; k < o_.count;
         ++k) {  // partial Fisher-Yates: distinct windows while they last
      const std::size_t left = pool.size() - static_cast<std::size_t>(k) % pool.size();
      const std::size_t base = static_cast<std::size_t>(k) % pool.size();
      std::size_t pick = base + std::uniform_int_distribution<std::size_t>(0, left - 1)(rng);
      std::swap(pool[base], pool[pick]);
      const Candidate& c = *pool[base];
      std::lock_guard<std::mutex> lock(mutex_);
      out.push_back(genome_.fetch(genome_.chromosomes()[c.chrom], c.start, c.start + o_.length));
    }
    return out;
  }

  std::string describe() const override {
    return std::to_string(o_.count) + " GC-matched genome windows from " + o_.genome;
  }

 private:
  ReferenceOptions o_;
  Genome genome_;
  std::vector<std::vector<Candidate>> bins_;
  mutable std::mutex mutex_;
};

}  // namespace

std::unique_ptr<ReferenceSource> make_gc_genome_references(const ReferenceOptions& options) {
  if (options.genome.empty()) throw UsageError("--references gc-genome needs --genome");
  return std::make_unique<GcGenome>(options);
}

}  // namespace seqlift
