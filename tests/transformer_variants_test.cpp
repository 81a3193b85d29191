// Attention variants as PyTorch 1.13 exports them (tests/data/transformer, written by
// tests/fixtures/make_transformer_variants.py): sequence-first nn.MultiheadAttention with a
// constant causal mask vs the same weights written out op by op, RMSNorm + attention
// pooling + a gated product, and a data-dependent mask that must be refused.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "references/shuffle.hpp"
#include "seqlift/deeplift.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/npy.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

constexpr int kRefs = 5;

struct VariantRun {
  std::vector<Explanation> e;
  double worst_s2d = 0, scale = 0;  // max delta_error, max |delta|
};

VariantRun explain_variant(const std::string& name) {
  const std::string dir = test::test_data("transformer");
  auto model = load_model(dir + "/" + name + ".onnx");
  Explainer ex(*model, ExplainOptions{});
  std::mt19937 rng(7);
  VariantRun run;
  const NpyArray y = read_npy(dir + "/y_" + name + ".npy");
  const auto seqs = read_fasta(dir + "/x.fa");
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    const auto x = one_hot(seqs[i].sequence);
    std::vector<float> refs;
    for (const auto& r : dinuc_shuffle(seqs[i].sequence, kRefs, rng)) {
      auto oh = one_hot(r);
      refs.insert(refs.end(), oh.begin(), oh.end());
    }
    Explanation e = ex.explain(x.data(), refs.data(), kRefs);
    for (int64_t t = 0; t < e.targets; ++t) {
      EXPECT_NEAR(e.prediction[t], y.values[i * e.targets + t],
                  1e-4 * std::max(1.0, std::fabs(y.values[i * e.targets + t])))
          << name << " seq " << i << " output " << t;
      for (int64_t k = 0; k < kRefs; ++k) {
        run.worst_s2d = std::max(run.worst_s2d, e.delta_error[t * kRefs + k]);
        run.scale = std::max(run.scale, std::fabs(e.delta[t * kRefs + k]));
      }
    }
    run.e.push_back(std::move(e));
  }
  EXPECT_LE(run.worst_s2d, 1e-5 * run.scale) << name;
  std::printf("[ metric ] %s: s2d / S = %.3g\n", name.c_str(), run.worst_s2d / run.scale);
  return run;
}

// nn.MultiheadAttention (sequence-first: the batch axis moves to axis 1 and merges with
// the heads) and hand-written attention with Exp/ReduceSum/Div softmax and a written-out
// layer norm: the same function, so the same contributions (RULES.md: 1e-5 of max|hyp|).
TEST(TransformerVariants, SequenceFirstMultiheadAttentionEqualsHandWritten) {
  const VariantRun a = explain_variant("mha_seqfirst");
  const VariantRun b = explain_variant("mha_handwritten");
  double gap = 0, m = 0;
  for (std::size_t i = 0; i < a.e.size(); ++i)
    for (std::size_t j = 0; j < a.e[i].hypothetical.size(); ++j) {
      gap = std::max(gap, double(std::fabs(a.e[i].hypothetical[j] - b.e[i].hypothetical[j])));
      m = std::max(m, double(std::fabs(a.e[i].hypothetical[j])));
    }
  EXPECT_GT(m, 0.0);
  EXPECT_LE(gap, 1e-5 * m);
  std::printf("[ metric ] nn.MultiheadAttention vs hand-written: %.3g of max|hyp|\n", gap / m);
  const VariantRun c = explain_variant("mha_einsum");
  gap = 0;
  for (std::size_t i = 0; i < a.e.size(); ++i)
    for (std::size_t j = 0; j < a.e[i].hypothetical.size(); ++j)
      gap = std::max(gap, double(std::fabs(a.e[i].hypothetical[j] - c.e[i].hypothetical[j])));
  EXPECT_LE(gap, 1e-5 * m);
  std::printf("[ metric ] nn.MultiheadAttention vs einsum attention: %.3g of max|hyp|\n", gap / m);
}

TEST(TransformerVariants, RmsNormAttentionPoolingAndGateHoldSummationToDelta) {
  explain_variant("rms_pool");
}

TEST(TransformerVariants, DataDependentMaskIsRefusedByName) {
  try {
    load_model(test::test_data("transformer") + "/masked_by_input.onnx");
    FAIL() << "a mask computed from the input was accepted";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("data-dependent mask"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace seqlift

namespace seqlift {
namespace {

// `inspect` names the rule at each node: Shapley products (Mul of two computed tensors,
// MatMul of Q and K), the softmax decomposition, Rescale for Sqrt / Reciprocal.
TEST(TransformerVariants, InspectShowsTheRuleAtEachNode) {
  const auto r =
      test::run_cli("inspect --model " + test::test_data("transformer") + "/mha_seqfirst.onnx");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("shapley-product (matmul)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("softmax: rescale(exp) * rescale(1/sum), shapley-product"),
            std::string::npos);
  // kind (column 3) -> rule (last column)
  std::map<std::string, std::set<std::string>> rules;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> f;
    std::istringstream cols(line);
    for (std::string c; std::getline(cols, c, '\t');) f.push_back(c);
    if (f.size() == 7) rules[f[2]].insert(f[6]);
  }
  EXPECT_EQ(rules["Sqrt"], std::set<std::string>{"rescale"});
  EXPECT_EQ(rules["Reciprocal"], std::set<std::string>{"rescale"});
  EXPECT_EQ(rules["Product"], std::set<std::string>{"shapley-product"});  // c / sqrt(v)
  EXPECT_EQ(rules["Dense"], std::set<std::string>{"linear"});
}

}  // namespace
}  // namespace seqlift
