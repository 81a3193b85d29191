#include "common.hpp"

#include <omp.h>

#include <cstdio>

#include "seqlift/error.hpp"
#include "seqlift/log.hpp"

namespace seqlift::app {

void add_sequence_options(CLI::App& cmd, SequenceSourceOptions& opt, std::string& edge) {
  cmd.add_option("--fasta", opt.fasta, "Sequences to score (FASTA, plain or gzip)");
  cmd.add_option("--genome", opt.genome, "Genome FASTA (indexed with faidx; built if missing)");
  cmd.add_option("--regions", opt.regions, "BED3/BED6/narrowPeak regions in --genome");
  cmd.add_option("--width", opt.window.width,
                 "Fixed window width centred on the summit (narrowPeak) or midpoint; 0 = as given")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--edge", edge, "Windows running off a chromosome: pad (with N) or skip")
      ->capture_default_str()
      ->check(CLI::IsMember({"pad", "skip"}));
}

void finish_sequence_options(SequenceSourceOptions& opt, const std::string& edge) {
  opt.window.edge = edge == "skip" ? EdgeMode::kSkip : EdgeMode::kPad;
  if (!opt.fasta.empty() && (!opt.genome.empty() || !opt.regions.empty()))
    throw UsageError("--fasta cannot be combined with --genome/--regions");
  if (opt.fasta.empty() && opt.genome.empty() && opt.regions.empty())
    throw UsageError("no input: give --fasta, or --genome with --regions");
}

void add_model_options(CLI::App& cmd, std::string& model, std::string& weights) {
  cmd.add_option("-m,--model", model,
                 "Model: ONNX, Keras HDF5 (model.save) or Keras architecture JSON")
      ->required();
  cmd.add_option("--weights", weights,
                 "Keras save_weights HDF5 for a JSON architecture (default: found beside it)");
}

void add_threads_option(CLI::App& cmd, int& threads) {
  cmd.add_option("-t,--threads", threads, "Worker threads (0 = all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

int resolve_threads(int threads) {
  return threads > 0 ? threads : omp_get_num_procs();
}

void log_summary(const std::string& what) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "; %.2f s; peak RSS %.1f MB", elapsed_seconds(),
                peak_rss_bytes() / 1048576.0);
  log_info(what + buf);
}

}  // namespace seqlift::app
