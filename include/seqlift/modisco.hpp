// De novo motif discovery from contribution scores: TF-MoDISco's algorithm (seqlets ->
// coarse gapped-k-mer similarity -> continuous Jaccard on hypothetical contributions ->
// density-adapted kNN graph -> Leiden clustering -> aggregated, trimmed, merged and
// subclustered patterns with CWM / hCWM / PWM), and its tfmodisco-lite modisco.h5 layout.
//
// Coordinates are 0-based half-open positions within an example (a row of the input).
// Matrices are [width][A, C, G, T]. Nothing here keeps global state; discover_patterns is
// parallel inside (OpenMP, `threads`) and must not be called from several threads at once
// (igraph's random generator is global).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace seqlift {

/// Per-base one-hot sequence and hypothetical contributions of every example, kept as
/// [n][length][4] float32 (the contribution of a base is one_hot * hypothetical).
struct ModiscoTracks {
  int64_t n = 0, length = 0;
  std::vector<float> one_hot, hypothetical;  ///< [n][length][4]
  std::vector<std::string> names, chroms;    ///< per example ("" when unknown)
  std::vector<int64_t> starts;               ///< genome position of column 0 (0 if unknown)
  const float* ohe(int64_t example, int64_t pos) const {
    return one_hot.data() + (example * length + pos) * 4;
  }
  const float* hyp(int64_t example, int64_t pos) const {
    return hypothetical.data() + (example * length + pos) * 4;
  }
};

/// Reads seqlift `score --npz` shards (members ohe [N,4,L], hyp [N,T,4,L], names,
/// coords_*), concatenated in the order given; every shard must have the same L and T.
ModiscoTracks read_modisco_npz(const std::vector<std::string>& paths, int64_t target);
/// Reads the `score --modisco` pair (or any numpy .npz/.npy with arr_0 [N,4,L]).
ModiscoTracks read_modisco_pair(const std::string& ohe_path, const std::string& hyp_path);

struct ModiscoSeqlet {
  int64_t example = 0, start = 0, end = 0;  ///< 0-based half-open within the example
  bool revcomp = false;
};

struct ModiscoPattern {
  std::vector<std::array<double, 4>> sequence;      ///< PWM: mean one-hot, [w][4]
  std::vector<std::array<double, 4>> contrib;       ///< CWM: mean contribution
  std::vector<std::array<double, 4>> hypothetical;  ///< hCWM: mean hypothetical
  std::vector<ModiscoSeqlet> seqlets;               ///< all of width w, aligned at column 0
  std::vector<ModiscoPattern> subpatterns;          ///< Leiden subclusters, largest first
};

struct ModiscoOptions {
  int64_t window = 0;                   ///< central bases searched (0 = the whole example)
  int64_t core = 20;                    ///< seqlet core (TF-MoDISco sliding_window_size)
  int64_t flank = 5;                    ///< bases added on both sides of a seqlet core
  double fdr = 0.2;                     ///< seqlet calling target FDR (Laplace null)
  int64_t max_seqlets = 20000;          ///< per metacluster, strongest first
  int64_t min_metacluster = 100;        ///< fewer seqlets of a sign: no patterns of that sign
  int64_t neighbors = 500;              ///< kNN kept from the coarse similarity
  int coarse_dims = 128;                ///< hashed gapped-k-mer embedding size
  double min_overlap = 0.7;             ///< while sliding seqlets over each other
  double correlation_threshold = 0.15;  ///< coarse-vs-fine Spearman filter (round 1)
  double perplexity = 10;               ///< density adaptation
  int leiden_runs = 8;                  ///< seeds tried; the best modularity is kept
  int64_t trim_window = 30, initial_flank = 10, final_flank = 0;
  double subcluster_perplexity = 50;
  int64_t merging_subsample = 300, final_min_seqlets = 20, ic_window = 6;
  double min_ic = 0.6;
  int threads = 0;  ///< 0 = OpenMP default
  void validate() const;
};

struct ModiscoResult {
  std::vector<ModiscoPattern> positive, negative;
  int64_t positive_seqlets = 0, negative_seqlets = 0, window = 0;
  double seqlet_threshold = 0;
};

/// The central `window` bases of every example (all of it when window is 0 or >= length);
/// starts move with the crop. Pattern coordinates refer to the cropped examples, as in
/// tfmodisco-lite (its h5 attribute window_size says how wide they are).
ModiscoTracks crop_tracks(const ModiscoTracks& tracks, int64_t window);

/// Runs the whole discovery on crop_tracks(tracks, options.window). Throws UsageError on
/// bad options.
ModiscoResult discover_patterns(const ModiscoTracks& tracks, const ModiscoOptions& options);

/// Writes tfmodisco-lite's modisco.h5: attribute window_size; groups pos_patterns /
/// neg_patterns / pattern_{i} with sequence, contrib_scores, hypothetical_contribs
/// [w,4] float64 and seqlets/{n_seqlets [1], start, end, example_idx (int64), is_revcomp
/// (bool), sequence, contrib_scores, hypothetical_contribs [n,w,4] float32}; subpatterns
/// as pattern_{i}/subpattern_{j}. Written to PATH.tmp.PID and renamed when complete.
/// `tracks` are the uncropped tracks given to discover_patterns.
void write_modisco_h5(const std::string& path, const ModiscoResult& result,
                      const ModiscoTracks& tracks);

// ---- command ----
struct ModiscoRunOptions {
  std::vector<std::string> npz;  ///< seqlift score --npz shards
  std::string ohe, hyp;          ///< or the --modisco pair
  int64_t target = 0;
  std::string output = "modisco.h5";
  std::string motifs;   ///< MEME database for annotation ("" = none)
  double max_q = 0.05;  ///< report: matches shown up to this q-value
  ModiscoOptions modisco;
};
struct ModiscoRunSummary {
  int64_t positive_patterns = 0, negative_patterns = 0, seqlets = 0;
};
/// Writes OUTPUT (h5), OUTPUT-stem.meme (PWMs), .tsv (one row per pattern with its best
/// matches) and .html (report; matches only with --motifs).
ModiscoRunSummary run_modisco(const ModiscoRunOptions& options);

}  // namespace seqlift
