#include "seqlift/predict.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/extra_inputs.hpp"
#include "seqlift/output.hpp"
#include "seqlift/score.hpp"

namespace seqlift {

std::vector<float> encode_batch(const std::vector<Region>& regions, int length,
                                const std::string& source) {
  std::vector<float> x(regions.size() * kAlphabetSize * static_cast<std::size_t>(length));
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const auto& r = regions[i];
    if (static_cast<int>(r.sequence.size()) != length)
      throw InputError(source + ": record '" + r.name + "' has length " +
                       std::to_string(r.sequence.size()) + " but the model reads " +
                       std::to_string(length) + " bp (use --width " + std::to_string(length) +
                       " with --regions)");
    one_hot(r.sequence, x.data() + i * kAlphabetSize * length);
  }
  return x;
}

std::vector<float> predict_batch(const Model& model, const float* x, int64_t n, int threads,
                                 const float* extra) {
  const int64_t out_size = model.output_size(),
                in_size = kAlphabetSize * int64_t(model.input_length());
  std::vector<float> y(n * out_size);
  constexpr int64_t kChunk = 16;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(dynamic) num_threads(threads)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t b0 = c * kChunk, b = std::min(kChunk, n - b0);
    auto part =
        model.predict(x + b0 * in_size, b, extra ? extra + b0 * model.extra_size() : nullptr);
    std::memcpy(y.data() + b0 * out_size, part.data(), part.size() * sizeof(float));
  }
  return y;
}

std::vector<std::string> output_columns(const Model& model) {
  std::vector<std::string> cols;
  bool flat = true;
  for (int v : model.outputs()) flat = flat && model.values()[v].shape.size() == 1;
  if (flat) {
    for (int64_t i = 0; i < model.output_size(); ++i) cols.push_back("y" + std::to_string(i));
    return cols;
  }
  for (int v : model.outputs()) {
    const auto& info = model.values()[v];
    const int64_t n = numel(info.shape);
    for (int64_t e = 0; e < n; ++e) {
      std::string idx;
      int64_t rest = e;
      for (int64_t a = static_cast<int64_t>(info.shape.size()) - 1; a >= 0; --a) {
        idx = "." + std::to_string(rest % info.shape[a]) + idx;
        rest /= info.shape[a];
      }
      cols.push_back(info.name + idx);
    }
  }
  return cols;
}

void select_outputs(Model& model, const std::string& names) {
  std::vector<int> keep;
  std::string all;
  for (int v : model.outputs()) all += (all.empty() ? "" : ", ") + model.values()[v].name;
  std::size_t at = 0;
  while (at <= names.size()) {
    const auto comma = names.find(',', at);
    const std::string name =
        names.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? names.size() + 1 : comma + 1;
    int found = -1;
    for (int v : model.outputs())
      if (model.values()[v].name == name) found = v;
    if (found < 0)
      throw UsageError("--outputs: the model has no output '" + name + "' (outputs: " + all + ")");
    keep.push_back(found);
  }
  model.keep_outputs(std::move(keep));
}

PredictSummary run_predict(const PredictOptions& options) {
  PredictOptions o = options;
  PredictSummary summary;
  summary.threads = effective_threads(o.threads, 0);
  auto model = load_scoring_model(o.model, o.weights, o.length, o.input.window.width,
                                  parse_lambda_declarations(o.lambdas));
  if (o.input.fasta.empty() && o.input.window.width == 0)
    o.input.window.width = model->input_length();  // as score does
  if (o.logits) model->use_pre_activation_outputs();
  if (!o.outputs.empty()) select_outputs(*model, o.outputs);
  const ExtraInputs extras(*model, o.extra_inputs);
  SequenceSource source(o.input);
  const std::string src_name = !o.input.fasta.empty()     ? o.input.fasta
                               : !o.input.regions.empty() ? o.input.regions
                                                          : "--region";
  OutputFile out(o.output);
  std::fprintf(out.get(), "name");
  for (const auto& c : output_columns(*model)) std::fprintf(out.get(), "\t%s", c.c_str());
  std::fputc('\n', out.get());
  std::vector<Region> batch;
  Region region;
  // Batches of 256 sequences: enough to keep every thread busy, few enough that memory
  // does not grow with the input.
  auto flush = [&] {
    auto x = encode_batch(batch, model->input_length(), src_name);
    std::vector<float> extra(batch.size() * extras.size());
    for (std::size_t i = 0; i < batch.size() && extras.size() > 0; ++i)
      extras.fill(batch[i], extra.data() + i * extras.size());
    auto y = predict_batch(*model, x.data(), int64_t(batch.size()), summary.threads,
                           extra.empty() ? nullptr : extra.data());
    const int64_t t = model->output_size();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      std::fputs(batch[i].name.c_str(), out.get());
      for (int64_t j = 0; j < t; ++j) std::fprintf(out.get(), "\t%.9g", y[i * t + j]);
      std::fputc('\n', out.get());
    }
    summary.sequences += int64_t(batch.size());
    batch.clear();
  };
  while (source.next(region)) {
    batch.push_back(std::move(region));
    if (batch.size() == 256) flush();
  }
  if (!batch.empty()) flush();
  out.commit();
  source.report();
  return summary;
}

}  // namespace seqlift
