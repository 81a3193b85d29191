#include "seqlift/score.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <sstream>

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
      throw UsageError("--target '" + item + "' is not an output index 0.." + std::to_string(outputs - 1) +
                       " (or 'all')");
    t.push_back(v);
  }
  if (t.empty()) throw UsageError("--target is empty");
  return t;
}

namespace {

bool is_file(const std::string& p) { return access(p.c_str(), F_OK) == 0; }

std::unique_ptr<ReferenceSource> open_references(const ScoreOptions& o, int length) {
  const std::string& kind = o.references.kind;
  const bool builtin = kind == "dinuc" || kind == "dinuc-uniform" || kind == "gc" || kind == "gc-genome" ||
                       kind.rfind("flat:", 0) == 0;
  if (!builtin && (is_file(kind) || kind.find('.') != std::string::npos)) {
    if (!is_file(kind)) throw IoError(kind + ": no such references file");
    const int64_t inputs = count_regions(o.input), records = count_fasta_records(kind);
    if (records < inputs || records % inputs != 0)
      throw InputError(kind + ": " + std::to_string(records) + " reference records for " + std::to_string(inputs) +
                       " input regions; expected K consecutive records per region (a multiple of " +
                       std::to_string(inputs) + ")");
    return make_fasta_references(kind, records / inputs);
  }
  ReferenceOptions r = o.references;
  if (kind == "gc-genome") {
    if (r.genome.empty()) r.genome = o.input.genome;
    if (r.scored.empty()) r.scored = o.input.regions;
    r.length = length;
  }
  return make_reference_source(r);
}

// Per-region results kept until the chunk is written, in + strand orientation.
struct RegionResult {
  Explanation e;
  std::vector<float> ohe;
};

}  // namespace

ScoreSummary run_score(const ScoreOptions& o) {
  if (o.npz.empty()) throw UsageError("score needs an output: --npz FILE");
  auto model = load_model(o.model);
  for (int v : model->outputs())
    if (model->values()[v].shape.size() != 1)
      throw ModelError(o.model + ": output '" + model->values()[v].name + "' has per-sequence shape " +
                       shape_string(model->values()[v].shape) + "; only [N, T] outputs are supported for now");
  ExplainOptions eo;
  eo.rule = o.rule;
  eo.targets = parse_targets(o.targets, model->output_size());
  eo.explain_activated = o.explain_activated;
  Explainer explainer(*model, eo);
  const int length = model->input_length();
  auto refs = open_references(o, length);
  const int64_t K = refs->count(), T = eo.targets.size(), n_in = kAlphabetSize * int64_t(length);
  if (o.rule == Rule::kGradient)
    log_warn("--rule gradient is gradient x (X - R): it does NOT satisfy summation-to-delta");
  log_info("score: " + std::string(rule_string(o.rule)) + " rule, " + std::to_string(T) + " target(s)" +
           (explainer.explains_logits() ? " (logits under the final activation)" : "") + ", " + refs->describe() +
           ", " + std::to_string(o.threads) + " threads");

  SequenceSource source(o.input);
  const std::string src_name = o.input.fasta.empty() ? o.input.regions : o.input.fasta;
  ScoreSummary summary;
  summary.targets = T;
  summary.references = K;
  summary.reference_description = refs->describe();
  std::vector<float> all_ohe, all_hyp, all_proj, all_delta, all_pred;
  std::vector<std::string> names;
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
        const float* r;
        if (refs->ordered()) {
          r = chunk_refs[i].data();
        } else {
          local.resize(K * n_in);
          refs->make(chunk[i], local.data());
          r = local.data();
        }
        RegionResult& res = results[i];
        res.e = explainer.explain(x.data() + i * n_in, r, K);
        res.ohe.assign(x.begin() + i * n_in, x.begin() + (i + 1) * n_in);
        if (chunk[i].window && chunk[i].window->strand == '-') {  // back to + orientation
          std::vector<float> tmp(n_in);
          reverse_complement_4xl(res.ohe.data(), length, tmp.data());
          res.ohe.swap(tmp);
          for (int64_t t = 0; t < T; ++t) {
            reverse_complement_4xl(res.e.hypothetical.data() + t * n_in, length, tmp.data());
            std::copy(tmp.begin(), tmp.end(), res.e.hypothetical.begin() + t * n_in);
            reverse_complement_4xl(res.e.projected.data() + t * n_in, length, tmp.data());
            std::copy(tmp.begin(), tmp.end(), res.e.projected.begin() + t * n_in);
          }
        }
      } catch (const std::exception& e) {
#pragma omp critical
        if (error.empty()) error = e.what();
      }
    }
    if (!error.empty()) throw InputError(error);
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      const RegionResult& r = results[i];
      names.push_back(chunk[i].name);
      all_ohe.insert(all_ohe.end(), r.ohe.begin(), r.ohe.end());
      all_hyp.insert(all_hyp.end(), r.e.hypothetical.begin(), r.e.hypothetical.end());
      all_proj.insert(all_proj.end(), r.e.projected.begin(), r.e.projected.end());
      all_pred.insert(all_pred.end(), r.e.prediction.begin(), r.e.prediction.end());
      bool warned = false;
      for (int64_t j = 0; j < T * K; ++j) {
        all_delta.push_back(static_cast<float>(r.e.delta_error[j]));
        summary.worst_delta_error = std::max(summary.worst_delta_error, r.e.delta_error[j]);
        if (!warned && o.rule != Rule::kGradient && !delta_within_tolerance(r.e.delta_error[j], r.e.delta[j])) {
          warned = true;
          ++summary.regions_over_tolerance;
          char buf[160];
          std::snprintf(buf, sizeof buf, ": summation-to-delta error %.3g exceeds 1e-3 * max(1, |delta| = %.3g)",
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

  const int64_t N = summary.regions;
  NpzWriter npz(o.npz);
  npz.add("ohe", {N, 4, length}, all_ohe.data());
  npz.add("hyp", {N, T, 4, length}, all_hyp.data());
  npz.add("proj", {N, T, 4, length}, all_proj.data());
  npz.add("delta", {N, T, K}, all_delta.data());
  npz.add("pred", {N, T}, all_pred.data());
  npz.add_strings("names", names);
  npz.add("targets", {T}, eo.targets.data());
  npz.commit();
  return summary;
}

}  // namespace seqlift
