#include "seqlift/dna.hpp"

#include <gtest/gtest.h>

namespace seqlift {

TEST(Dna, OneHotOrderAndN) {
  auto x = one_hot("ACgtN");
  const float expect[4][5] = {{1, 0, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, 0, 1, 0, 0}, {0, 0, 0, 1, 0}};
  for (int c = 0; c < 4; ++c)
    for (int j = 0; j < 5; ++j) EXPECT_EQ(x[c * 5 + j], expect[c][j]) << c << "," << j;
  EXPECT_EQ(decode_one_hot(x.data(), 5), "ACGTN");
}

TEST(Dna, ReverseComplement) {
  EXPECT_EQ(reverse_complement("AACGTN"), "NACGTT");
  EXPECT_EQ(reverse_complement("acgT"), "Acgt");
  auto x = one_hot("AACGTN");
  std::vector<float> rc(x.size());
  reverse_complement_4xl(x.data(), 6, rc.data());
  EXPECT_EQ(decode_one_hot(rc.data(), 6), "NACGTT");
}

TEST(Dna, NormalizeAndGc) {
  EXPECT_EQ(normalize_sequence("acgtRYn"), "ACGTNNN");
  EXPECT_DOUBLE_EQ(gc_fraction("ACGTNN"), 0.5);
  EXPECT_DOUBLE_EQ(gc_fraction("NNN"), 0.0);
}

}  // namespace seqlift
