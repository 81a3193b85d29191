#include "pipeline/sinks.hpp"

#include <algorithm>
#include <cmath>

#include "io/hdf5_file.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/output.hpp"
#include "seqlift/targets.hpp"
#include "writers/track.hpp"

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
  NpzSink(const std::string& path, const SinkShape& s) : path_(path), w_(path), s_(s) {
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
    std::size_t longest = 1;
    for (const auto& n : s.target_names) longest = std::max(longest, n.size());
    const int names = w_.declare("target_names", "<U" + std::to_string(longest), {T});
    const int prov = w_.declare(
        "provenance", "<U" + std::to_string(std::max<std::size_t>(1, s.provenance.size())), {});
    index_ = w_.declare("index", "<i8", {N});  // input position: merge's tie-break
    w_.append(targets_, s.target_ids.data(), s.target_ids.size() * 8);
    w_.append_strings(names, s.target_names);
    w_.append_strings(prov, {s.provenance});
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
    const int64_t index = static_cast<int64_t>(r.region.index);
    w_.append(index_, &index, 8);
  }
  void finish() override { w_.commit(); }
  std::vector<std::string> paths() const override { return {path_}; }

 private:
  std::string path_;
  NpzWriter w_;
  SinkShape s_;
  int ohe_, hyp_, proj_, delta_, pred_, names_, targets_, chrom_, start_, end_, index_;
};

