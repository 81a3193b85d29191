// Shared by the subcommands: option groups and the run wrapper that maps exceptions
// to exit codes (0 ok, 1 usage, 2 data/IO).
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "seqlift/sequences.hpp"

namespace seqlift::app {

// Option groups of `--help`, in the order they are shown.
inline constexpr const char* kInputGroup = "Input";
inline constexpr const char* kModelGroup = "Model and targets";
inline constexpr const char* kReferenceGroup = "References";
inline constexpr const char* kOutputGroup = "Outputs";
inline constexpr const char* kPerformanceGroup = "Performance and logging";

/// Raw strings of the sequence options that need parsing after CLI11.
struct SequenceArgs {
  std::string edge = "pad";
  std::vector<std::string> region_strings, chroms;
};

/// --fasta | --genome (--regions | --region ...) [--chroms --width --edge] in the Input
/// group; `purpose` completes "Sequences to ..." (score, extract, shuffle, ...).
/// `model_width` documents that --width defaults to the model's input length.
void add_sequence_options(CLI::App& cmd, SequenceSourceOptions& opt, SequenceArgs& args,
                          const std::string& purpose, bool model_width = false);
/// Applies --edge, --region, --chroms; throws UsageError.
void finish_sequence_options(SequenceSourceOptions& opt, const SequenceArgs& args);
/// -m/--model PATH (required) and --weights W.h5 (Keras architecture JSON)
void add_model_options(CLI::App& cmd, std::string& model, std::string& weights);
/// --lambda NAME=EXPR (repeatable): Keras Lambda layers declared as x[...] slicing
void add_lambda_option(CLI::App& cmd, std::vector<std::string>& specs);
/// --extra-input NAME=VALUE (repeatable; see seqlift/extra_inputs.hpp)
void add_extra_input_option(CLI::App& cmd, std::vector<std::string>& specs);
/// --threads N (default: all cores)
void add_threads_option(CLI::App& cmd, int& threads);
int resolve_threads(int threads);

/// The command line as typed (shell-quoted where needed), for provenance.
void set_command_line(int argc, char** argv);
const std::string& command_line();

/// "stdout" for "-", else the path (for the summary line).
inline std::string out_name(const std::string& path) {
  return path.empty() || path == "-" ? "stdout" : path;
}

/// One line on stderr at the end of a run: what, seconds, peak memory, files written.
void log_summary(const std::string& what, const std::vector<std::string>& files = {});

struct Subcommand {
  const char* name;
  const char* help;
  /// Registers options on `cmd` and returns the action to run after parsing.
  std::function<std::function<void()>(CLI::App& cmd)> setup;
};

Subcommand extract_command();
Subcommand predict_command();
Subcommand inspect_command();
Subcommand score_command();
Subcommand shuffle_command();
Subcommand merge_command();
Subcommand seqlets_command();
Subcommand motifs_command();
Subcommand variants_command();
Subcommand ism_command();
Subcommand modisco_command();

}  // namespace seqlift::app
