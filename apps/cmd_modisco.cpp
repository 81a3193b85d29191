// seqlift modisco: de novo motifs (TF-MoDISco's algorithm) from contribution scores.
#include "common.hpp"
#include "seqlift/log.hpp"
#include "seqlift/modisco.hpp"

namespace seqlift::app {

Subcommand modisco_command() {
  return {
      "modisco",
      "De novo motifs from contributions (TF-MoDISco's algorithm): modisco.h5, MEME, TSV, HTML",
      [](CLI::App& cmd) -> std::function<void()> {
        auto o = std::make_shared<ModiscoRunOptions>();
        auto& m = o->modisco;
        cmd.add_option("--npz", o->npz, "score --npz output(s); several shards are concatenated");
        cmd.add_option("--ohe", o->ohe,
                       "or: one-hot arr_0 [N,4,L] (score --modisco PREFIX.ohe.npz)");
        cmd.add_option("--hyp", o->hyp, "and: hypothetical contributions arr_0 [N,4,L]");
        cmd.add_option("--target", o->target, "Which target of the --npz")->capture_default_str();
        cmd.add_option("-o,--output", o->output,
                       "modisco.h5; STEM.meme, STEM.tsv and STEM.html are written beside it")
            ->capture_default_str();
        cmd.add_option("--motifs", o->motifs, "MEME database to annotate patterns (e.g. JASPAR)");
        cmd.add_option("--max-q", o->max_q,
                       "Report: database matches shown as significant up to this q")
            ->capture_default_str();
        cmd.add_option("-w,--window", m.window, "Central bases searched (0 = the whole window)")
            ->capture_default_str();
        cmd.add_option("--core", m.core, "Seqlet core width (TF-MoDISco sliding_window_size)")
            ->capture_default_str();
        cmd.add_option("--flank", m.flank, "Bases added on both sides of a seqlet core")
            ->capture_default_str();
        cmd.add_option("--fdr", m.fdr, "Seqlet calling target FDR (Laplace null)")
            ->capture_default_str();
        cmd.add_option("-n,--max-seqlets", m.max_seqlets,
                       "Seqlets per metacluster (strongest kept)")
            ->capture_default_str();
        cmd.add_option("--neighbors", m.neighbors,
                       "Candidates per seqlet from the coarse similarity")
            ->capture_default_str();
        cmd.add_option("-l,--leiden-runs", m.leiden_runs, "Leiden seeds (best modularity kept)")
            ->capture_default_str();
        cmd.add_option("--trim-window", m.trim_window, "Pattern width kept after IC trimming")
            ->capture_default_str();
        cmd.add_option("--initial-flank", m.initial_flank, "Flank added to patterns while building")
            ->capture_default_str();
        cmd.add_option("--final-flank", m.final_flank, "Flank added to final patterns")
            ->capture_default_str();
        cmd.add_option("--min-seqlets", m.final_min_seqlets, "Smallest pattern reported")
            ->capture_default_str();
        add_threads_option(cmd, m.threads);
        return [o] {
          const ModiscoRunSummary s = run_modisco(*o);
          log_summary("modisco: " + std::to_string(s.seqlets) + " seqlets, " +
                      std::to_string(s.positive_patterns) + " positive and " +
                      std::to_string(s.negative_patterns) + " negative patterns");
        };
      }};
}

}  // namespace seqlift::app