class TrackSink final : public ScoreSink {
 public:
  TrackSink(const std::string& bigwig, const std::string& bedgraph, const Genome& genome,
            int64_t target, const std::string& provenance)
      : bigwig_(bigwig), bedgraph_(bedgraph), provenance_(provenance), target_(target), track_([&] {
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
    track_.add(r.region.window->chrom, r.region.window->start, r.region.window->end, values_.data(),
               r.region.index);
  }
  void finish() override {
    if (!bigwig_.empty()) write_bigwig(bigwig_, track_);
    if (!bedgraph_.empty()) write_bedgraph(bedgraph_, track_, provenance_);
  }
  std::vector<std::string> paths() const override {
    std::vector<std::string> p;
    for (const auto* f : {&bigwig_, &bedgraph_})
      if (!f->empty()) p.push_back(*f == "-" ? "stdout" : *f);
    return p;
  }

 private:
  std::string bigwig_, bedgraph_, provenance_;
  int64_t target_;
  TrackAssembler track_;
  std::vector<float> values_;
};

class ModiscoSink final : public ScoreSink {
 public:
  ModiscoSink(const std::string& prefix, const SinkShape& s)
      : ohe_(prefix + ".ohe.npz"), bed_(prefix + ".regions.bed") {
    paths_ = {prefix + ".ohe.npz"};
    ohe_id_ = ohe_.declare("arr_0", "<f4", {s.regions, 4, s.length});
    for (int64_t t = 0; t < s.targets; ++t) {
      const std::string name = per_target_path(prefix + ".hyp.npz", s.target_names[t],
                                               static_cast<std::size_t>(s.targets));
      paths_.push_back(name);
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
  std::vector<std::string> paths() const override {
    auto p = paths_;
    p.push_back(bed_.path());
    return p;
  }

 private:
  std::vector<std::string> paths_;
  NpzWriter ohe_;
  int ohe_id_;
  std::vector<std::unique_ptr<NpzWriter>> hyp_;
  OutputFile bed_;
};

class RegionsTsvSink final : public ScoreSink {
 public:
  RegionsTsvSink(const std::string& path, const SinkShape& s) : out_(path), s_(s) {
    if (!s.provenance.empty()) std::fprintf(out_.get(), "# %s\n", s.provenance.c_str());
    std::fprintf(out_.get(), "name\tchrom\tstart\tend\tstrand\tgc");
    for (const auto& t : s.target_names) std::fprintf(out_.get(), "\tpred_%s", t.c_str());
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
    for (double d : r.e.delta_error)
      worst = std::isnan(d) || std::isnan(worst) ? d + worst : std::max(worst, d);
    std::fprintf(out_.get(), "\t%.3g\n", worst);
  }
  void finish() override { out_.commit(); }
  std::vector<std::string> paths() const override {
    return {out_.path() == "-" || out_.path().empty() ? "stdout" : out_.path()};
  }

 private:
  OutputFile out_;
  SinkShape s_;
};

// chrombpnet's interpret layout (deepdish dict -> groups), which `modisco motifs -i`
// reads as shap/seq (hypothetical) and raw/seq (one-hot), both [N, 4, L].
class H5Sink final : public ScoreSink {
 public:
  H5Sink(const std::string& path, const SinkShape& s, int64_t target)
      : w_(path), target_(target), L_(s.length) {
    const int64_t N = s.regions, L = s.length;
    raw_ = w_.create("raw/seq", Hdf5Type::kInt8, {N, 4, L});
    shap_ = w_.create("shap/seq", Hdf5Type::kFloat32, {N, 4, L});
    proj_ = w_.create("projected_shap/seq", Hdf5Type::kFloat32, {N, 4, L});
    chrom_ = w_.create("coords_chrom", Hdf5Type::kString, {N}, s.max_chrom);
    start_ = w_.create("coords_start", Hdf5Type::kInt64, {N});
    end_ = w_.create("coords_end", Hdf5Type::kInt64, {N});
    names_ = w_.create("names", Hdf5Type::kString, {N}, s.max_name);
    w_.set_attribute("/", "provenance", s.provenance);
    w_.set_attribute("/", "target", s.target_names.at(target));
    w_.set_attribute("/", "layout",
                     "chrombpnet contribution scores: raw/seq one-hot, shap/seq hypothetical, "
                     "projected_shap/seq = shap * raw; [N, 4 (ACGT), L]; coords 0-based "
                     "half-open");
  }
  void add(const ScoredRegion& r) override {
    const std::size_t n = static_cast<std::size_t>(4 * L_);
    raw_buf_.resize(n);
    for (std::size_t i = 0; i < n; ++i) raw_buf_[i] = r.ohe[i] > 0.5f ? 1 : 0;
    w_.write_rows(raw_, row_, 1, raw_buf_.data());
    w_.write_rows(shap_, row_, 1, r.e.hypothetical.data() + target_ * n);
    w_.write_rows(proj_, row_, 1, r.e.projected.data() + target_ * n);
    std::string chrom;
    int64_t start, end;
    char strand;
    region_coords(r.region, chrom, start, end, strand);
    w_.write_strings(chrom_, row_, {chrom});
    w_.write_strings(names_, row_, {r.region.name});
    w_.write_rows(start_, row_, 1, &start);
    w_.write_rows(end_, row_, 1, &end);
    ++row_;
  }
  void finish() override { w_.commit(); }
  std::vector<std::string> paths() const override { return {w_.path()}; }

 private:
  Hdf5Writer w_;
  int64_t target_, L_, row_ = 0;
  int raw_, shap_, proj_, chrom_, start_, end_, names_;
  std::vector<int8_t> raw_buf_;
};

}  // namespace

std::unique_ptr<ScoreSink> make_npz_sink(const std::string& path, const SinkShape& shape) {
  return std::make_unique<NpzSink>(path, shape);
}
std::unique_ptr<ScoreSink> make_track_sink(const std::string& bigwig, const std::string& bedgraph,
                                           const Genome& genome, int64_t track_target,
                                           const std::string& provenance) {
  return std::make_unique<TrackSink>(bigwig, bedgraph, genome, track_target, provenance);
}
std::unique_ptr<ScoreSink> make_h5_sink(const std::string& path, const SinkShape& shape,
                                        int64_t target) {
  return std::make_unique<H5Sink>(path, shape, target);
}
std::unique_ptr<ScoreSink> make_modisco_sink(const std::string& prefix, const SinkShape& shape) {
  return std::make_unique<ModiscoSink>(prefix, shape);
}
std::unique_ptr<ScoreSink> make_regions_tsv_sink(const std::string& path, const SinkShape& shape) {
  return std::make_unique<RegionsTsvSink>(path, shape);
}

}  // namespace seqlift
