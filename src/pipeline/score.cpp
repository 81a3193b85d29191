#include "seqlift/score.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "pipeline/progress.hpp"
#include "pipeline/sinks.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/log.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/predict.hpp"

namespace seqlift {

std::vector<int64_t> parse_targets(const std::string& spec, int64_t outputs) {
  std::vector<int64_t> t;
  if (spec == "all") {
    for (int64_t i = 0; i < outputs; ++i) t.push_back(i);
    return t;
  }
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end || v < 0 || v >= outputs)
      throw UsageError("--target '" + item + "' is not an output index 0.." +
                       std::to_string(outputs - 1) + " (or 'all')");
    t.push_back(v);
  }
  if (t.empty()) throw UsageError("--target is empty");
  return t;
}

namespace {

bool is_file(const std::string& p) {
  return access(p.c_str(), F_OK) == 0;
}

std::unique_ptr<ReferenceSource> open_references(const ScoreOptions& o, int length,
                                                 int64_t regions) {
  const std::string& kind = o.references.kind;
  const bool builtin = kind == "dinuc" || kind == "dinuc-uniform" || kind == "gc" ||
                       kind == "gc-genome" || kind.rfind("flat:", 0) == 0;
  if (!builtin && (is_file(kind) || kind.find('.') != std::string::npos)) {
    if (!is_file(kind)) throw IoError(kind + ": no such references file");
    if (o.input.shard_count > 1)
      throw UsageError("--references FILE cannot be combined with --shard");
    const int64_t records = count_fasta_records(kind);
    if (records < regions || records % regions != 0)
      throw InputError(kind + ": " + std::to_string(records) + " reference records for " +
                       std::to_string(regions) +
                       " input regions; expected K consecutive records per region (a multiple of " +
                       std::to_string(regions) + ")");
    return make_fasta_references(kind, records / regions);
  }
  ReferenceOptions r = o.references;
  if (kind == "gc-genome") {
    if (r.genome.empty()) r.genome = o.input.genome;
    if (r.scored.empty()) r.scored = o.input.regions;
    r.length = length;
  }
  return make_reference_source(r);
}

void reverse_complement_rows(float* data, int64_t rows, int64_t length) {
  std::vector<float> tmp(4 * length);
  for (int64_t r = 0; r < rows; ++r) {
    reverse_complement_4xl(data + r * 4 * length, length, tmp.data());
    std::copy(tmp.begin(), tmp.end(), data + r * 4 * length);
  }
}

// Per-region results kept until the chunk is written, in + strand orientation.
struct RegionResult {
  Explanation e;
  std::vector<float> ohe;
};

RegionResult score_region(const Explainer& explainer, const float* x, const float* refs, int64_t K,
                          int64_t length, bool minus_strand, bool revcomp_average) {
  const int64_t n_in = 4 * length;
  RegionResult res;
  res.e = explainer.explain(x, refs, K);
  if (revcomp_average) {
    // Score the other strand too and average the contributions aligned to this strand.
    std::vector<float> xr(x, x + n_in), rr(refs, refs + K * n_in);
    reverse_complement_rows(xr.data(), 1, length);
    reverse_complement_rows(rr.data(), K, length);
    Explanation other = explainer.explain(xr.data(), rr.data(), K);
    reverse_complement_rows(other.hypothetical.data(), res.e.targets, length);
    for (std::size_t i = 0; i < res.e.hypothetical.size(); ++i)
      res.e.hypothetical[i] = 0.5f * (res.e.hypothetical[i] + other.hypothetical[i]);
    for (int64_t t = 0; t < res.e.targets; ++t)
      for (int64_t i = 0; i < n_in; ++i)
        res.e.projected[t * n_in + i] = res.e.hypothetical[t * n_in + i] * x[i];
    for (std::size_t i = 0; i < res.e.delta_error.size(); ++i)
      res.e.delta_error[i] = std::max(res.e.delta_error[i], other.delta_error[i]);
  }
  res.ohe.assign(x, x + n_in);
  if (minus_strand) {  // back to + orientation
    reverse_complement_rows(res.ohe.data(), 1, length);
    reverse_complement_rows(res.e.hypothetical.data(), res.e.targets, length);
    reverse_complement_rows(res.e.projected.data(), res.e.targets, length);
  }
  return res;
}

}  // namespace

