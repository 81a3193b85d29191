// Property: on random small networks that together use every layer kind, summation-to-
// delta holds for every (input, reference) pair, every target and every rule.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "onnx_builder.hpp"
#include "seqlift/deeplift.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

using test::OnnxBuilder;
constexpr int64_t kLen = 24;

struct Net {
  const char* name;
  std::function<void(OnnxBuilder&,
                     std::function<std::string(const std::string&, std::vector<int64_t>)>)>
      build;
};

std::vector<int64_t> v(std::initializer_list<int64_t> l) {
  return l;
}

const std::vector<Net>& nets() {
  static const std::vector<Net> all = {
      {"conv_leaky_grouped_elu_overlapmax_gelu",
       [](OnnxBuilder& b, auto w) {
         auto* c1 = b.node("Conv", {"x", w("w1", {8, 4, 5}), w("b1", {8})}, "c1");
         OnnxBuilder::attr(c1, "pads", v({2, 2}));
         auto* l = b.node("LeakyRelu", {"c1"}, "a1");
         OnnxBuilder::attr(l, "alpha", 0.1f);
         auto* c2 = b.node("Conv", {"a1", w("w2", {8, 4, 3}), w("b2", {8})}, "c2");
         OnnxBuilder::attr(c2, "pads", v({2, 2}));
         OnnxBuilder::attr(c2, "dilations", v({2}));
         OnnxBuilder::attr(c2, "group", int64_t(2));
         b.node("Elu", {"c2"}, "a2");
         auto* p = b.node("MaxPool", {"a2"}, "p");
         OnnxBuilder::attr(p, "kernel_shape", v({4}));
         OnnxBuilder::attr(p, "strides", v({2}));
         OnnxBuilder::attr(p, "ceil_mode", int64_t(1));
         b.node("Flatten", {"p"}, "f");
         auto* g = b.node("Gemm", {"f", w("w3", {6, 8 * 11}), w("b3", {6})}, "d");
         OnnxBuilder::attr(g, "transB", int64_t(1));
         b.node("Gelu", {"d"}, "a3");
         auto* o = b.node("Gemm", {"a3", w("w4", {2, 6}), w("b4", {2})}, "y");
         OnnxBuilder::attr(o, "transB", int64_t(1));
         b.output("y");
       }},
      {"strided_sigmoid_avgpool_tanh_globalavg_softplus_matmul",
       [](OnnxBuilder& b, auto w) {
         auto* c1 = b.node("Conv", {"x", w("w1", {6, 4, 3}), w("b1", {6})}, "c1");
         OnnxBuilder::attr(c1, "strides", v({2}));
         OnnxBuilder::attr(c1, "pads", v({1, 1}));
         b.node("Sigmoid", {"c1"}, "a1");
         auto* p = b.node("AveragePool", {"a1"}, "p");
         OnnxBuilder::attr(p, "kernel_shape", v({3}));
         OnnxBuilder::attr(p, "pads", v({1, 1}));
         OnnxBuilder::attr(p, "count_include_pad", int64_t(1));
         b.node("Conv", {"p", w("w2", {6, 6, 3}), w("b2", {6})}, "c2");
         b.node("Tanh", {"c2"}, "a2");
         b.node("GlobalAveragePool", {"a2"}, "g");
         b.node("Flatten", {"g"}, "f");
         auto* d = b.node("Gemm", {"f", w("w3", {6, 5}), w("b3", {5})}, "d");
         (void)d;
         b.node("Softplus", {"d"}, "a3");
         b.node("MatMul", {"a3", w("w4", {5, 3})}, "y");
         b.output("y");
       }},
      {"relu_batchnorm_residual_silu_globalmax",
       [](OnnxBuilder& b, auto w) {
         auto* c1 = b.node("Conv", {"x", w("w1", {6, 4, 5}), w("b1", {6})}, "c1");
         OnnxBuilder::attr(c1, "pads", v({2, 2}));
         b.node("Relu", {"c1"}, "a1");
         auto* bn =
             b.node("BatchNormalization",
                    {"a1", w("g", {6}), w("beta", {6}), w("mean", {6}), w("var_pos", {6})}, "bn");
         OnnxBuilder::attr(bn, "epsilon", 1e-3f);
         auto* c2 = b.node("Conv", {"bn", w("w2", {6, 6, 3}), w("b2", {6})}, "c2");
         OnnxBuilder::attr(c2, "pads", v({1, 1}));
         b.node("Add", {"bn", "c2"}, "res");
         b.node("Sigmoid", {"res"}, "sg");
         b.node("Mul", {"res", "sg"}, "silu");
         b.node("GlobalMaxPool", {"silu"}, "gm");
         b.node("Flatten", {"gm"}, "f");
         auto* g = b.node("Gemm", {"f", w("w3", {3, 6}), w("b3", {3})}, "y");
         OnnxBuilder::attr(g, "transB", int64_t(1));
         b.output("y");
       }},
      {"slice_pad_transpose_channels_last_dense_reduce_affine",
       [](OnnxBuilder& b, auto w) {
         auto* c1 = b.node("Conv", {"x", w("w1", {6, 4, 3}), w("b1", {6})}, "c1");
         OnnxBuilder::attr(c1, "pads", v({1, 1}));
         b.node("Relu", {"c1"}, "a1");
         b.node("Slice",
                {"a1", b.init_ints("st", {2}), b.init_ints("en", {22}), b.init_ints("ax", {2})},
                "s");
         b.node("Pad", {"s", b.init_ints("pads", {0, 0, 1, 0, 0, 3})}, "pd");
         auto* t = b.node("Transpose", {"pd"}, "t");
         OnnxBuilder::attr(t, "perm", v({0, 2, 1}));
         b.node("MatMul", {"t", w("wm", {6, 3})}, "mm");
         b.node("Tanh", {"mm"}, "a2");
         auto* r = b.node("ReduceMean", {"a2"}, "rm");
         OnnxBuilder::attr(r, "axes", v({1}));
         OnnxBuilder::attr(r, "keepdims", int64_t(0));
         b.node("Mul", {"rm", w("scale", {3})}, "ml");
         b.node("Add", {"ml", w("shift", {3})}, "ad");
         b.node("Sub", {w("c", {1}), "ad"}, "sb");
         b.node("Div", {"sb", b.init("two", {1}, {2.0f})}, "y");
         b.output("y");
       }},
      {"softplus_log_concat_gather_logsumexp_reshape",
       [](OnnxBuilder& b, auto w) {
         auto* c1 = b.node("Conv", {"x", w("w1", {4, 4, 3}), w("b1", {4})}, "c1");
         OnnxBuilder::attr(c1, "pads", v({1, 1}));
         b.node("Softplus", {"c1"}, "sp");
         b.node("Log", {"sp"}, "lg");
         auto* c2 = b.node("Conv", {"x", w("w2", {3, 4, 5}), w("b2", {3})}, "c2");
         OnnxBuilder::attr(c2, "pads", v({2, 2}));
         b.node("Exp", {"c2"}, "ex");
         auto* cat = b.node("Concat", {"lg", "ex"}, "cat");
         OnnxBuilder::attr(cat, "axis", int64_t(1));
         auto* ga = b.node("Gather", {"cat", b.init_ints("idx", {0, 2, 4, 6})}, "ga");
         OnnxBuilder::attr(ga, "axis", int64_t(1));
         auto* lse = b.node("ReduceLogSumExp", {"ga"}, "lse");
         OnnxBuilder::attr(lse, "axes", v({2}));
         b.node("Reshape", {"lse", b.init_ints("shape", {-1, 2, 2})}, "rs");
         b.node("ReduceSum", {"rs", b.init_ints("rax", {2})}, "rsum");
         b.node("Squeeze", {"rsum", b.init_ints("sq_axes", {2})}, "sq");
         b.node("Unsqueeze", {"sq", b.init_ints("us_axes", {1})}, "us");
         b.node("Flatten", {"us"}, "y");
         b.output("y");
       }},
      {"dense_softmax_head_explains_logits",
       [](OnnxBuilder& b, auto w) {
         auto* c1 = b.node("Conv", {"x", w("w1", {5, 4, 7}), w("b1", {5})}, "c1");
         (void)c1;
         b.node("Relu", {"c1"}, "a1");
         b.node("Flatten", {"a1"}, "f");
         auto* g = b.node("Gemm", {"f", w("w2", {8, 5 * 18}), w("b2", {8})}, "d");
         OnnxBuilder::attr(g, "transB", int64_t(1));
         b.node("Relu", {"d"}, "a2");
         auto* g2 = b.node("Gemm", {"a2", w("w3", {3, 8}), w("b3", {3})}, "logits");
         OnnxBuilder::attr(g2, "transB", int64_t(1));
         b.node("Softmax", {"logits"}, "y");
         b.output("y");
       }},
      {"attention_layernorm_products_math_logsoftmax_seqfirst",
       [](OnnxBuilder& b, auto w) {
         // conv -> (N, L, C) -> LayerNorm -> single-head attention written out with a
         // sequence-first detour -> gated product -> Sqrt/Reciprocal/Pow/Erf -> LogSoftmax
         // inside the network -> mean -> dense.
         auto* c1 = b.node("Conv", {"x", w("w1", {6, 4, 5}), w("b1", {6})}, "c1");
         OnnxBuilder::attr(c1, "pads", v({2, 2}));
         OnnxBuilder::attr(b.node("Transpose", {"c1"}, "h"), "perm", v({0, 2, 1}));
         auto* ln = b.node("LayerNormalization", {"h", w("g", {6}), w("be", {6})}, "n");
         OnnxBuilder::attr(ln, "axis", int64_t(-1));
         OnnxBuilder::attr(b.node("Transpose", {"n"}, "ns"), "perm", v({1, 0, 2}));  // (L, N, C)
         b.node("MatMul", {"ns", w("wq", {6, 6})}, "qs");
         OnnxBuilder::attr(b.node("Transpose", {"qs"}, "q"), "perm", v({1, 0, 2}));
         b.node("MatMul", {"n", w("wk", {6, 6})}, "k");
         b.node("MatMul", {"n", w("wv", {6, 6})}, "vv");
         OnnxBuilder::attr(b.node("Transpose", {"k"}, "kt"), "perm", v({0, 2, 1}));
         b.node("MatMul", {"q", "kt"}, "s");
         OnnxBuilder::attr(b.node("Softmax", {"s"}, "p"), "axis", int64_t(-1));
         b.node("MatMul", {"p", "vv"}, "o");
         b.node("ReduceMean", {"o"}, "om");  // [N, L, 1], keepdims
         OnnxBuilder::attr(b.model_node("om"), "axes", v({-1}));
         b.node("Mul", {"o", "om"}, "g1");  // broadcast product of two computed tensors
         b.node("Mul", {"g1", "g1"}, "sq");
         b.node("Add", {"sq", b.init("one", {1}, {1.0f})}, "sq1");
         b.node("Sqrt", {"sq1"}, "rt");
         b.node("Div", {"o", "rt"}, "u");  // a / b with b computed
         b.node("Erf", {"u"}, "e");
         b.node("Pow", {"rt", b.init("three", {}, {3.0f})}, "cube");
         b.node("Reciprocal", {"cube"}, "rc");
         b.node("Add", {"e", "rc"}, "z");
         OnnxBuilder::attr(b.node("LogSoftmax", {"z"}, "ls"), "axis", int64_t(1));
         b.node("ReduceMean", {"ls"}, "m");
         OnnxBuilder::attr(b.model_node("m"), "axes", v({1}));
         OnnxBuilder::attr(b.model_node("m"), "keepdims", int64_t(0));
         auto* o = b.node("Gemm", {"m", w("w4", {2, 6}), w("b4", {2})}, "y");
         OnnxBuilder::attr(o, "transB", int64_t(1));
         b.output("y");
       }},
      // Issue 17 kinds: Softmax and LogSoftmax inside the network (composite rules),
      // ReduceMax (gather + MaxPool), a rank-3 output.
      {"softmax_inside_logsoftmax_reducemax_rank3_output",
       [](OnnxBuilder& b, auto w) {
         auto* c1 = b.node("Conv", {"x", w("w1", {6, 4, 5}), w("b1", {6})}, "c1");
         OnnxBuilder::attr(c1, "pads", v({2, 2}));
         b.node("Relu", {"c1"}, "a1");
         auto* sm = b.node("Softmax", {"a1"}, "sm");
         OnnxBuilder::attr(sm, "axis", int64_t(1));
         auto* c2 = b.node("Conv", {"sm", w("w2", {3, 6, 3}), w("b2", {3})}, "c2");
         OnnxBuilder::attr(c2, "pads", v({1, 1}));
         auto* ls = b.node("LogSoftmax", {"c2"}, "ls");
         OnnxBuilder::attr(ls, "axis", int64_t(2));
         auto* rm = b.node("ReduceMax", {"ls"}, "rm");
         OnnxBuilder::attr(rm, "axes", v({2}));
         OnnxBuilder::attr(rm, "keepdims", int64_t(1));
         auto* cat = b.node("Concat", {"rm", "c2"}, "y");  // [N, 3, 25]
         OnnxBuilder::attr(cat, "axis", int64_t(2));
         b.output("y");
       }},
  };
  return all;
}

