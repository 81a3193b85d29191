#include "pipeline/sinks.hpp"

#include <algorithm>

#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/output.hpp"
#include "seqlift/track.hpp"

namespace seqlift {
namespace {

// Coordinates reported for a region: its window, or (record name, 0, length) for FASTA.
void region_coords(const Region& r, std::string& chrom, int64_t& start, int64_t& end,
                   char& strand) {
  if (r.window) {
    chrom = r.window->chrom;
    start = r.window->start;
    end = r.window->end;
    strand = r.window->strand;
  } else {
    chrom = r.name;
    start = 0;
    end = static_cast<int64_t>(r.sequence.size());
    strand = '+';
  }
}

class NpzSink final : public ScoreSink {
 public:
  NpzSink(const std::string& path, const SinkShape& s) : w_(path), s_(s) {
    const int64_t N = s.regions, L = s.length, T = s.targets, K = s.refs;
    ohe_ = w_.declare("ohe", "<f4", {N, 4, L});
    hyp_ = w_.declare("hyp", "<f4", {N, T, 4, L});
    proj_ = w_.declare("proj", "<f4", {N, T, 4, L});
    delta_ = w_.declare("delta", "<f4", {N, T, K});
    pred_ = w_.declare("pred", "<f4", {N, T});
    names_ = w_.declare("names", "<U" + std::to_string(s.max_name), {N});
    targets_ = w_.declare("targets", "<i8", {T});
    chrom_ = w_.declare("coords_chrom", "<U" + std::to_string(s.max_chrom), {N});
    start_ = w_.declare("coords_start", "<i8", {N});
    end_ = w_.declare("coords_end", "<i8", {N});
    w_.append(targets_, s.target_ids.data(), s.target_ids.size() * 8);
  }
  void add(const ScoredRegion& r) override {
    w_.append(ohe_, r.ohe.data(), r.ohe.size() * 4);
    w_.append(hyp_, r.e.hypothetical.data(), r.e.hypothetical.size() * 4);
    w_.append(proj_, r.e.projected.data(), r.e.projected.size() * 4);
    std::vector<float> d(r.e.delta_error.begin(), r.e.delta_error.end());
    w_.append(delta_, d.data(), d.size() * 4);
    w_.append(pred_, r.e.prediction.data(), r.e.prediction.size() * 4);
    std::string chrom;
    int64_t start, end;
    char strand;
    region_coords(r.region, chrom, start, end, strand);
    w_.append_strings(names_, {r.region.name});
    w_.append_strings(chrom_, {chrom});
    w_.append(start_, &start, 8);
    w_.append(end_, &end, 8);
  }
  void finish() override { w_.commit(); }

 private:
  NpzWriter w_;
  SinkShape s_;
  int ohe_, hyp_, proj_, delta_, pred_, names_, targets_, chrom_, start_, end_;
};

class TrackSink final : public ScoreSink {
 public:
  TrackSink(const std::string& bigwig, const std::string& bedgraph, const Genome& genome,
            int64_t target)
      : bigwig_(bigwig), bedgraph_(bedgraph), target_(target), track_([&] {
          std::vector<std::pair<std::string, int64_t>> sizes;
          for (const auto& c : genome.chromosomes()) sizes.emplace_back(c, genome.length(c));
          return sizes;
        }()) {}
  void add(const ScoredRegion& r) override {
    if (!r.region.window)
      throw UsageError("--bigwig/--bedgraph need genome input (--genome with --regions)");
    if (!r.finite) return;  // reported by the caller; never written into a track
    const int64_t L = static_cast<int64_t>(r.ohe.size() / 4);
    values_.assign(L, 0.0f);
    const float* p = r.e.projected.data() + target_ * 4 * L;
    for (int c = 0; c < 4; ++c)
      for (int64_t j = 0; j < L; ++j) values_[j] += p[c * L + j];
    track_.add(r.region.window->chrom, r.region.window->start, r.region.window->end,
               values_.data());
  }
  void finish() override {
    if (!bigwig_.empty()) write_bigwig(bigwig_, track_);
    if (!bedgraph_.empty()) write_bedgraph(bedgraph_, track_);
  }

