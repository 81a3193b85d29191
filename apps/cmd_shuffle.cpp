// seqlift shuffle: the references a score run would use, as FASTA (NAME_ref0, NAME_ref1, ...).
#include "common.hpp"
#include "seqlift/error.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/log.hpp"
#include "seqlift/output.hpp"
#include "seqlift/references.hpp"

namespace seqlift::app {

Subcommand shuffle_command() {
  return {"shuffle", "Write K references per input sequence as FASTA (K consecutive records each)",
          [](CLI::App& cmd) -> std::function<void()> {
            struct Options {
              SequenceSourceOptions input;
              ReferenceOptions refs;
              SequenceArgs args;
              std::string output = "-", seed = "0";
            };
            auto opt = std::make_shared<Options>();
            add_sequence_options(cmd, opt->input, opt->args, "shuffle");
            cmd.add_option("--kind", opt->refs.kind, "dinuc | dinuc-uniform | gc | gc-genome")
                ->capture_default_str()
                ->group(kReferenceGroup);
            cmd.add_option("-n,--n", opt->refs.count, "References per sequence")
                ->capture_default_str()
                ->check(CLI::PositiveNumber)
                ->group(kReferenceGroup);
            cmd.add_option("--seed", opt->seed, "Seed (0..2^64-1)")
                ->capture_default_str()
                ->group(kReferenceGroup);
            cmd.add_option("--exclude", opt->refs.exclude, "gc-genome: BED of regions to avoid")
                ->group(kReferenceGroup);
            cmd.add_option("-o,--output", opt->output, "Output FASTA ('-' = stdout)")
                ->capture_default_str()
                ->group(kOutputGroup);
            return [opt] {
              opt->refs.seed = parse_seed(opt->seed);
              auto& o = *opt;
              const ReferenceKind kind = parse_reference_kind(o.refs.kind);
              if (kind == ReferenceKind::kFlat)
                throw UsageError("--kind flat has no sequences to write");
              if (kind == ReferenceKind::kFasta)
                throw UsageError("--kind " + o.refs.kind +
                                 ": a FASTA file of references has nothing to generate");
              // gc-genome draws windows from --genome; the input is --fasta or --regions in it.
              SequenceSourceOptions in = o.input;
              if (kind == ReferenceKind::kGcGenome) {
                if (o.input.genome.empty()) throw UsageError("--kind gc-genome needs --genome");
                if (!in.fasta.empty()) in.genome.clear();
              }
              finish_sequence_options(in, o.args);
              SequenceSource source(in);
              std::unique_ptr<ReferenceSource> refs;
              OutputFile out(o.output);
              Region region;
              int64_t n = 0;
              while (source.next(region)) {
                if (!refs)
                  refs = make_reference_source(references_for_input(
                      o.refs, o.input.genome, static_cast<int64_t>(region.sequence.size())));
                const auto seqs = refs->sequences(region);
                for (std::size_t k = 0; k < seqs.size(); ++k)
                  write_fasta_record(out.get(), region.name + "_ref" + std::to_string(k), seqs[k]);
                ++n;
              }
              out.commit();
              source.report();
              log_summary("shuffle: " + std::to_string(n) + " sequences x " +
                              std::to_string(o.refs.count) + " references",
                          {out_name(o.output)});
            };
          }};
}

}  // namespace seqlift::app
