// MaxPool's argmax fast paths (non-overlapping windows, interior windows without bounds
// checks) against a brute-force PyTorch rule: first maximum, NaN wins, padding never does.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/layers/layers.hpp"

namespace seqlift {
namespace {

float brute_max(const std::vector<float>& x, const PoolParams& p, int64_t c, int64_t w) {
  float best = 0;
  bool any = false;
  for (int64_t k = 0; k < p.kernel; ++k) {
    const int64_t i = w * p.stride + k * p.dilation - p.pad_left;
    if (i < 0 || i >= p.length_in) continue;
    const float v = x[c * p.length_in + i];
    if (!any || v > best || std::isnan(v)) best = v;
    any = true;
  }
  return best;
}

TEST(MaxPoolFastPaths, EveryWindowShapeMatchesBruteForce) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> level(-2, 2);  // few values: many ties
  for (int64_t kernel : {2, 3, 4, 5, 6, 7, 8})
    for (int64_t stride : {kernel, int64_t(1), int64_t(2)})
      for (int64_t pad : {int64_t(0), int64_t(1), kernel - 1})
        for (bool ceil_mode : {false, true}) {
          PoolParams p;
          p.channels = 3;
          p.length_in = 37;
          p.kernel = kernel;
          p.stride = stride;
          p.pad_left = pad;
          p.pad_right = pad;
          p.ceil_mode = ceil_mode;
          if (p.length_out() <= 0) continue;
          std::vector<float> x(p.channels * p.length_in);
          for (auto& v : x) v = static_cast<float>(level(rng));
          x[5] = std::numeric_limits<float>::quiet_NaN();
          x[40] = -std::numeric_limits<float>::infinity();
          auto layer = make_maxpool("MaxPool", p);
          const int64_t lo = p.length_out();
          std::vector<float> y(p.channels * lo);
          layer->forward({x.data()}, y.data(), 1);
          for (int64_t c = 0; c < p.channels; ++c)
            for (int64_t w = 0; w < lo; ++w) {
              const float want = brute_max(x, p, c, w), got = y[c * lo + w];
              EXPECT_TRUE(std::isnan(want) ? std::isnan(got) : got == want)
                  << "kernel " << kernel << " stride " << stride << " pad " << pad << " ceil "
                  << ceil_mode << " c " << c << " w " << w << ": " << got << " vs " << want;
            }
        }
}

}  // namespace
}  // namespace seqlift
