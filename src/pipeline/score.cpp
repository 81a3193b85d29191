#include "seqlift/score.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/spool.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/score_checks.hpp"
#include "pipeline/sinks.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/extra_inputs.hpp"
#include "seqlift/isa.hpp"
#include "seqlift/log.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/predict.hpp"
#include "seqlift/targets.hpp"
#include "util/cleanup.hpp"
#include "util/sha256.hpp"

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

std::unique_ptr<ReferenceSource> open_references(const ScoreOptions& o, int length,
                                                 int64_t regions) {
  const std::string& kind = o.references.kind;
  if (parse_reference_kind(kind) == ReferenceKind::kFasta) {
    if (access(kind.c_str(), F_OK) != 0) throw IoError(kind + ": no such references file");
    if (o.input.shard_count > 1)
      throw UsageError("--references FILE cannot be combined with --shard");
    const int64_t records = count_fasta_records(kind);
    if (regions == 0) throw InputError(kind + ": no input regions to pair the references with");
    if (records < regions || records % regions != 0)
      throw InputError(kind + ": " + std::to_string(records) + " reference records for " +
                       std::to_string(regions) +
                       " input regions; expected K consecutive records per region (a multiple of " +
                       std::to_string(regions) + ")");
    return make_fasta_references(kind, records / regions);
  }
  return make_reference_source(references_for_input(o.references, o.input.genome, length));
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

// extra / extra_other: the model's extra inputs for this strand and the other one.
Explanation explain_strand(const Explainer& explainer, const float* x, const float* refs, int64_t K,
                           int64_t length, bool revcomp_average, const float* extra,
                           const float* extra_other) {
  const int64_t n_in = 4 * length;
  Explanation e = explainer.explain(x, refs, K, extra);
  if (revcomp_average) {
    // Score the other strand too and average the contributions aligned to this strand.
    std::vector<float> xr(x, x + n_in), rr(refs, refs + K * n_in);
    reverse_complement_rows(xr.data(), 1, length);
    reverse_complement_rows(rr.data(), K, length);
    Explanation other = explainer.explain(xr.data(), rr.data(), K, extra_other);
    reverse_complement_rows(other.hypothetical.data(), e.targets, length);
    for (std::size_t i = 0; i < e.hypothetical.size(); ++i)
      e.hypothetical[i] = 0.5f * (e.hypothetical[i] + other.hypothetical[i]);
    for (int64_t t = 0; t < e.targets; ++t)
      for (int64_t i = 0; i < n_in; ++i)
        e.projected[t * n_in + i] = e.hypothetical[t * n_in + i] * x[i];
    for (std::size_t i = 0; i < e.delta_error.size(); ++i)
      e.delta_error[i] = std::max(e.delta_error[i], other.delta_error[i]);
  }
  return e;
}

// Appends b's targets to a (same references and length).
void append_targets(Explanation& a, Explanation&& b) {
  if (a.targets == 0) {
    a = std::move(b);
    return;
  }
  auto cat = [](auto& x, auto& y) { x.insert(x.end(), y.begin(), y.end()); };
  cat(a.hypothetical, b.hypothetical);
  cat(a.projected, b.projected);
  cat(a.delta, b.delta);
  cat(a.delta_error, b.delta_error);
  cat(a.prediction, b.prediction);
  cat(a.explained, b.explained);
  a.targets += b.targets;
}

RegionResult score_region(const std::vector<std::unique_ptr<Explainer>>& explainers, const float* x,
                          const float* refs, int64_t K, int64_t length, bool minus_strand,
                          bool revcomp_average, const float* extra, const float* extra_other) {
  const int64_t n_in = 4 * length;
  RegionResult res;
  for (const auto& ex : explainers)
    append_targets(res.e,
                   explain_strand(*ex, x, refs, K, length, revcomp_average, extra, extra_other));
  res.ohe.assign(x, x + n_in);
  if (minus_strand) {  // back to + orientation
    reverse_complement_rows(res.ohe.data(), 1, length);
    reverse_complement_rows(res.e.hypothetical.data(), res.e.targets, length);
    reverse_complement_rows(res.e.projected.data(), res.e.targets, length);
  }
  return res;
}

std::string file_digest(const std::string& path) {
  try {
    return sha256_file(path);
  } catch (const std::exception&) {
    return "";  // not a regular readable file: recorded as unknown
  }
}

}  // namespace

