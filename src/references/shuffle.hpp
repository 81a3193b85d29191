// Internal: dinucleotide-preserving shuffles. Every shuffle keeps all 16 dinucleotide counts (N is
// a symbol of its own) and the first and last base.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace seqlift {

/// DeepLIFT / tangermeme semantics: the successor list of each symbol is permuted
/// (keeping its last entry) with numpy RandomState's permutation, repeatedly for
/// `n` shuffles; with std::mt19937(seed) this reproduces numpy.random.RandomState(seed).
/// Reaches only the shuffles whose last-exit tree is the input's.
std::vector<std::string> dinuc_shuffle(const std::string& seq, int n, std::mt19937& rng);

/// Uniform over all dinucleotide-preserving sequences with the same first and last
/// base (random last-exit arborescence by Wilson's algorithm, as Altschul & Erickson
/// 1985 / uShuffle).
std::string dinuc_shuffle_uniform(const std::string& seq, std::mt19937& rng);

/// numpy's legacy RandomState.permutation(n) drawn from an mt19937 stream.
std::vector<int64_t> numpy_permutation(int64_t n, std::mt19937& rng);

/// A seed for (user seed, region name, reference index): independent of thread count,
/// chunking and the region's position in the input.
uint32_t reference_seed(uint64_t seed, const std::string& region, int64_t k);

}  // namespace seqlift
