// Graph rewrites after import (engine/optimize.hpp): composed index maps and convs
// narrowed to the window their reader uses give the same outputs and DeepLIFT scores
// as the graph as imported.
#include "engine/optimize.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/onnx_importer.hpp"
#include "onnx_builder.hpp"
#include "seqlift/deeplift.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

std::vector<float> random_values(std::size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, 0.3f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// x -> Conv(4->3, k5, pad 2) -> Relu -> Conv(3->2, k7, dil 2, pad 6) ->
//   Gather(channel 1) -> Slice[10:40] -> Slice[12:15]    (reads 3 of 40 positions)
//   and, when `second_reader`, also ReduceMean of the same conv (must stay whole).
std::string head_model(bool second_reader) {
  test::OnnxBuilder b(40);
  b.init("w1", {3, 4, 5}, random_values(60, 1));
  b.init("b1", {3}, random_values(3, 2));
  b.init("w2", {2, 3, 7}, random_values(42, 3));
  b.init("b2", {2}, random_values(2, 4));
  auto* c1 = b.node("Conv", {"x", "w1", "b1"}, "c1");
  test::OnnxBuilder::attr(c1, "pads", std::vector<int64_t>{2, 2});
  b.node("Relu", {"c1"}, "r1");
  auto* c2 = b.node("Conv", {"r1", "w2", "b2"}, "c2");
  test::OnnxBuilder::attr(c2, "pads", std::vector<int64_t>{6, 6});
  test::OnnxBuilder::attr(c2, "dilations", std::vector<int64_t>{2});
  b.init_ints("one", {1});
  auto* g = b.node("Gather", {"c2", "one"}, "g");
  test::OnnxBuilder::attr(g, "axis", int64_t(1));
  b.init_ints("s0", {10});
  b.init_ints("e0", {40});
  b.init_ints("ax", {2});
  b.node("Slice", {"g", "s0", "e0", "ax"}, "s1");
  b.init_ints("s1s", {12});
  b.init_ints("s1e", {15});
  b.node("Slice", {"s1", "s1s", "s1e", "ax"}, "y");
  b.output("y");
  if (second_reader) {
    auto* m = b.node("ReduceMean", {"c2"}, "mean");
    test::OnnxBuilder::attr(m, "axes", std::vector<int64_t>{2});
    test::OnnxBuilder::attr(m, "keepdims", int64_t(0));
    b.output("mean");
  }
  return b.save(test::temp_dir() + (second_reader ? "/two.onnx" : "/one.onnx"));
}

TEST(OptimizeModel, NarrowedConvMatchesImportedGraph) {
  for (bool second : {false, true}) {
    const std::string path = head_model(second);
    auto plain = load_onnx(path, 0);  // as imported, no rewrites
    auto opt = load_model(path);
    int narrowed = 0;
    for (const auto& n : opt->nodes()) narrowed += n.op.find("+window") != std::string::npos;
    EXPECT_EQ(narrowed, second ? 0 : 1);
    EXPECT_LT(opt->nodes().size(), plain->nodes().size());  // Gather+Slice+Slice composed
    const auto x = random_values(4 * 40 * 3, 9);
    const auto a = plain->predict(x.data(), 3), b = opt->predict(x.data(), 3);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6f);
    // DeepLIFT through the narrowed conv and the composed map.
    for (Rule rule : {Rule::kRescale, Rule::kRevealCancel}) {
      ExplainOptions o;
      o.rule = rule;
      Explainer ea(*plain, o), eb(*opt, o);
      const Explanation xa = ea.explain(x.data(), x.data() + 160, 2);
      const Explanation xb = eb.explain(x.data(), x.data() + 160, 2);
      for (std::size_t i = 0; i < xa.hypothetical.size(); ++i)
        EXPECT_NEAR(xa.hypothetical[i], xb.hypothetical[i], 1e-5f);
      for (double e : xb.delta_error) EXPECT_LE(e, 1e-5);
    }
  }
}

}  // namespace
}  // namespace seqlift
