// seqlift: DeepLIFT contribution scores for genomics sequence models.
// Thin dispatcher: every subcommand parses its options and calls the library; only this
// file decides exit codes (0 ok, 1 usage, 2 data/IO).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <vector>

#include "common.hpp"
#include "seqlift/cores.hpp"
#include "seqlift/error.hpp"
#include "seqlift/isa.hpp"
#include "seqlift/log.hpp"
#include "seqlift/output.hpp"

namespace {

// The dispatch table: one line per subcommand, in the order `seqlift --help` lists them.
std::vector<seqlift::app::Subcommand> subcommands() {
  using namespace seqlift::app;
  std::vector<Subcommand> list;
  list.push_back(extract_command());
  list.push_back(predict_command());
  list.push_back(inspect_command());
  list.push_back(score_command());
  list.push_back(shuffle_command());
  list.push_back(merge_command());
  list.push_back(seqlets_command());
  list.push_back(motifs_command());
  list.push_back(modisco_command());
  list.push_back(variants_command());
  list.push_back(ism_command());
  return list;
}

}  // namespace

int main(int argc, char** argv) {
  try {  // first: the AVX-512 twin, when the CPU has it, does the whole run
    seqlift::hand_over_to_widest_isa(argv);
  } catch (const seqlift::UsageError& e) {
    std::cerr << "seqlift: " << e.what() << "\n";
    return 1;
  }
  seqlift::install_signal_cleanup();
  seqlift::set_default_threads();
  seqlift::app::set_command_line(argc, argv);
  CLI::App app{"seqlift " SEQLIFT_VERSION
               ": DeepLIFT contribution scores for genomics sequence models",
               "seqlift"};
  app.set_version_flag(
      "--version", std::string("seqlift ") + SEQLIFT_VERSION + " (" + seqlift::build_isa() + ")");
  app.require_subcommand(1);
  app.fallthrough();  // -q/--quiet may follow the subcommand
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "Only warnings and errors on stderr");
  std::function<void()> action;
  std::vector<std::pair<CLI::App*, std::function<std::function<void()>(CLI::App&)>>> cmds;
  for (auto& sc : subcommands()) cmds.emplace_back(app.add_subcommand(sc.name, sc.help), sc.setup);
  std::vector<std::function<void()>> actions;
  for (auto& [cmd, setup] : cmds) actions.push_back(setup(*cmd));
  // `seqlift help CMD` prints CMD's usage.
  std::string help_topic;
  auto* help = app.add_subcommand("help", "Show help for a subcommand");
  help->add_option("command", help_topic, "Subcommand");

  if (argc == 1) {  // as samtools: usage on stderr, exit 1 (a pipeline step missing its args)
    std::cerr << app.help();
    return 1;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // prints to stdout, exit 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "seqlift: " << e.what() << "\nRun 'seqlift --help' for usage.\n";
    return 1;
  }
  if (quiet) seqlift::set_log_level(seqlift::LogLevel::kWarning);
  if (help->parsed()) {
    for (auto& [cmd, setup] : cmds)
      if (help_topic == cmd->get_name()) {
        std::cout << cmd->help("seqlift");
        return 0;
      }
    if (!help_topic.empty()) {
      std::cerr << "seqlift: no subcommand '" << help_topic << "'\n";
      return 1;
    }
    std::cout << app.help();
    return 0;
  }
  try {
    seqlift::OutputTransaction outputs;  // every output of the command, or none
    for (std::size_t i = 0; i < cmds.size(); ++i)
      if (cmds[i].first->parsed()) actions[i]();
    outputs.commit();
  } catch (const seqlift::UsageError& e) {
    std::cerr << "seqlift: " << e.what() << "\n";
    return 1;
  } catch (const seqlift::Error& e) {
    std::cerr << "seqlift: error: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "seqlift: error: out of memory\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "seqlift: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
