// seqlift merge: shard outputs of `score --npz` into one bigWig/bedGraph.
#include "common.hpp"
#include "seqlift/log.hpp"
#include "seqlift/merge.hpp"

namespace seqlift::app {

Subcommand merge_command() {
  return {"merge", "Merge sharded score --npz outputs into one bigWig/bedGraph track",
          [](CLI::App& cmd) -> std::function<void()> {
            auto o = std::make_shared<MergeOptions>();
            cmd.add_option("inputs", o->inputs, "score --npz files (one per shard)")
                ->required()
                ->group(kInputGroup);
            cmd.add_option("--genome", o->genome,
                           "Genome FASTA the regions came from (chromosome sizes)")
                ->required()
                ->group(kInputGroup);
            cmd.add_option("--target", o->target,
                           "Which target: a name from the npz's target_names, or a position")
                ->capture_default_str()
                ->group(kInputGroup);
            cmd.add_option("--bigwig", o->bigwig, "Output bigWig")->group(kOutputGroup);
            cmd.add_option("--bedgraph", o->bedgraph, "Output bedGraph ('-' = stdout)")
                ->group(kOutputGroup);
            return [o] {
              const int64_t n = run_merge(*o);
              std::vector<std::string> files;
              if (!o->bigwig.empty()) files.push_back(o->bigwig);
              if (!o->bedgraph.empty()) files.push_back(out_name(o->bedgraph));
              log_summary("merge: " + std::to_string(n) + " regions from " +
                              std::to_string(o->inputs.size()) + " files",
                          files);
            };
          }};
}

}  // namespace seqlift::app
