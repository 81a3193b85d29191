// DNA sequences and their one-hot encoding.
// One-hot layout: float [4, L] row-major, channel order A, C, G, T; element (c, j) is at
// c * L + j. N (and any base that is not ACGT) is an all-zero column.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace seqlift {

constexpr int kAlphabetSize = 4;

/// Channel of an upper- or lower-case base (A=0, C=1, G=2, T=3), -1 for anything else.
int base_index(char base);

/// Upper-cased sequence with every non-ACGT letter replaced by N.
std::string normalize_sequence(std::string_view seq);

/// One-hot encode into out[4 * L] (overwritten). Lowercase is accepted.
void one_hot(std::string_view seq, float* out);
std::vector<float> one_hot(std::string_view seq);

/// Inverse of one_hot: the channel with value > 0.5 in each column, N when none.
std::string decode_one_hot(const float* ohe, std::size_t length);

/// Reverse complement (A<->T, C<->G, N stays N; case is preserved).
std::string reverse_complement(std::string_view seq);

/// Reverse complement of a [C=4, L] array (works for one-hot inputs and for per-base
/// contributions alike): out[3 - c][L - 1 - j] = in[c][j]. in and out must not overlap.
void reverse_complement_4xl(const float* in, std::size_t length, float* out);

/// Fraction of G+C among the ACGT bases (N ignored); 0 when there are none.
double gc_fraction(std::string_view seq);

}  // namespace seqlift
