// Keras 2 attention layers (LayerNormalization, MultiHeadAttention with its value passed
// as a call kwarg, Multiply, Softmax inside the network): the .h5 import predicts what
// the Keras-semantics interpreter of tests/fixtures/make_keras_fixtures.py computed, and
// explains exactly as the ONNX twin of the same weights (a different graph: Einsum,
// decomposed layer norm and softmax).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "references/shuffle.hpp"
#include "seqlift/deeplift.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/npy.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

TEST(KerasAttention, MultiHeadAttentionLayerNormMatchTheOnnxTwin) {
  const std::string dir = test::test_data("keras");
  auto keras = load_model(dir + "/attention.h5");
  auto twin = load_model(dir + "/attention_twin.onnx");
  int mha = 0, ln = 0;
  for (const auto& node : keras->nodes()) {
    mha += node.layer->kind() == "MatMul";
    ln += node.layer->kind() == "LayerNorm";
  }
  EXPECT_EQ(mha, 2);  // Q K^T and P V
  EXPECT_EQ(ln, 2);
  Explainer ek(*keras, ExplainOptions{}), et(*twin, ExplainOptions{});
  const NpyArray y = read_npy(dir + "/attention_y.npy");
  const auto seqs = read_fasta(dir + "/attention_x.fa");
  std::mt19937 rng(3);
  double gap = 0, m = 0, s2d = 0, scale = 0;
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    const auto x = one_hot(seqs[i].sequence);
    std::vector<float> refs;
    for (const auto& r : dinuc_shuffle(seqs[i].sequence, 4, rng)) {
      auto oh = one_hot(r);
      refs.insert(refs.end(), oh.begin(), oh.end());
    }
    const Explanation a = ek.explain(x.data(), refs.data(), 4);
    const Explanation b = et.explain(x.data(), refs.data(), 4);
    EXPECT_NEAR(a.prediction[0], y.values[i], 1e-5);
    for (std::size_t j = 0; j < a.hypothetical.size(); ++j) {
      gap = std::max(gap, double(std::fabs(a.hypothetical[j] - b.hypothetical[j])));
      m = std::max(m, double(std::fabs(a.hypothetical[j])));
    }
    for (int k = 0; k < 4; ++k) {
      s2d = std::max(s2d, a.delta_error[k]);
      scale = std::max(scale, std::fabs(a.delta[k]));
    }
  }
  EXPECT_GT(m, 0.0);
  EXPECT_LE(gap, 1e-5 * m);
  EXPECT_LE(s2d, 1e-5 * scale);
  std::printf("[ metric ] Keras attention vs ONNX twin: %.3g of max|hyp|, s2d / S %.3g\n", gap / m,
              s2d / scale);
}

}  // namespace
}  // namespace seqlift
