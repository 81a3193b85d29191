#include "common.hpp"

#include <omp.h>

#include <cstdio>
#include <sstream>

#include "seqlift/cores.hpp"
#include "seqlift/error.hpp"
#include "seqlift/isa.hpp"
#include "seqlift/log.hpp"

namespace seqlift::app {

void add_sequence_options(CLI::App& cmd, SequenceSourceOptions& opt, SequenceArgs& args,
                          const std::string& purpose, bool model_width) {
  cmd.add_option("--fasta", opt.fasta, "Sequences to " + purpose + " (FASTA, plain or gzip)")
      ->group(kInputGroup);
  cmd.add_option("--genome", opt.genome, "Genome FASTA (indexed with faidx; built if missing)")
      ->group(kInputGroup);
  cmd.add_option("--regions", opt.regions, "BED3/BED6/narrowPeak regions in --genome to " + purpose)
      ->group(kInputGroup);
  cmd.add_option("--region", args.region_strings,
                 "A region CHROM:START-END (1-based inclusive, as samtools); repeatable; "
                 "instead of --regions")
      ->group(kInputGroup)
      ->allow_extra_args(false);
  cmd.add_option("--chroms", args.chroms,
                 "Only regions on these chromosomes (comma list, e.g. chr1,chr2)")
      ->group(kInputGroup)
      ->delimiter(',');
  cmd.add_option("--width", opt.window.width,
                 std::string("Window width centred on the summit (narrowPeak) or midpoint; ") +
                     (model_width ? "0 = the model's input length" : "0 = as given"))
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->group(kInputGroup);
  cmd.add_option("--edge", args.edge, "Windows running off a chromosome: pad (with N) or skip")
      ->capture_default_str()
      ->check(CLI::IsMember({"pad", "skip"}))
      ->group(kInputGroup);
}

void finish_sequence_options(SequenceSourceOptions& opt, const SequenceArgs& args) {
  opt.window.edge = args.edge == "skip" ? EdgeMode::kSkip : EdgeMode::kPad;
  for (const auto& r : args.region_strings) opt.region_list.push_back(parse_region_string(r));
  for (const auto& c : args.chroms)
    if (!c.empty()) opt.chroms.push_back(c);
  const bool genome_side = !opt.genome.empty() || !opt.regions.empty() || !opt.region_list.empty();
  if (!opt.fasta.empty() && genome_side)
    throw UsageError("--fasta cannot be combined with --genome/--regions/--region");
  if (opt.fasta.empty() && !genome_side)
    throw UsageError("no input: give --fasta, or --genome with --regions or --region");
  if (!opt.region_list.empty() && !opt.regions.empty())
    throw UsageError("--region cannot be combined with --regions");
  if (!opt.chroms.empty() && !opt.fasta.empty())
    throw UsageError("--chroms filters --regions/--region, not --fasta");
}

void add_model_options(CLI::App& cmd, std::string& model, std::string& weights) {
  cmd.add_option("-m,--model", model,
                 "Model: ONNX, Keras HDF5 (model.save) or Keras architecture JSON")
      ->required()
      ->group(kModelGroup);
  cmd.add_option("--weights", weights,
                 "Keras save_weights HDF5 for a JSON architecture (default: found beside it)")
      ->group(kModelGroup);
}

void add_extra_input_option(CLI::App& cmd, std::vector<std::string>& specs) {
  cmd.add_option("--extra-input", specs,
                 "A model input besides the sequence, held equal in X and references: "
                 "NAME=zeros | NAME=NUMBER | NAME=FILE.npy ([N, ...] or [...]) | "
                 "NAME=bigwig:PLUS.bw,MINUS.bw (control tracks at each region; repeatable)")
      ->type_size(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void add_lambda_option(CLI::App& cmd, std::vector<std::string>& specs) {
  cmd.add_option("--lambda", specs,
                 "Declare a Keras Lambda layer that only indexes its input, by name: "
                 "NAME='x[:, 2:-2]' (for lambdas whose bytecode is not recognised; repeatable)")
      ->type_size(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void add_threads_option(CLI::App& cmd, int& threads) {
  cmd.add_option("-t,--threads", threads, "Worker threads (0 = all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->group(kPerformanceGroup);
}

int resolve_threads(int threads) {
  return threads > 0 ? threads : default_threads();
}

namespace {
std::string g_command_line;
}

void set_command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    const bool plain = !a.empty() && a.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                         "OPQRSTUVWXYZ0123456789_-+=/.,:@%") == std::string::npos;
    if (!plain) {
      std::string q = "'";
      for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      a = q + "'";
    }
    s += (i ? " " : "") + a;
  }
  g_command_line = s;
}

const std::string& command_line() {
  return g_command_line;
}

void log_summary(const std::string& what, const std::vector<std::string>& files) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "; %.2f s; peak RSS %.1f MB; %s", elapsed_seconds(),
                peak_rss_bytes() / 1048576.0, build_isa());
  std::string wrote;
  for (const auto& f : files) wrote += (wrote.empty() ? "; wrote " : ", ") + f;
  log_info(what + buf + wrote);
}

}  // namespace seqlift::app