ScoreSummary run_score(const ScoreOptions& o) {
  if (o.npz.empty() && o.bigwig.empty() && o.bedgraph.empty() && o.modisco.empty() &&
      o.regions_out.empty())
    throw UsageError(
        "score needs at least one output: --npz, --bigwig, --bedgraph, --modisco or --regions-out");
  if ((!o.bigwig.empty() || !o.bedgraph.empty()) && o.input.genome.empty())
    throw UsageError("--bigwig/--bedgraph need genome input (--genome with --regions)");
  auto model = load_model(o.model, 0, o.weights);
  ExplainOptions eo;
  eo.rule = o.rule;
  if (o.targets.rfind("profile:", 0) == 0) {
    eo.profile_output = o.targets.substr(8);
  } else {
    eo.targets = parse_targets(o.targets, model->output_size());
  }
  eo.explain_activated = o.explain_activated;
  Explainer explainer(*model, eo);
  const int length = model->input_length();
  const RegionCount counted = count_regions(o.input);
  if (counted.regions == 0)
    throw InputError((o.input.fasta.empty() ? o.input.regions : o.input.fasta) +
                     ": no regions to score" +
                     (o.input.shard_count > 1 ? " in shard " + std::to_string(o.input.shard_index) +
                                                    "/" + std::to_string(o.input.shard_count)
                                              : " (all windows skipped?)"));
  auto refs = open_references(o, length, counted.regions);
  const int64_t K = refs->count(), T = explainer.targets().size(),
                n_in = kAlphabetSize * int64_t(length);
  if (o.rule == Rule::kGradient)
    log_warn("--rule gradient is gradient x (X - R): it does NOT satisfy summation-to-delta");
  log_info("score: " + std::to_string(counted.regions) + " regions, " +
           std::string(rule_string(o.rule)) + " rule, " +
           (eo.profile_output.empty() ? std::to_string(T) + " target(s)"
                                      : "profile target '" + eo.profile_output + "'") +
           (explainer.explains_logits() ? " (logits under the final activation)" : "") + ", " +
           refs->describe() + ", " + std::to_string(o.threads) + " threads");

  SinkShape shape;
  shape.regions = counted.regions;
  shape.length = length;
  shape.targets = T;
  shape.refs = K;
  shape.max_name = counted.max_name_length;
  shape.max_chrom = counted.max_chrom_length;
  shape.target_ids = eo.profile_output.empty() ? explainer.targets() : std::vector<int64_t>{0};
  SequenceSource source(o.input);
  std::vector<std::unique_ptr<ScoreSink>> sinks;
  if (!o.npz.empty()) sinks.push_back(make_npz_sink(o.npz, shape));
  if (!o.bigwig.empty() || !o.bedgraph.empty())
    sinks.push_back(make_track_sink(o.bigwig, o.bedgraph, *source.genome(), 0));
  if (!o.modisco.empty()) sinks.push_back(make_modisco_sink(o.modisco, shape));
  if (!o.regions_out.empty()) sinks.push_back(make_regions_tsv_sink(o.regions_out, shape));

  const std::string src_name = o.input.fasta.empty() ? o.input.regions : o.input.fasta;
  ScoreSummary summary;
  summary.targets = T;
  summary.references = K;
  summary.reference_description = refs->describe();
  Progress progress(counted.regions, o.progress);
  std::vector<Region> chunk;
  std::vector<std::vector<float>> chunk_refs;
  auto flush = [&] {
    auto x = encode_batch(chunk, length, src_name);
    if (refs->ordered()) {
      chunk_refs.assign(chunk.size(), {});
      for (std::size_t i = 0; i < chunk.size(); ++i) {
        chunk_refs[i].resize(K * n_in);
        refs->make(chunk[i], chunk_refs[i].data());
      }
    }
    std::vector<RegionResult> results(chunk.size());
    std::string error;
#pragma omp parallel for schedule(dynamic) num_threads(o.threads)
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      try {
        std::vector<float> local;
        if (!refs->ordered()) {
          local.resize(K * n_in);
          refs->make(chunk[i], local.data());
        }
        const bool minus = chunk[i].window && chunk[i].window->strand == '-';
        results[i] = score_region(explainer, x.data() + i * n_in,
                                  refs->ordered() ? chunk_refs[i].data() : local.data(), K, length,
                                  minus, o.revcomp_average);
      } catch (const std::exception& e) {
#pragma omp critical
        if (error.empty()) error = e.what();
      }
    }
    if (!error.empty()) throw InputError(error);
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      const RegionResult& r = results[i];
      const bool finite = std::all_of(r.e.prediction.begin(), r.e.prediction.end(),
                                      [](float v) { return std::isfinite(v); }) &&
                          std::all_of(r.e.hypothetical.begin(), r.e.hypothetical.end(),
                                      [](float v) { return std::isfinite(v); });
      if (!finite) {
        ++summary.regions_not_finite;
        log_warn("region '" + chunk[i].name +
                 "': the model output or contributions contain NaN or Inf; kept in the "
                 "arrays as computed, left out of bigWig/bedGraph tracks");
      }
      for (auto& sink : sinks) sink->add(ScoredRegion{chunk[i], r.e, r.ohe, finite});
      bool warned = false;
      for (int64_t j = 0; j < T * K; ++j) {
        summary.worst_delta_error = std::max(summary.worst_delta_error, r.e.delta_error[j]);
        if (!warned && o.rule != Rule::kGradient &&
            !delta_within_tolerance(r.e.delta_error[j], r.e.delta[j])) {
          warned = true;
          ++summary.regions_over_tolerance;
          char buf[160];
          std::snprintf(buf, sizeof buf,
                        ": summation-to-delta error %.3g exceeds 1e-3 * max(1, |delta| = %.3g)",
                        r.e.delta_error[j], std::fabs(r.e.delta[j]));
          log_warn("region '" + chunk[i].name + "'" + buf);
        }
      }
    }
    summary.regions += chunk.size();
    progress.update(summary.regions);
    chunk.clear();
  };
  Region region;
  while (source.next(region)) {
    chunk.push_back(std::move(region));
    if (static_cast<int64_t>(chunk.size()) == o.chunk) flush();
  }
  if (!chunk.empty()) flush();
  source.report();
  if (summary.regions != counted.regions)
    throw InputError(src_name + ": counted " + std::to_string(counted.regions) +
                     " regions but read " + std::to_string(summary.regions) +
                     " (did the file change during the run?)");
  for (auto& sink : sinks) sink->finish();
  return summary;
}

}  // namespace seqlift
