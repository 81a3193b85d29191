#include "pipeline/score_checks.hpp"

#include <omp.h>
#include <unistd.h>

#include <climits>
#include <cstdio>

#include "seqlift/cores.hpp"
#include "seqlift/error.hpp"
#include "seqlift/log.hpp"
#include "seqlift/targets.hpp"

namespace seqlift {

namespace {
// Longest sequence a model is built for: the engine indexes values with int.
constexpr int64_t kMaxLength = INT_MAX / 8;
}  // namespace

void check_seed_and_counts(const ScoreOptions& o) {
  if (o.references.count <= 0 || o.references.count > INT_MAX)
    throw UsageError("--n-refs must be 1.." + std::to_string(INT_MAX) + " (got " +
                     std::to_string(o.references.count) + ")");
  if (o.length < 0 || o.length > kMaxLength)
    throw UsageError("--length must be 1.." + std::to_string(kMaxLength) + " (got " +
                     std::to_string(o.length) + ")");
  if (o.input.window.width < 0 || o.input.window.width > kMaxLength)
    throw UsageError("--width must be 0.." + std::to_string(kMaxLength) + " (got " +
                     std::to_string(o.input.window.width) + ")");
  if (o.threads < 0) throw UsageError("--threads must not be negative");
  if (o.chunk < 1) throw UsageError("chunk size must be positive");
}

std::vector<std::string> score_output_paths(const ScoreOptions& o,
                                            const std::vector<std::string>& labels) {
  std::vector<std::string> p = {o.npz, o.regions_out};
  const std::size_t n = labels.size();
  for (const auto& label : labels)
    for (const std::string* out : {&o.bigwig, &o.bedgraph, &o.h5})
      if (!out->empty()) p.push_back(per_target_path(*out, label, n));
  if (!o.modisco.empty()) {
    p.push_back(o.modisco + ".ohe.npz");
    for (const auto& label : labels) p.push_back(per_target_path(o.modisco + ".hyp.npz", label, n));
    p.push_back(o.modisco + ".regions.bed");
  }
  return p;
}

void check_memory(int64_t K, int64_t n_in, int64_t T, int64_t parallel) {
  // Per region in flight: K references, T x K delta errors, the chunk's input copy.
  const double bytes = double(parallel) * (double(K) * n_in * 4 + double(T) * K * 8 + n_in * 4);
  const double phys = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE));
  if (phys > 0 && bytes > 0.8 * phys) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%lld references of %lld bases for %lld regions at once need %.1f GB; the "
                  "machine has %.1f GB (lower --n-refs or --threads)",
                  (long long)K, (long long)(n_in / 4), (long long)parallel, bytes / 1e9,
                  phys / 1e9);
    throw UsageError(buf);
  }
}

int effective_threads(int requested, int64_t items) {
  const int cores = usable_cores();
  int t = requested > 0 ? requested : std::min(default_threads(), cores);
  if (t > cores) {
    log_warn("--threads " + std::to_string(t) + " is more than the " + std::to_string(cores) +
             " cores; using " + std::to_string(cores) + " (more threads only add memory)");
    t = cores;
  }
  if (items > 0 && t > items) t = static_cast<int>(items);
  return std::max(t, 1);
}

std::unique_ptr<Model> load_scoring_model(const std::string& path, const std::string& weights,
                                          int64_t length, int64_t width,
                                          const LambdaDeclarations& lambdas) {
  if (length < 0 || length > kMaxLength || width < 0 || width > kMaxLength)
    throw UsageError("--length/--width must be at most " + std::to_string(kMaxLength));
  const int64_t want = length > 0 ? length : width;
  auto model = load_model(path, static_cast<int>(want), weights, lambdas);
  if (length > 0 && width > 0 && length != width)
    throw UsageError("--length " + std::to_string(length) + " and --width " +
                     std::to_string(width) + " disagree");
  if (want > 0 && model->input_length() != want)
    throw UsageError(std::string(length > 0 ? "--length " : "--width ") + std::to_string(want) +
                     " but " + path + " takes sequences of " +
                     std::to_string(model->input_length()) + " bp");
  return model;
}

}  // namespace seqlift
