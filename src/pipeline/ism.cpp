// `seqlift ism`: saturation mutagenesis of every region, effects written like score's
// arrays, a per-base max |effect| track, and the per-region correlation with DeepLIFT.
#include "seqlift/ism.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/log.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/output.hpp"
#include "seqlift/score.hpp"
#include "writers/track.hpp"

namespace seqlift {

double ism_deeplift_correlation(const float* effects, const float* projected,
                                const std::string& seq, int64_t lo, int64_t hi) {
  const int64_t L = static_cast<int64_t>(seq.size());
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  int64_t n = 0;
  for (int64_t j = std::max<int64_t>(0, lo); j < std::min(L, hi); ++j) {
    if (base_index(seq[j]) < 0) continue;
    double ism = 0, dl = 0;
    for (int c = 0; c < 4; ++c) {
      ism -= 0.25 * effects[c * L + j];
      dl += projected[c * L + j];
    }
    sx += ism;
    sy += dl;
    sxx += ism * ism;
    syy += dl * dl;
    sxy += ism * dl;
    ++n;
  }
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  const double cov = sxy - sx * sy / n, vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
  if (vx <= 0 || vy <= 0) return std::numeric_limits<double>::quiet_NaN();
  return cov / std::sqrt(vx * vy);
}

namespace {

// The T target values of one output row.
struct TargetMap {
  std::vector<int64_t> index;  ///< flattened output indices (empty for a profile target)
  int64_t profile_offset = -1, profile_size = 0;
  std::vector<double> weights;  ///< profile: softmax(l - mean l) of the unmutated sequence

