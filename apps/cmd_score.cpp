// seqlift score: DeepLIFT-SHAP contribution scores for every region.
#include "common.hpp"
#include "seqlift/log.hpp"
#include "seqlift/references.hpp"
#include "seqlift/score.hpp"

namespace seqlift::app {

Subcommand score_command() {
  return {
      "score", "DeepLIFT contributions of every base against references",
      [](CLI::App& cmd) -> std::function<void()> {
        struct Options {
          ScoreOptions score;
          SequenceArgs args;
          std::string rule = "rescale", shard, seed = "0";
        };
        auto opt = std::make_shared<Options>();
        auto& s = opt->score;
        s.threads = 0;
        add_sequence_options(cmd, s.input, opt->args, "score", true);
        cmd.add_option("--shard", opt->shard,
                       "Score every N-th region starting at I (I/N, 0-based)")
            ->group(kInputGroup);
        add_model_options(cmd, s.model, s.weights);
        add_extra_input_option(cmd, s.extra_inputs);
        add_lambda_option(cmd, s.lambdas);
        cmd.add_option("--target", s.targets,
                       "What to explain, comma list: counts | profile | output NAME | NAME:i | "
                       "profile:NAME | index | all (e.g. counts,profile: one run, files per "
                       "target)")
            ->capture_default_str()
            ->group(kModelGroup);
        cmd.add_option("--rule", opt->rule, "rescale | reveal-cancel | genomics | gradient")
            ->capture_default_str()
            ->group(kModelGroup);
        cmd.add_flag("--explain-activated", s.explain_activated,
                     "Explain a final Sigmoid/Softmax output instead of its logits")
            ->group(kModelGroup);
        cmd.add_flag(
               "--revcomp-average", s.revcomp_average,
               "Also score the reverse complement and average the strand-aligned contributions")
            ->group(kModelGroup);
        cmd.add_option("--references", s.references.kind,
                       "dinuc | dinuc-uniform | gc | gc-genome | flat:A,C,G,T | FASTA with K "
                       "records per region")
            ->capture_default_str()
            ->group(kReferenceGroup);
        cmd.add_option("--n-refs", s.references.count, "References per region (generated kinds)")
            ->capture_default_str()
            ->check(CLI::PositiveNumber)
            ->group(kReferenceGroup);
        cmd.add_option("--seed", opt->seed, "Seed for generated references (0..2^64-1)")
            ->capture_default_str()
            ->group(kReferenceGroup);
        cmd.add_option("--exclude", s.references.exclude,
                       "gc-genome: BED of regions the windows must avoid")
            ->group(kReferenceGroup);
        cmd.add_option("--npz", s.npz,
                       "Arrays (.npz): ohe, hyp, proj, delta, pred, names, coords, targets, "
                       "target_names, provenance")
            ->group(kOutputGroup);
        cmd.add_option("--bigwig", s.bigwig,
                       "Per-base projected contributions as bigWig (one per target: "
                       "OUT.LABEL.bw)")
            ->group(kOutputGroup);
        cmd.add_option("--bedgraph", s.bedgraph,
                       "The same values as bedGraph ('-' = stdout with one target)")
            ->group(kOutputGroup);
        cmd.add_option("--h5", s.h5,
                       "chrombpnet-style h5 (raw/seq, shap/seq, projected_shap/seq; one per "
                       "target), read by modisco motifs -i")
            ->group(kOutputGroup);
        cmd.add_option("--modisco", s.modisco,
                       "PREFIX for TF-MoDISco inputs: PREFIX.ohe.npz, PREFIX.hyp.npz")
            ->group(kOutputGroup);
        cmd.add_option("--regions-out", s.regions_out,
                       "Per-region TSV: prediction per target, worst delta error, GC ('-' = "
                       "stdout)")
            ->group(kOutputGroup);
        add_threads_option(cmd, s.threads);
        cmd.add_flag("--progress", s.progress,
                     "Progress lines on stderr even when it is not a terminal")
            ->group(kPerformanceGroup);
        cmd.add_option("--progress-interval", s.progress_interval,
                       "Seconds between progress lines when stderr is not a terminal")
            ->capture_default_str()
            ->check(CLI::NonNegativeNumber)
            ->group(kPerformanceGroup);
        cmd.add_option(
               "--length", s.length,
               "Sequence length for a model with a symbolic input length (default: --width)")
            ->group(kModelGroup);
        return [opt] {
          opt->score.references.seed = parse_seed(opt->seed);
          finish_sequence_options(opt->score.input, opt->args);
          if (!opt->shard.empty()) parse_shard(opt->shard, opt->score.input);
          opt->score.rule = parse_rule(opt->rule);
          opt->score.threads = resolve_threads(opt->score.threads);
          opt->score.command_line = command_line();
          const ScoreSummary sum = run_score(opt->score);
          char buf[256];
          std::snprintf(buf, sizeof buf,
                        "score: %lld regions x %lld references x %lld targets; worst "
                        "summation-to-delta error %.3g; "
                        "%lld regions over tolerance; %lld with NaN/Inf",
                        (long long)sum.regions, (long long)sum.references, (long long)sum.targets,
                        sum.worst_delta_error, (long long)sum.regions_over_tolerance,
                        (long long)sum.regions_not_finite);
          log_summary(buf, sum.files);
        };
      }};
}

}  // namespace seqlift::app
