// seqlift extract: the windows a run would score, as FASTA on stdout (or --output).
#include "common.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/log.hpp"
#include "seqlift/output.hpp"

namespace seqlift::app {

Subcommand extract_command() {
  return {"extract", "Write the (windowed, strand-aware) sequences of the input as FASTA",
          [](CLI::App& cmd) -> std::function<void()> {
            struct Options {
              SequenceSourceOptions input;
              SequenceArgs args;
              std::string output = "-";
            };
            auto opt = std::make_shared<Options>();
            add_sequence_options(cmd, opt->input, opt->args, "extract");
            cmd.add_option("-o,--output", opt->output, "Output FASTA ('-' = stdout)")
                ->capture_default_str()
                ->group(kOutputGroup);
            return [opt] {
              finish_sequence_options(opt->input, opt->args);
              SequenceSource source(opt->input);
              OutputFile out(opt->output);
              Region region;
              std::size_t n = 0;
              while (source.next(region)) {
                write_fasta_record(out.get(), region.name, region.sequence);
                ++n;
              }
              out.commit();
              source.report();
              log_summary("extract: " + std::to_string(n) + " sequences", {out_name(opt->output)});
            };
          }};
}

}  // namespace seqlift::app
