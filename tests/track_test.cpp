// TrackAssembler against a brute-force midpoint rule, with enough windows to spill
// several sorted index runs to disk and merge them.
#include "writers/track.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

namespace seqlift {
namespace {

struct Window {
  int chrom;
  int64_t start, end;
  std::vector<float> values;
};

// Per chromosome: base -> value by the midpoint rule (nearest centre; ties to the
// window that starts first, then to the one added first).
std::vector<std::map<int64_t, float>> brute_force(const std::vector<Window>& windows,
                                                  const std::vector<int64_t>& lengths) {
  std::vector<std::map<int64_t, float>> out(lengths.size());
  std::vector<std::map<int64_t, std::pair<double, std::pair<int64_t, std::size_t>>>> best(
      lengths.size());
  for (std::size_t w = 0; w < windows.size(); ++w) {
    const auto& win = windows[w];
    const double centre = 0.5 * (win.start + win.end);
    for (int64_t p = std::max<int64_t>(0, win.start); p < std::min(win.end, lengths[win.chrom]);
         ++p) {
      const double d = std::fabs(p + 0.5 - centre);
      auto it = best[win.chrom].find(p);
      const std::pair<int64_t, std::size_t> order{win.start, w};
      if (it == best[win.chrom].end() || d < it->second.first ||
          (d == it->second.first && order < it->second.second)) {
        best[win.chrom][p] = {d, order};
        out[win.chrom][p] = win.values[p - win.start];
      }
    }
  }
  return out;
}

TEST(TrackAssembler, ManyShuffledWindowsMatchBruteForce) {
  const std::vector<int64_t> lengths = {300000, 5000, 200000};
  std::mt19937_64 rng(3);
  std::vector<Window> windows;
  for (int i = 0; i < 40000; ++i) {  // > 2 spilled runs of 16384
    Window w;
    w.chrom = static_cast<int>(rng() % 3);
    const int64_t len = 1 + static_cast<int64_t>(rng() % 40);
    w.start = static_cast<int64_t>(rng() % (lengths[w.chrom] + 20)) - 10;  // some run off
    w.end = w.start + len;
    for (int64_t j = 0; j < len; ++j) w.values.push_back(static_cast<float>(rng() % 100000));
    windows.push_back(std::move(w));
  }
  TrackAssembler t({{"a", lengths[0]}, {"b", lengths[1]}, {"c", lengths[2]}});
  const char* names[] = {"a", "b", "c"};
  for (const auto& w : windows) t.add(names[w.chrom], w.start, w.end, w.values.data());

  const auto truth = brute_force(windows, lengths);
  for (int pass = 0; pass < 2; ++pass) {  // bigWig then bedGraph assemble the same track
    std::vector<std::map<int64_t, float>> got(3);
    std::string last_chrom;
    int64_t last_end = -1;
    t.assemble([&](const std::string& chrom, int64_t start, const float* v, int64_t n) {
      const int c = chrom[0] - 'a';
      if (chrom == last_chrom) {
        EXPECT_GE(start, last_end) << "runs out of order";
      }
      last_chrom = chrom;
      last_end = start + n;
      for (int64_t i = 0; i < n; ++i) EXPECT_TRUE(got[c].emplace(start + i, v[i]).second);
    });
    for (int c = 0; c < 3; ++c) EXPECT_EQ(got[c], truth[c]) << names[c] << " pass " << pass;
  }
}

TEST(TrackAssembler, LongTiledRunComesInBoundedPieces) {
  const int64_t length = 3 << 20;
  TrackAssembler t({{"chr1", length}});
  std::vector<float> v(2000);  // overlapping tiles: one covered run over the chromosome
  for (int64_t s = 0; s < length; s += 1000) {
    for (int i = 0; i < 2000; ++i) v[i] = static_cast<float>((s + i) % 977);
    t.add("chr1", s, s + 2000, v.data());
  }
  int64_t covered = 0, pieces = 0, next = 0;
  t.assemble([&](const std::string&, int64_t start, const float* vals, int64_t n) {
    EXPECT_EQ(start, next);
    EXPECT_LE(n, int64_t(1) << 20);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(vals[i], static_cast<float>((start + i) % 977));
    next = start + n;
    covered += n;
    ++pieces;
  });
  EXPECT_EQ(covered, length);
  EXPECT_EQ(pieces, 3);
}

}  // namespace
}  // namespace seqlift