  int64_t count() const { return profile_offset >= 0 ? 1 : static_cast<int64_t>(index.size()); }
  void set_reference(const float* y) {
    if (profile_offset < 0) return;
    const float* l = y + profile_offset;
    double mx = -INFINITY, s = 0;
    for (int64_t i = 0; i < profile_size; ++i) mx = std::max(mx, double(l[i]));
    weights.resize(profile_size);
    for (int64_t i = 0; i < profile_size; ++i) s += weights[i] = std::exp(double(l[i]) - mx);
    for (auto& w : weights) w /= s;
  }
  void values(const float* y, double* out) const {
    if (profile_offset < 0) {
      for (std::size_t t = 0; t < index.size(); ++t) out[t] = y[index[t]];
      return;
    }
    const float* l = y + profile_offset;
    double mean = 0, v = 0;
    for (int64_t i = 0; i < profile_size; ++i) mean += l[i];
    mean /= profile_size;
    for (int64_t i = 0; i < profile_size; ++i) v += weights[i] * (l[i] - mean);
    out[0] = v;
  }
};

void coords_of(const Region& r, std::string& chrom, int64_t& start, int64_t& end) {
  if (r.window) {
    chrom = r.window->chrom;
    start = r.window->start;
    end = r.window->end;
  } else {
    chrom = r.name;
    start = 0;
    end = static_cast<int64_t>(r.sequence.size());
  }
}

}  // namespace

IsmSummary run_ism(const IsmOptions& options) {
  IsmOptions o = options;
  if (o.npz.empty() && o.bigwig.empty() && o.regions_out.empty())
    throw UsageError("ism needs at least one output: --npz, --bigwig or --regions-out");
  if (!o.bigwig.empty() && o.input.genome.empty())
    throw UsageError("--bigwig needs genome input (--genome with --regions)");
  if (o.window < 0) throw UsageError("--window must be >= 0");
  auto model = load_model(o.model, 0, o.weights);
  // A profile target names an output; resolve it before logits replace the outputs.
  std::string profile;
  if (o.targets.rfind("profile:", 0) == 0) {
    const std::string name = o.targets.substr(8);
    for (std::size_t i = 0; i < model->outputs().size(); ++i)
      if (model->values()[model->outputs()[i]].name == name || std::to_string(i) == name)
        profile = std::to_string(i);
    if (profile.empty()) throw UsageError("--target: the model has no output '" + name + "'");
  }
  if (!o.activated) model->use_pre_activation_outputs();
  const int64_t L = model->input_length(), out_size = model->output_size();
  if (o.input.fasta.empty() && o.input.window.width == 0) o.input.window.width = L;  // as score
  TargetMap tm;
  if (!profile.empty()) {
    const int k = std::stoi(profile);
    int64_t off = 0;
    for (int i = 0; i < k; ++i) off += numel(model->values()[model->outputs()[i]].shape);
    tm.profile_offset = off;
    tm.profile_size = numel(model->values()[model->outputs()[k]].shape);
  } else {
    tm.index = parse_targets(o.targets, out_size);
  }
  const int64_t T = tm.count();
  const int64_t lo = o.window > 0 ? std::max<int64_t>(0, (L - o.window) / 2) : 0,
                hi = o.window > 0 ? std::min<int64_t>(L, lo + o.window) : L;
  MutantRunner runner(*model, o.cone, o.block);
  std::unique_ptr<Explainer> explainer;
  std::unique_ptr<ReferenceSource> refs;
  if (o.deeplift) {
    ExplainOptions eo;
    eo.rule = o.rule;
    eo.explain_activated = o.activated;
    if (!profile.empty())
      eo.profile_output = profile;
    else
      eo.targets = {tm.index.front()};
    explainer = std::make_unique<Explainer>(*model, eo);
    if (parse_reference_kind(o.references.kind) == ReferenceKind::kFasta)
      throw UsageError("ism: --references must be a generated kind, not a FASTA file");
    refs = make_reference_source(references_for_input(o.references, o.input.genome, L));
  }
  const RegionCount counted = count_regions(o.input);
  log_info("ism: " + std::to_string(counted.regions) + " regions, positions [" +
           std::to_string(lo) + ", " + std::to_string(hi) + ") of " + std::to_string(L) + ", " +
           std::to_string(T) + " target(s), " +
           (runner.cone_nodes() ? "receptive-cone recomputation of " +
                                      std::to_string(runner.cone_nodes()) + " nodes"
                                : std::string("full forward per mutant")) +
           ", " + std::to_string(o.threads) + " threads");

  SequenceSource source(o.input);
  std::unique_ptr<NpzWriter> npz;
  int m_ism = -1, m_ohe = -1, m_pred = -1, m_corr = -1, m_names = -1, m_targets = -1, m_chrom = -1,
      m_start = -1, m_end = -1;
  const int64_t N = counted.regions;
  if (!o.npz.empty()) {
    npz = std::make_unique<NpzWriter>(o.npz);
    m_ism = npz->declare("ism", "<f4", {N, T, 4, L});
    m_ohe = npz->declare("ohe", "<f4", {N, 4, L});
    m_pred = npz->declare("pred", "<f4", {N, T});
    m_corr = npz->declare("corr", "<f4", {N});
    m_names = npz->declare("names", "<U" + std::to_string(counted.max_name_length), {N});
    m_targets = npz->declare("targets", "<i8", {T});
    m_chrom = npz->declare("coords_chrom", "<U" + std::to_string(counted.max_chrom_length), {N});
    m_start = npz->declare("coords_start", "<i8", {N});
    m_end = npz->declare("coords_end", "<i8", {N});
    std::vector<int64_t> ids = tm.index.empty() ? std::vector<int64_t>{0} : tm.index;
    npz->append(m_targets, ids.data(), ids.size() * 8);
  }
  std::unique_ptr<TrackAssembler> track;
  if (!o.bigwig.empty()) {
    std::vector<std::pair<std::string, int64_t>> sizes;
    for (const auto& c : source.genome()->chromosomes())
      sizes.emplace_back(c, source.genome()->length(c));
    track = std::make_unique<TrackAssembler>(sizes);
  }
  std::unique_ptr<OutputFile> tsv;
  if (!o.regions_out.empty()) {
    tsv = std::make_unique<OutputFile>(o.regions_out);
    std::fprintf(tsv->get(), "name\tchrom\tstart\tend\tstrand\tpred\tmutants\tcorr_deeplift\n");
  }

  IsmSummary summary;
  summary.cone_nodes = runner.cone_nodes();
  summary.mean_corr = 0;
  summary.min_corr = std::numeric_limits<double>::quiet_NaN();
  int64_t n_corr = 0;
  Region region;
  std::vector<double> base(T), vals(T);
  while (source.next(region)) {
    if (static_cast<int64_t>(region.sequence.size()) != L)
      throw InputError("region '" + region.name + "' has length " +
                       std::to_string(region.sequence.size()) + " but the model reads " +
                       std::to_string(L) + " bp (use --width " + std::to_string(L) + ")");
    const std::string& seq = region.sequence;
    std::vector<float> x = one_hot(seq);
    const std::vector<float> y0 = model->predict(x.data(), 1);
    tm.set_reference(y0.data());
    tm.values(y0.data(), base.data());
    const std::vector<Mutation> muts = saturation_mutations(seq, lo, hi);
    const double t0 = elapsed_seconds();
    const std::vector<float> ym = runner.run(x.data(), muts, o.threads);
    summary.seconds_ism += elapsed_seconds() - t0;
    std::vector<float> effects(T * 4 * L, 0.0f);
    for (std::size_t m = 0; m < muts.size(); ++m) {
      tm.values(ym.data() + m * out_size, vals.data());
      for (int64_t t = 0; t < T; ++t)
        effects[(t * 4 + muts[m].base) * L + muts[m].pos] = static_cast<float>(vals[t] - base[t]);
    }
    double corr = std::numeric_limits<double>::quiet_NaN();
    if (explainer) {
      const double t1 = elapsed_seconds();
      std::vector<float> r(refs->count() * 4 * L);
      refs->make(region, r.data());
      const Explanation e = explainer->explain(x.data(), r.data(), refs->count());
      corr = ism_deeplift_correlation(effects.data(), e.projected.data(), seq, lo, hi);
      summary.seconds_deeplift += elapsed_seconds() - t1;
      if (!std::isnan(corr)) {
        summary.mean_corr += corr;
        summary.min_corr = n_corr ? std::min(summary.min_corr, corr) : corr;
        ++n_corr;
      }
    }
    // Back to + strand orientation for the outputs.
    int64_t wlo = lo, whi = hi;
    if (region.window && region.window->strand == '-') {
      std::vector<float> tmp(4 * L);
      for (int64_t t = 0; t < T; ++t) {
        reverse_complement_4xl(effects.data() + t * 4 * L, L, tmp.data());
        std::copy(tmp.begin(), tmp.end(), effects.begin() + t * 4 * L);
      }
      reverse_complement_4xl(x.data(), L, tmp.data());
      x = tmp;
      wlo = L - hi;
      whi = L - lo;
    }
    std::string chrom;
    int64_t start, end;
    coords_of(region, chrom, start, end);
    if (npz) {
      npz->append(m_ism, effects.data(), effects.size() * 4);
      npz->append(m_ohe, x.data(), x.size() * 4);
      std::vector<float> p(base.begin(), base.end());
      npz->append(m_pred, p.data(), p.size() * 4);
      const float c = static_cast<float>(corr);
      npz->append(m_corr, &c, 4);
      npz->append_strings(m_names, {region.name});
      npz->append_strings(m_chrom, {chrom});
      npz->append(m_start, &start, 8);
      npz->append(m_end, &end, 8);
    }
    if (track) {
      std::vector<float> mx(whi - wlo, 0.0f);
      for (int64_t j = wlo; j < whi; ++j)
        for (int c = 0; c < 4; ++c)
          mx[j - wlo] = std::max(mx[j - wlo], std::fabs(effects[c * L + j]));
      track->add(chrom, start + wlo, start + whi, mx.data());
    }
    if (tsv)
      std::fprintf(tsv->get(), "%s\t%s\t%lld\t%lld\t%c\t%.9g\t%zu\t%s\n", region.name.c_str(),
                   chrom.c_str(), (long long)start, (long long)end,
                   region.window ? region.window->strand : '+', base[0], muts.size(),
                   std::isnan(corr) ? "NA" : std::to_string(corr).c_str());
    ++summary.regions;
    summary.mutants += static_cast<int64_t>(muts.size());
  }
  source.report();
  if (n_corr)
    summary.mean_corr /= n_corr;
  else
    summary.mean_corr = std::numeric_limits<double>::quiet_NaN();
  if (npz) npz->commit();
  if (track) write_bigwig(o.bigwig, *track);
  if (tsv) tsv->commit();
  return summary;
}

}  // namespace seqlift
