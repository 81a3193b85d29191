// seqlift ism: in-silico saturation mutagenesis of every region.
#include "common.hpp"
#include "seqlift/ism.hpp"
#include "seqlift/log.hpp"

namespace seqlift::app {

Subcommand ism_command() {
  return {
      "ism", "In-silico saturation mutagenesis: effect of every substitution",
      [](CLI::App& cmd) -> std::function<void()> {
        struct Options {
          IsmOptions ism;
          SequenceArgs args;
          std::string rule = "rescale";
          bool no_cone = false, no_deeplift = false;
        };
        auto opt = std::make_shared<Options>();
        auto& s = opt->ism;
        s.threads = 0;
        add_model_options(cmd, s.model, s.weights);
        add_sequence_options(cmd, s.input, opt->args, "mutate", true);
        cmd.add_option("--target", s.targets,
                       "Output index(es): 0 | 0,2 | all | profile:OUTPUT (BPNet profile head)")
            ->capture_default_str()
            ->group(kModelGroup);
        cmd.add_flag("--activated", s.activated,
                     "Effects on a final Sigmoid/Softmax output instead of its logits")
            ->group(kModelGroup);
        cmd.add_option("--window", s.window, "Mutate only the central W positions (0 = all)")
            ->capture_default_str()
            ->check(CLI::NonNegativeNumber)
            ->group(kModelGroup);
        cmd.add_flag("--no-cone", opt->no_cone,
                     "Run every mutant through the whole network (no receptive-cone reuse)")
            ->group(kPerformanceGroup);
        cmd.add_option("--block", s.block, "Mutants per forward batch")
            ->capture_default_str()
            ->check(CLI::PositiveNumber)
            ->group(kPerformanceGroup);
        cmd.add_flag("--no-deeplift", opt->no_deeplift,
                     "Skip the per-region correlation with DeepLIFT projected scores")
            ->group(kModelGroup);
        cmd.add_option("--references", s.references.kind,
                       "DeepLIFT references: dinuc | dinuc-uniform | gc | gc-genome | flat:A,C,G,T")
            ->capture_default_str()
            ->group(kReferenceGroup);
        cmd.add_option("--n-refs", s.references.count, "DeepLIFT references per region")
            ->capture_default_str()
            ->check(CLI::PositiveNumber)
            ->group(kReferenceGroup);
        cmd.add_option("--seed", s.references.seed, "Seed for generated references")
            ->capture_default_str()
            ->group(kReferenceGroup);
        cmd.add_option("--rule", opt->rule, "DeepLIFT rule: rescale | reveal-cancel | genomics")
            ->capture_default_str()
            ->group(kModelGroup);
        cmd.add_option("--npz", s.npz,
                       "Arrays: ism [N, T, 4, L] effects, ohe, pred, corr, names, coords")
            ->group(kOutputGroup);
        cmd.add_option("--bigwig", s.bigwig, "Per-base max |effect| (first target) as bigWig")
            ->group(kOutputGroup);
        cmd.add_option("--regions-out", s.regions_out,
                       "Per-region TSV: prediction, mutants, correlation with DeepLIFT")
            ->group(kOutputGroup);
        add_threads_option(cmd, s.threads);
        return [opt] {
          finish_sequence_options(opt->ism.input, opt->args);
          opt->ism.rule = parse_rule(opt->rule);
          opt->ism.cone = !opt->no_cone;
          opt->ism.deeplift = !opt->no_deeplift;
          opt->ism.threads = resolve_threads(opt->ism.threads);
          const IsmSummary r = run_ism(opt->ism);
          char buf[320];
          std::snprintf(buf, sizeof buf,
                        "ism: %lld regions, %lld mutants in %.2f s (%.0f mutants/s, %s); "
                        "DeepLIFT correlation mean %.3f min %.3f (%.2f s)",
                        (long long)r.regions, (long long)r.mutants, r.seconds_ism,
                        r.seconds_ism > 0 ? r.mutants / r.seconds_ism : 0.0,
                        r.cone_nodes ? "receptive cone" : "full forward", r.mean_corr, r.min_corr,
                        r.seconds_deeplift);
          log_summary(buf);
        };
      }};
}

}  // namespace seqlift::app