std::string score_provenance(const ScoreOptions& o, const std::vector<std::string>& targets,
                             const std::string& reference_description) {
  nlohmann::ordered_json j;
  j["program"] = "seqlift";
  j["version"] = SEQLIFT_VERSION;
  j["isa"] = build_isa();
  j["command"] = o.command_line;
  j["model"] = o.model;
  j["model_sha256"] = file_digest(o.model);
  if (!o.weights.empty()) {
    j["weights"] = o.weights;
    j["weights_sha256"] = file_digest(o.weights);
  }
  j["rule"] = rule_string(o.rule);
  j["targets"] = targets;
  j["explain_activated"] = o.explain_activated;
  j["revcomp_average"] = o.revcomp_average;
  j["references"] = o.references.kind;
  j["references_description"] = reference_description;
  j["n_refs"] = o.references.count;
  j["seed"] = o.references.seed;
  j["input"] = !o.input.fasta.empty() ? o.input.fasta : o.input.regions;
  if (!o.input.region_list.empty()) {
    std::vector<std::string> regions;
    for (const auto& r : o.input.region_list) regions.push_back(r.name);
    j["region"] = regions;
  }
  if (!o.input.chroms.empty()) j["chroms"] = o.input.chroms;
  if (!o.input.genome.empty()) {
    j["genome"] = o.input.genome;
    j["width"] = o.input.window.width;
  }
  if (o.input.shard_count > 1)
    j["shard"] = std::to_string(o.input.shard_index) + "/" + std::to_string(o.input.shard_count);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ScoreSummary run_score(const ScoreOptions& o_in) {
  if (o_in.npz.empty() && o_in.bigwig.empty() && o_in.bedgraph.empty() && o_in.h5.empty() &&
      o_in.modisco.empty() && o_in.regions_out.empty())
    throw UsageError(
        "score needs at least one output: --npz, --bigwig, --bedgraph, --h5, --modisco or "
        "--regions-out");
  for (const auto& [path, flag] : {std::pair<const std::string*, const char*>{&o_in.npz, "--npz"},
                                   {&o_in.bigwig, "--bigwig"},
                                   {&o_in.h5, "--h5"},
                                   {&o_in.modisco, "--modisco"}})
    if (*path == "-")
      throw UsageError(std::string(flag) +
                       " cannot be '-': it is written in place, not as a stream (stdout takes "
                       "--bedgraph - or --regions-out -)");
  if ((!o_in.bigwig.empty() || !o_in.bedgraph.empty()) && o_in.input.genome.empty())
    throw UsageError("--bigwig/--bedgraph need genome input (--genome with --regions)");
  check_seed_and_counts(o_in);
  OutputTransaction transaction;  // all outputs or none (joins main()'s)
  // Inputs read more than once (counted, then scored) are copied if they are streams.
  ScoreOptions o = o_in;
  SpooledInput fasta_in(o.input.fasta), regions_in(o.input.regions),
      refs_in(is_stream_input(o.references.kind) ? o.references.kind : "");
  o.input.fasta = fasta_in.path();
  o.input.regions = regions_in.path();
  if (!refs_in.path().empty()) o.references.kind = refs_in.path();
  for (const auto& in : {o.input.fasta, o.input.genome, o.input.regions, o.references.exclude})
    note_input(in);
  if (!o.input.genome.empty()) {
    note_input(o.input.genome + ".fai");
    note_input(o.input.genome + ".gzi");
  }
  if (parse_reference_kind(o.references.kind) == ReferenceKind::kFasta)
    note_input(o.references.kind);

  auto model = load_scoring_model(o.model, o.weights, o.length, o.input.window.width,
                                  parse_lambda_declarations(o.lambdas));
  const ExtraInputs extras(*model, o.extra_inputs);
  if (extras.size() > 0)
    log_info("score: extra inputs (held equal in X and references): " + extras.describe());
  const int length = model->input_length();
  if (o.input.fasta.empty() && o.input.window.width == 0) {
    // chrombpnet's convention: windows of the model's input length around each summit.
    o.input.window.width = length;
    log_info("--width " + std::to_string(length) + " (the model's input length)");
  }
  const std::vector<TargetSpec> specs = resolve_targets(o.targets, *model);
  ExplainOptions eo;
  eo.rule = o.rule;
  eo.explain_activated = o.explain_activated;
  std::vector<std::unique_ptr<Explainer>> explainers;
  for (auto& g : target_groups(specs, eo))
    explainers.push_back(std::make_unique<Explainer>(*model, g));
  std::vector<std::string> labels;
  std::vector<int64_t> target_ids;
  for (const auto& t : specs) {
    labels.push_back(t.label);
    target_ids.push_back(t.index);
  }
  const std::size_t n_targets = specs.size();
  if (o.bedgraph == "-" && n_targets > 1)
    throw UsageError("--bedgraph - (stdout) takes one target; --target names " +
                     std::to_string(n_targets));
  if (o.bedgraph == "-" && o.regions_out == "-")
    throw UsageError("--bedgraph and --regions-out cannot both go to stdout");
  claim_outputs(score_output_paths(o, labels));
  const RegionCount counted = count_regions(o.input);
  if (counted.regions == 0 && o.input.shard_count <= 1)
    throw InputError((!o.input.fasta.empty()     ? o.input.fasta
                      : !o.input.regions.empty() ? o.input.regions
                                                 : std::string("--region")) +
                     ": no regions to score (all windows skipped?)");
  if (counted.regions == 0)
    log_warn("shard " + std::to_string(o.input.shard_index) + "/" +
             std::to_string(o.input.shard_count) + " has no regions; writing empty outputs");
  auto refs = open_references(o, length, counted.regions);
  const int64_t K = refs->count(), T = static_cast<int64_t>(n_targets),
                n_in = kAlphabetSize * int64_t(length);
  const int threads = effective_threads(o.threads, counted.regions);
  check_memory(K, n_in, T, refs->ordered() ? o.chunk : threads);
  if (o.rule == Rule::kGradient)
    log_warn("--rule gradient is gradient x (X - R): it does NOT satisfy summation-to-delta");
  std::string target_list;
  for (const auto& t : specs)
    target_list += (target_list.empty() ? "" : ", ") + t.label +
                   (t.index < 0 ? " (profile of '" + t.profile_output + "')" : "");
  bool logits = false;
  for (const auto& ex : explainers) logits = logits || ex->explains_logits();
  log_info("score: " + std::to_string(counted.regions) + " regions, " +
           std::string(rule_string(o.rule)) + " rule, " + std::to_string(T) + " target" +
           (T == 1 ? "" : "s") + " [" + target_list + "]" +
           (logits ? " (logits under the final activation)" : "") + ", " + refs->describe() + ", " +
           std::to_string(threads) + " threads");

  SinkShape shape;
  shape.regions = counted.regions;
  shape.length = length;
  shape.targets = T;
  shape.refs = K;
  shape.max_name = counted.max_name_length;
  shape.max_chrom = counted.max_chrom_length;
  shape.target_ids = target_ids;
  shape.target_names = labels;
  shape.provenance = score_provenance(o, labels, refs->describe());
  SequenceSource source(o.input);
  std::vector<std::unique_ptr<ScoreSink>> sinks;
  if (!o.npz.empty()) sinks.push_back(make_npz_sink(o.npz, shape));
  for (std::size_t t = 0; t < n_targets; ++t) {
    if (!o.bigwig.empty() || !o.bedgraph.empty())
      sinks.push_back(make_track_sink(per_target_path(o.bigwig, labels[t], n_targets),
                                      per_target_path(o.bedgraph, labels[t], n_targets),
                                      *source.genome(), static_cast<int64_t>(t), shape.provenance));
    if (!o.h5.empty())
      sinks.push_back(make_h5_sink(per_target_path(o.h5, labels[t], n_targets), shape,
                                   static_cast<int64_t>(t)));
  }
  if (!o.modisco.empty()) sinks.push_back(make_modisco_sink(o.modisco, shape));
  if (!o.regions_out.empty()) sinks.push_back(make_regions_tsv_sink(o.regions_out, shape));

  const std::string src_name = !o.input.fasta.empty()     ? o.input.fasta
                               : !o.input.regions.empty() ? o.input.regions
                                                          : "--region";
  ScoreSummary summary;
  summary.targets = T;
  summary.references = K;
  summary.reference_description = refs->describe();
  summary.target_names = labels;
  Progress progress(counted.regions, o.progress, o.progress_interval);
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
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      try {
        std::vector<float> local;
        if (!refs->ordered()) {
          local.resize(K * n_in);
          refs->make(chunk[i], local.data());
        }
        const bool minus = chunk[i].window && chunk[i].window->strand == '-';
        // Extra inputs for this region, and for its other strand (--revcomp-average).
        std::vector<float> extra(extras.size()), extra_other;
        if (extras.size() > 0) {
          extras.fill(chunk[i], extra.data());
          extra_other = extra;
          if (o.revcomp_average && chunk[i].window) {
            Region other = chunk[i];
            other.window->strand = minus ? '+' : '-';
            extras.fill(other, extra_other.data());
          }
        }
        results[i] = score_region(explainers, x.data() + i * n_in,
                                  refs->ordered() ? chunk_refs[i].data() : local.data(), K, length,
                                  minus, o.revcomp_average, extra.empty() ? nullptr : extra.data(),
                                  extra_other.empty() ? nullptr : extra_other.data());
        progress.tick();
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
        // NaN is reported as NaN, never as 0 (std::max would drop it).
        if (std::isnan(r.e.delta_error[j]) || std::isnan(summary.worst_delta_error))
          summary.worst_delta_error = std::numeric_limits<double>::quiet_NaN();
        else
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
  progress.finish();
  for (auto& sink : sinks) sink->finish();
  for (auto& sink : sinks)
    for (auto& p : sink->paths()) summary.files.push_back(p);
  transaction.commit();
  return summary;
}

}  // namespace seqlift
