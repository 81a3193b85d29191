#include "seqlift/dna.hpp"

#include <algorithm>

namespace seqlift {

int base_index(char base) {
  switch (base) {
    case 'A':
    case 'a':
      return 0;
    case 'C':
    case 'c':
      return 1;
    case 'G':
    case 'g':
      return 2;
    case 'T':
    case 't':
      return 3;
    default:
      return -1;
  }
}

std::string normalize_sequence(std::string_view seq) {
  std::string out(seq.size(), 'N');
  for (std::size_t i = 0; i < seq.size(); ++i) {
    int b = base_index(seq[i]);
    if (b >= 0) out[i] = "ACGT"[b];
  }
  return out;
}

void one_hot(std::string_view seq, float* out) {
  const std::size_t length = seq.size();
  std::fill(out, out + kAlphabetSize * length, 0.0f);
  for (std::size_t j = 0; j < length; ++j) {
    int b = base_index(seq[j]);
    if (b >= 0) out[b * length + j] = 1.0f;
  }
}

std::vector<float> one_hot(std::string_view seq) {
  std::vector<float> out(kAlphabetSize * seq.size());
  one_hot(seq, out.data());
  return out;
}

std::string decode_one_hot(const float* ohe, std::size_t length) {
  std::string seq(length, 'N');
  for (std::size_t j = 0; j < length; ++j)
    for (int c = 0; c < kAlphabetSize; ++c)
      if (ohe[c * length + j] > 0.5f) seq[j] = "ACGT"[c];
  return seq;
}

static char complement(char b) {
  switch (b) {
    case 'A':
      return 'T';
    case 'C':
      return 'G';
    case 'G':
      return 'C';
    case 'T':
      return 'A';
    case 'a':
      return 't';
    case 'c':
      return 'g';
    case 'g':
      return 'c';
    case 't':
      return 'a';
    default:
      return b;
  }
}

std::string reverse_complement(std::string_view seq) {
  std::string out(seq.rbegin(), seq.rend());
  for (char& b : out) b = complement(b);
  return out;
}

void reverse_complement_4xl(const float* in, std::size_t length, float* out) {
  for (int c = 0; c < kAlphabetSize; ++c)
    for (std::size_t j = 0; j < length; ++j)
      out[(kAlphabetSize - 1 - c) * length + (length - 1 - j)] = in[c * length + j];
}

double gc_fraction(std::string_view seq) {
  std::size_t gc = 0, acgt = 0;
  for (char b : seq) {
    int i = base_index(b);
    if (i < 0) continue;
    ++acgt;
    gc += (i == 1 || i == 2);
  }
  return acgt ? static_cast<double>(gc) / acgt : 0.0;
}

}  // namespace seqlift