// Random weights for net.build(): normal(0, 0.6); "var*" tensors (BatchNorm variances)
// positive.
std::function<std::string(const std::string&, std::vector<int64_t>)> random_weights(
    OnnxBuilder& b, std::mt19937& rng) {
  return [&b, &rng](const std::string& name, std::vector<int64_t> dims) {
    std::normal_distribution<float> nd(0.0f, 0.6f);
    int64_t n = 1;
    for (auto d : dims) n *= d;
    std::vector<float> vals(n);
    for (auto& x : vals) x = name.rfind("var", 0) == 0 ? 0.5f + std::fabs(nd(rng)) : nd(rng);
    return b.init(name, dims, vals);
  };
}

class RandomNetworks : public ::testing::TestWithParam<std::tuple<int, Rule>> {};

TEST_P(RandomNetworks, SummationToDeltaEveryPair) {
  const auto [net_index, rule] = GetParam();
  const Net& net = nets()[net_index];
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    std::mt19937 rng(seed * 7919 + net_index);
    OnnxBuilder b(kLen);
    net.build(b, random_weights(b, rng));
    auto model =
        load_model(b.save(test::temp_dir() + "/prop_" + std::to_string(net_index) + ".onnx"));
    std::uniform_int_distribution<int> base(0, 3);
    auto random_one_hot = [&] {
      std::vector<float> x(4 * kLen, 0.0f);
      for (int64_t j = 0; j < kLen; ++j) x[base(rng) * kLen + j] = 1.0f;
      return x;
    };
    std::vector<float> x = random_one_hot(), refs;
    for (int k = 0; k < 3; ++k) {
      auto r = random_one_hot();
      refs.insert(refs.end(), r.begin(), r.end());
    }
    for (int c = 0; c < 4; ++c)  // plus a flat reference
      for (int64_t j = 0; j < kLen; ++j) refs.push_back(c == 0 || c == 3 ? 0.3f : 0.2f);
    ExplainOptions o;
    o.rule = rule;
    Explainer ex(*model, o);
    Explanation e = ex.explain(x.data(), refs.data(), 4);
    for (int64_t t = 0; t < e.targets; ++t)
      for (int64_t k = 0; k < 4; ++k) {
        const double fx = e.explained[t], fr = fx - e.delta[t * 4 + k];
        const double tol = 1e-5 * std::max({0.01, std::fabs(fx), std::fabs(fr)});
        EXPECT_LE(e.delta_error[t * 4 + k], tol)
            << net.name << " rule " << rule_string(rule) << " seed " << seed << " target " << t
            << " ref " << k << " delta " << e.delta[t * 4 + k];
      }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryLayerKind, RandomNetworks,
                         ::testing::Combine(::testing::Range(0, 7),
                                            ::testing::Values(Rule::kRescale, Rule::kRevealCancel,
                                                              Rule::kGenomics)));

// The gradient rule is labelled as not satisfying summation-to-delta: check that it
// indeed differs on a nonlinear network (so the property test above is not vacuous).
TEST(RandomNetworks, GradientRuleBreaksSummationToDelta) {
  OnnxBuilder b(kLen);
  std::mt19937 rng(3);
  nets()[0].build(b, random_weights(b, rng));
  auto model = load_model(b.save(test::temp_dir() + "/prop_grad.onnx"));
  std::vector<float> x(4 * kLen, 0.0f), r(4 * kLen, 0.0f);
  for (int64_t j = 0; j < kLen; ++j) {
    x[(j % 4) * kLen + j] = 1;
    r[((j + 1) % 4) * kLen + j] = 1;
  }
  ExplainOptions o;
  o.rule = Rule::kGradient;
  Explanation e = Explainer(*model, o).explain(x.data(), r.data(), 1);
  EXPECT_GT(e.delta_error[0], 1e-3 * std::fabs(e.delta[0]));
}

}  // namespace
}  // namespace seqlift
