// Internal pieces of the TF-MoDISco implementation (src/motifs/modisco_*.cpp), exposed
// for the unit tests. Matrices are flat [width][channels] float arrays.
#pragma once
#include <cstdint>
#include <vector>

#include "seqlift/modisco.hpp"

namespace seqlift::modisco {

using Seqlet = ModiscoSeqlet;

/// Copies a seqlet's one-hot, contribution (one-hot * hypothetical) and hypothetical
/// values, [w][4] each, reverse-complemented when seqlet.revcomp. Any pointer may be null.
void extract(const ModiscoTracks& t, const Seqlet& s, float* seq, float* contrib, float* hyp);

/// TF-MoDISco's similarity features of a seqlet: per position [hyp(4) | contrib(4)], each
/// track divided by its own sum of |values|; `rev` is the same for the reverse complement.
void jaccard_features(const ModiscoTracks& t, const Seqlet& s, float* fwd, float* rev);

/// Continuous Jaccard of two equally long vectors: sum sign(x)sign(y)min(|x|,|y|) over
/// sum max(|x|,|y|); 0 when both are zero.
float continuous_jaccard(const float* x, const float* y, int64_t n);

/// Best continuous Jaccard of `x` ([wx][c]) placed at every offset o in [-pad, wy - wx + pad]
/// of `y` ([wy][c], zero beyond its ends). Returns the score and sets *offset (x column 0
/// at y column *offset).
float best_sliding_jaccard(const float* x, int64_t wx, const float* y, int64_t wy, int64_t c,
                           int64_t pad, int64_t* offset);

/// Sparse nearest-neighbour rows: for row i, entries [row_ptr[i], row_ptr[i+1]) of
/// (col, value).
struct SparseRows {
  std::vector<int64_t> row_ptr{0};
  std::vector<int32_t> col;
  std::vector<float> value;
  int64_t rows() const { return static_cast<int64_t>(row_ptr.size()) - 1; }
};

/// Coarse then fine similarity of every seqlet (all of one width) to its neighbours:
/// hashed gapped-3-mer embeddings of the top positions (both strands, cosine) choose
/// `neighbors` candidates per seqlet; their continuous Jaccard (both strands, offsets with
/// min_overlap) is computed and the best `keep` are returned. When correlation_threshold
/// is finite, rows whose fine and coarse similarities correlate (Spearman) at or below it
/// are flagged in *dropped. Memory O(n * keep + block * n); parallel over rows.
SparseRows seqlet_similarities(const ModiscoTracks& t, const std::vector<Seqlet>& seqlets, int sign,
                               const ModiscoOptions& o, int64_t keep, double correlation_threshold,
                               std::vector<char>* dropped);

/// Undirected weighted graph as symmetric rows (both directions stored; self loops once).
using Graph = SparseRows;

/// TF-MoDISco's density adaptation of Jaccard similarities: distance log(2/s - 1),
/// symmetrised by averaging, per-row kernels exp(-d / beta) with beta the precision that
/// gives `perplexity` (as tfmodisco-lite), geometric mean of the two rows' kernels, self
/// loops 1/normaliser.
Graph density_adapted_graph(const SparseRows& sims, double perplexity);

/// t-SNE conditional probabilities of each row's k nearest (by similarity) at
/// `perplexity`, symmetrised (P + P^T) and normalised to sum 1.
Graph tsne_graph(const SparseRows& sims, double perplexity);

/// Leiden (igraph_community_leiden, modularity objective) with `runs` seeds; returns the
/// membership of the best-modularity partition, clusters numbered by decreasing size.
std::vector<int> leiden_clusters(const Graph& g, int runs);

/// A set of seqlets of one width aligned at column 0, with mean tracks [w][4].
struct Pattern {
  std::vector<Seqlet> seqlets;
  int64_t width = 0;
  std::vector<double> seq, contrib, hyp;
};
/// Builds a pattern (dropping duplicate coordinates) and its means.
Pattern make_pattern(const ModiscoTracks& t, std::vector<Seqlet> seqlets);

/// Aggregates clustered seqlets into polished patterns of the metacluster's sign.
std::vector<Pattern> patterns_from_clusters(const ModiscoTracks& t,
                                            const std::vector<Seqlet>& seqlets,
                                            const std::vector<int>& clusters, int sign,
                                            const ModiscoOptions& o, const std::vector<double>& bg);

/// Splits patterns into Leiden subclusters (perplexity subcluster_perplexity) and merges
/// patterns whose aligned CWMs are similar and whose seqlets cannot be told apart.
std::vector<Pattern> merge_patterns(const ModiscoTracks& t, std::vector<Pattern> patterns,
                                    const ModiscoOptions& o, const std::vector<double>& bg);

/// Subclusters of a final pattern (largest first).
std::vector<Pattern> subpatterns(const ModiscoTracks& t, const Pattern& p, const ModiscoOptions& o);

/// Per-position information content of a PPM [w][4] (bits) against bg.
std::vector<double> information_content(const std::vector<double>& ppm,
                                        const std::vector<double>& bg, double pseudocount);

}  // namespace seqlift::modisco
