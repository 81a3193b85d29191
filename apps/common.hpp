// Shared by the subcommands: option groups and the run wrapper that maps exceptions
// to exit codes (0 ok, 1 usage, 2 data/IO).
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "seqlift/sequences.hpp"

namespace seqlift::app {

/// --fasta | --genome --regions [--width --edge]
void add_sequence_options(CLI::App& cmd, SequenceSourceOptions& opt, std::string& edge);
/// Applies the --edge string; throws UsageError.
void finish_sequence_options(SequenceSourceOptions& opt, const std::string& edge);
/// -m/--model PATH (required) and --weights W.h5 (Keras architecture JSON)
void add_model_options(CLI::App& cmd, std::string& model, std::string& weights);
/// --threads N (default: all cores)
void add_threads_option(CLI::App& cmd, int& threads);
int resolve_threads(int threads);

/// One line on stderr at the end of a run: what, seconds, peak memory.
void log_summary(const std::string& what);

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

}  // namespace seqlift::app