 private:
  std::string bigwig_, bedgraph_;
  int64_t target_;
  TrackAssembler track_;
  std::vector<float> values_;
};

class ModiscoSink final : public ScoreSink {
 public:
  ModiscoSink(const std::string& prefix, const SinkShape& s)
      : ohe_(prefix + ".ohe.npz"), bed_(prefix + ".regions.bed") {
    ohe_id_ = ohe_.declare("arr_0", "<f4", {s.regions, 4, s.length});
    for (int64_t t = 0; t < s.targets; ++t) {
      const std::string name = s.targets == 1
                                   ? prefix + ".hyp.npz"
                                   : prefix + ".t" + std::to_string(s.target_ids[t]) + ".hyp.npz";
      hyp_.push_back(std::make_unique<NpzWriter>(name));
      hyp_.back()->declare("arr_0", "<f4", {s.regions, 4, s.length});
    }
  }
  void add(const ScoredRegion& r) override {
    ohe_.append(ohe_id_, r.ohe.data(), r.ohe.size() * 4);
    const std::size_t n = r.ohe.size();
    for (std::size_t t = 0; t < hyp_.size(); ++t)
      hyp_[t]->append(0, r.e.hypothetical.data() + t * n, n * 4);
    std::string chrom;
    int64_t start, end;
    char strand;
    region_coords(r.region, chrom, start, end, strand);
    std::fprintf(bed_.get(), "%s\t%lld\t%lld\t%s\t0\t%c\n", chrom.c_str(), (long long)start,
                 (long long)end, r.region.name.c_str(), strand);
  }
  void finish() override {
    ohe_.commit();
    for (auto& h : hyp_) h->commit();
    bed_.commit();
  }

 private:
  NpzWriter ohe_;
  int ohe_id_;
  std::vector<std::unique_ptr<NpzWriter>> hyp_;
  OutputFile bed_;
};

class RegionsTsvSink final : public ScoreSink {
 public:
  RegionsTsvSink(const std::string& path, const SinkShape& s) : out_(path), s_(s) {
    std::fprintf(out_.get(), "name\tchrom\tstart\tend\tstrand\tgc");
    for (auto t : s.target_ids) std::fprintf(out_.get(), "\tpred_%lld", (long long)t);
    std::fprintf(out_.get(), "\tmax_delta_error\n");
  }
  void add(const ScoredRegion& r) override {
    std::string chrom;
    int64_t start, end;
    char strand;
    region_coords(r.region, chrom, start, end, strand);
    std::fprintf(out_.get(), "%s\t%s\t%lld\t%lld\t%c\t%.4f", r.region.name.c_str(), chrom.c_str(),
                 (long long)start, (long long)end, strand, gc_fraction(r.region.sequence));
    for (float p : r.e.prediction) std::fprintf(out_.get(), "\t%.7g", p);
    double worst = 0;
    for (double d : r.e.delta_error) worst = std::max(worst, d);
    std::fprintf(out_.get(), "\t%.3g\n", worst);
  }
  void finish() override { out_.commit(); }

 private:
  OutputFile out_;
  SinkShape s_;
};

}  // namespace

std::unique_ptr<ScoreSink> make_npz_sink(const std::string& path, const SinkShape& shape) {
  return std::make_unique<NpzSink>(path, shape);
}
std::unique_ptr<ScoreSink> make_track_sink(const std::string& bigwig, const std::string& bedgraph,
                                           const Genome& genome, int64_t track_target) {
  return std::make_unique<TrackSink>(bigwig, bedgraph, genome, track_target);
}
std::unique_ptr<ScoreSink> make_modisco_sink(const std::string& prefix, const SinkShape& shape) {
  return std::make_unique<ModiscoSink>(prefix, shape);
}
std::unique_ptr<ScoreSink> make_regions_tsv_sink(const std::string& path, const SinkShape& shape) {
  return std::make_unique<RegionsTsvSink>(path, shape);
}

}  // namespace seqlift
