// seqlift seqlets / seqlift motifs: from contributions to annotated motif summaries.
#include "common.hpp"
#include "seqlift/log.hpp"
#include "seqlift/motif_summary.hpp"

namespace seqlift::app {

Subcommand seqlets_command() {
  return {"seqlets", "Call seqlets (spans of high contribution) from score --npz files; BED",
          [](CLI::App& cmd) -> std::function<void()> {
            auto o = std::make_shared<SeqletRunOptions>();
            cmd.add_option("--npz", o->npz,
                           "score --npz output(s); several shards of one run are read as one")
                ->required()
                ->group(kInputGroup);
            cmd.add_option("--target", o->target,
                           "Which target: a name from the npz's target_names, or a position")
                ->capture_default_str()
                ->group(kInputGroup);
            cmd.add_option("--method", o->method, "recursive (tangermeme) | laplace (TF-MoDISco)")
                ->capture_default_str();
            cmd.add_option("--threshold", o->seqlets.threshold,
                           "recursive: p-value threshold; laplace: target FDR")
                ->capture_default_str();
            cmd.add_option("--min-len", o->seqlets.min_len, "Shortest seqlet core")
                ->capture_default_str();
            cmd.add_option("--max-len", o->seqlets.max_len,
                           "Longest seqlet core (laplace: window size)")
                ->capture_default_str();
            cmd.add_option("--flank", o->seqlets.flank, "Bases added on both sides")
                ->capture_default_str();
            cmd.add_option("--sign", o->seqlets.sign,
                           "positive | negative | both (positive by default: negative seqlets are "
                           "mostly noise)")
                ->capture_default_str()
                ->check(CLI::IsMember({"both", "positive", "negative"}));
            cmd.add_option("-o,--output", o->output, "Output BED ('-' = stdout)")
                ->capture_default_str()
                ->group(kOutputGroup);
            return [o] {
              const int64_t n = run_seqlets(*o);
              log_summary("seqlets: " + std::to_string(n) + " seqlets (" + o->method + ") from " +
                              std::to_string(o->npz.size()) + " npz",
                          {out_name(o->output)});
            };
          }};
}

Subcommand motifs_command() {
  return {"motifs", "Annotate seqlets against a MEME motif database: TSV tables and an HTML report",
          [](CLI::App& cmd) -> std::function<void()> {
            auto o = std::make_shared<MotifRunOptions>();
            cmd.add_option("--npz", o->npz,
                           "score --npz output(s) the seqlets came from (all shards of the run)")
                ->required()
                ->group(kInputGroup);
            cmd.add_option("--seqlets", o->seqlets, "seqlets BED from `seqlift seqlets`")
                ->required()
                ->group(kInputGroup);
            cmd.add_option("--motifs", o->motifs, "MEME motif database (e.g. JASPAR)")
                ->required()
                ->group(kInputGroup);
            cmd.add_option("--target", o->target,
                           "Which target: a name from the npz's target_names, or a position")
                ->capture_default_str()
                ->group(kInputGroup);
            cmd.add_option("-o,--out-dir", o->out_dir,
                           "Directory for seqlets.tsv, motifs.tsv, report.html")
                ->required()
                ->group(kOutputGroup);
            cmd.add_option("--max-q", o->max_q,
                           "motifs.tsv and report.html keep seqlets matched at this q-value")
                ->capture_default_str()
                ->group(kOutputGroup);
            return [o] {
              const MotifRunSummary s = run_motifs(*o);
              log_summary("motifs: " + std::to_string(s.seqlets) + " seqlets, " +
                              std::to_string(s.annotated) + " with a match at the q-value cut, " +
                              std::to_string(s.motifs_found) + " motifs",
                          {o->out_dir + "/seqlets.tsv", o->out_dir + "/motifs.tsv",
                           o->out_dir + "/report.html"});
            };
          }};
}

}  // namespace seqlift::app
