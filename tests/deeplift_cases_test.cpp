// The hand-checkable cases of ../shared/fixtures/deeplift_cases.md (1-9), each as a tiny
// ONNX model whose input is [N, 4, L] (unused channels are zero).
#include <gtest/gtest.h>

#include <cmath>

#include "onnx_builder.hpp"
#include "seqlift/deeplift.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

using test::OnnxBuilder;

struct CaseRun {
  std::unique_ptr<Model> model;
  Explanation e;
};

CaseRun explain(OnnxBuilder& b, const std::string& name, const std::vector<float>& x,
                const std::vector<float>& refs, Rule rule, bool activated = false) {
  CaseRun r;
  r.model = load_model(b.save(test::temp_dir() + "/" + name + ".onnx"));
  ExplainOptions o;
  o.rule = rule;
  o.keep_multipliers = true;
  o.explain_activated = activated;
  Explainer ex(*r.model, o);
  r.e = ex.explain(x.data(), refs.data(), int64_t(refs.size() / x.size()));
  return r;
}

// Multiplier of input element i for target t, reference k.
float mult(const CaseRun& r, int64_t t, int64_t k, int64_t i) {
  const int64_t n = 4 * r.model->input_length();
  return r.e.multipliers[(t * r.e.refs + k) * n + i];
}

void dense_relu_case1(OnnxBuilder& b) {
  b.node("Flatten", {"x"}, "f");
  auto* g = b.node(
      "Gemm", {"f", b.init("w", {2, 4}, {1, 2, 3, 4, -1, -2, -3, -4}), b.init("b", {2}, {-1, 1})},
      "h");
  OnnxBuilder::attr(g, "transB", int64_t(1));
  b.node("Relu", {"h"}, "y");
  b.output("y");
}

TEST(DeepLiftCases, Case1DenseReluRescaleAndGradient) {
  for (float scale : {1.0f, 2.0f}) {
    OnnxBuilder b(1);
    dense_relu_case1(b);
    std::vector<float> x(4, scale), ref(4, 0.0f);
    CaseRun r = explain(b, "case1", x, ref, Rule::kRescale);
    const float m0 = scale == 1 ? 0.9f : 0.95f, m1 = scale == 1 ? 0.1f : 0.05f;
    for (int i = 0; i < 4; ++i) {
      EXPECT_NEAR(mult(r, 0, 0, i), m0 * (i + 1), 1e-6) << "task 0 input " << i << " x=" << scale;
      EXPECT_NEAR(mult(r, 1, 0, i), m1 * -(i + 1), 1e-6) << "task 1 input " << i << " x=" << scale;
    }
    CaseRun g = explain(b, "case1g", x, ref, Rule::kGradient);
    for (int i = 0; i < 4; ++i) {
      EXPECT_NEAR(mult(g, 0, 0, i), i + 1, 1e-6);
      EXPECT_NEAR(mult(g, 1, 0, i), 0, 1e-6);
    }
  }
}

TEST(DeepLiftCases, Case2RevealCancelDenseRelu) {
  OnnxBuilder b(1);
  b.node("Flatten", {"x"}, "f");
  auto* g = b.node("Gemm", {"f", b.init("w", {1, 4}, {1, -2, -3, 4}), b.init("b", {1}, {1})}, "h");
  OnnxBuilder::attr(g, "transB", int64_t(1));
  b.node("Relu", {"h"}, "y");
  b.output("y");
  std::vector<float> x = {-1, -1, 1, 1}, ref(4, 0.0f);
  for (Rule rule : {Rule::kRevealCancel, Rule::kGenomics}) {
    CaseRun r = explain(b, "case2", x, ref, rule);
    const float expect[4] = {0.625f, -1.5f, -1.875f, 3.0f};
    double sum = 0;
    for (int i = 0; i < 4; ++i) {
      EXPECT_NEAR(mult(r, 0, 0, i), expect[i], 1e-6) << rule_string(rule) << " input " << i;
      sum += x[i] * mult(r, 0, 0, i);
    }
    EXPECT_NEAR(sum, 2.0, 1e-6);
    EXPECT_NEAR(r.e.delta[0], 2.0, 1e-6);
  }
}

TEST(DeepLiftCases, Case3MinExampleRescaleVsRevealCancel) {
  OnnxBuilder b(1);
  b.node("Flatten", {"x"}, "f");
  auto* g1 = b.node("Gemm", {"f", b.init("wh", {1, 4}, {1, -1, 0, 0})}, "h");
  OnnxBuilder::attr(g1, "transB", int64_t(1));
  b.node("Relu", {"h"}, "rh");
  auto* g2 = b.node("Gemm", {"f", b.init("wa", {1, 4}, {1, 0, 0, 0})}, "a");
  OnnxBuilder::attr(g2, "transB", int64_t(1));
  b.node("Sub", {"a", "rh"}, "y");
  b.output("y");
  std::vector<float> x = {3, 1, 0, 0}, ref(4, 0.0f);
  CaseRun rs = explain(b, "case3", x, ref, Rule::kRescale);
  EXPECT_NEAR(x[0] * mult(rs, 0, 0, 0), 0.0, 1e-6);
  EXPECT_NEAR(x[1] * mult(rs, 0, 0, 1), 1.0, 1e-6);
  CaseRun rc = explain(b, "case3rc", x, ref, Rule::kRevealCancel);
  EXPECT_NEAR(x[0] * mult(rc, 0, 0, 0), 0.5, 1e-6);
  EXPECT_NEAR(x[1] * mult(rc, 0, 0, 1), 0.5, 1e-6);
}

void conv_case4(OnnxBuilder& b, int64_t stride) {
  // Conv weight [2 out, 4 in, 2]: out0 ch0 [-2,-1], ch1 [0,1]; out1 = -out0. Bias [-1, 1].
  std::vector<float> w(2 * 4 * 2, 0.0f);
  const float out0[2][2] = {{-2, -1}, {0, 1}};
  for (int c = 0; c < 2; ++c)
    for (int k = 0; k < 2; ++k) {
      w[(0 * 4 + c) * 2 + k] = out0[c][k];
      w[(1 * 4 + c) * 2 + k] = -out0[c][k];
    }
  auto* conv = b.node("Conv", {"x", b.init("w", {2, 4, 2}, w), b.init("b", {2}, {-1, 1})}, "c");
  OnnxBuilder::attr(conv, "strides", std::vector<int64_t>{stride});
  b.node("Flatten", {"c"}, "f");
  const int64_t lo = stride == 1 ? 3 : 2;
  std::vector<float> dw;
  for (int64_t o = 0; o < 2; ++o)
    for (int64_t l = 0; l < lo; ++l) dw.push_back(o == 0 ? 1.0f : -1.0f);
  auto* g = b.node("Gemm", {"f", b.init("dw", {1, 2 * lo}, dw), b.init("db", {1}, {1})}, "y");
  OnnxBuilder::attr(g, "transB", int64_t(1));
  b.output("y");
}

TEST(DeepLiftCases, Case4ConvValidReferenceOne) {
  std::vector<float> x(16, 0.0f), ref(16, 0.0f);
  for (int j = 0; j < 4; ++j) {
    x[0 * 4 + j] = -8.0f + j;
    x[1 * 4 + j] = -4.0f + j;
    ref[0 * 4 + j] = ref[1 * 4 + j] = 1.0f;
  }
  for (auto [stride, e0, e1] : {std::tuple<int64_t, std::vector<float>, std::vector<float>>{
                                    1, {-4, -6, -6, -2}, {0, 2, 2, 2}},
                                {2, {-4, -2, -4, -2}, {0, 2, 0, 2}}}) {
    OnnxBuilder b(4);
    conv_case4(b, stride);
    auto model = load_model(b.save(test::temp_dir() + "/case4.onnx"));
    auto act = model->predict(x.data(), 1);
    CaseRun r = explain(b, "case4", x, ref, Rule::kRescale);
    for (int j = 0; j < 4; ++j) {
      EXPECT_NEAR(mult(r, 0, 0, j), e0[j], 1e-6) << "stride " << stride << " ch0 pos " << j;
      EXPECT_NEAR(mult(r, 0, 0, 4 + j), e1[j], 1e-6) << "stride " << stride << " ch1 pos " << j;
    }
    EXPECT_LE(r.e.delta_error[0], 1e-4);
  }
}

TEST(DeepLiftCases, Case4ConvForwardValues) {
  OnnxBuilder b(4);
  auto* conv = b.node(
      "Conv", {"x", b.init("w", {1, 4, 2}, {-2, -1, 0, 1, 0, 0, 0, 0}), b.init("b", {1}, {-1})},
      "y");
  (void)conv;
  b.output("y");
  auto model = load_model(b.save(test::temp_dir() + "/case4f.onnx"));
  std::vector<float> x(16, 0.0f);
  for (int j = 0; j < 4; ++j) {
    x[j] = -8.0f + j;
    x[4 + j] = -4.0f + j;
  }
  auto y = model->predict(x.data(), 1);
  EXPECT_FLOAT_EQ(y[0], 19);
  EXPECT_FLOAT_EQ(y[1], 17);
  EXPECT_FLOAT_EQ(y[2], 15);
  for (auto& v : x) v += 8;  // example 1
  y = model->predict(x.data(), 1);
  EXPECT_FLOAT_EQ(y[0], 3);
  EXPECT_FLOAT_EQ(y[1], 1);
  EXPECT_FLOAT_EQ(y[2], -1);
}

void pool_case5(OnnxBuilder& b, const char* op) {
  auto* p = b.node(op, {"x"}, "p");
  OnnxBuilder::attr(p, "kernel_shape", std::vector<int64_t>{2});
  OnnxBuilder::attr(p, "strides", std::vector<int64_t>{1});
  b.node("Flatten", {"p"}, "f");
  std::vector<float> w(12, 0.0f);
  for (int l = 0; l < 3; ++l) {
    w[0 * 3 + l] = 2;
    w[1 * 3 + l] = 3;
  }
  auto* g = b.node("Gemm", {"f", b.init("w", {1, 12}, w)}, "y");
  OnnxBuilder::attr(g, "transB", int64_t(1));
  b.output("y");
}

TEST(DeepLiftCases, Case5MaxPoolAndAvgPoolRouting) {
  std::vector<float> x(16, 0.0f), ref(16, 0.0f);
  const float c0[4] = {0, 1, 4, 3}, c1[4] = {3, 2, 1, 0};
  for (int j = 0; j < 4; ++j) {
    x[j] = c0[j];
    x[4 + j] = c1[j];
  }
  OnnxBuilder b(4);
  pool_case5(b, "MaxPool");
  CaseRun r = explain(b, "case5", x, ref, Rule::kRescale);
  const float e0[4] = {0, 1, 2, 0}, e1[4] = {1, 1, 1, 0};
  for (int j = 0; j < 4; ++j) {
    EXPECT_NEAR(mult(r, 0, 0, j), 2 * e0[j], 1e-6) << "max ch0 " << j;
    EXPECT_NEAR(mult(r, 0, 0, 4 + j), 3 * e1[j], 1e-6) << "max ch1 " << j;
  }
  OnnxBuilder a(4);
  pool_case5(a, "AveragePool");
  CaseRun ra = explain(a, "case5a", x, ref, Rule::kRescale);
  const float ea[4] = {1, 2, 2, 1};
  for (int j = 0; j < 4; ++j) {
    EXPECT_NEAR(mult(ra, 0, 0, j), ea[j] * 0.5 * 2, 1e-6);
    EXPECT_NEAR(mult(ra, 0, 0, 4 + j), ea[j] * 0.5 * 3, 1e-6);
  }
}

TEST(DeepLiftCases, Case6CaptumReluModel) {
  OnnxBuilder b(1);
  b.node("Flatten", {"x"}, "f");
  auto* g = b.node(
      "Gemm", {"f", b.init("w", {2, 4}, {1, 0, 0, 0, 0, 1, 0, 0}), b.init("b", {2}, {0, -1.5})},
      "h");
  OnnxBuilder::attr(g, "transB", int64_t(1));
  b.node("Relu", {"h"}, "r");
  auto* g2 = b.node("Gemm", {"r", b.init("w2", {1, 2}, {2, 2})}, "y");
  OnnxBuilder::attr(g2, "transB", int64_t(1));
  b.output("y");
  std::vector<float> x = {1, 2, 0, 0}, ref(4, 0.0f);
  CaseRun r = explain(b, "case6", x, ref, Rule::kRescale);
  EXPECT_NEAR(x[0] * mult(r, 0, 0, 0), 2.0, 1e-6);
  EXPECT_NEAR(x[1] * mult(r, 0, 0, 1), 1.0, 1e-6);
  EXPECT_LE(r.e.delta_error[0], 1e-6);
}

TEST(DeepLiftCases, Case7MaxPoolCrossRule) {
  OnnxBuilder b(4);
  auto* p = b.node("MaxPool", {"x"}, "p");
  OnnxBuilder::attr(p, "kernel_shape", std::vector<int64_t>{4});
  b.node("Flatten", {"p"}, "f");
  auto* g = b.node("Gemm", {"f", b.init("w", {1, 4}, {1, 0, 0, 0})}, "y");
  OnnxBuilder::attr(g, "transB", int64_t(1));
  b.output("y");
  std::vector<float> x(16, 0.0f), refs(32, 0.0f);
  const float r0[4] = {1, 2, 3, 9}, r1[4] = {4, 8, 6, 7};
  for (int j = 0; j < 4; ++j) {
    x[j] = 1;
    refs[j] = r0[j];
    refs[16 + j] = r1[j];
  }
  CaseRun r = explain(b, "case7", x, refs, Rule::kRescale);
  const float a0[4] = {0, 0, 0, -8}, a1[4] = {0, -7, 0, 0};
  for (int j = 0; j < 4; ++j) {
    EXPECT_NEAR((x[j] - r0[j]) * mult(r, 0, 0, j), a0[j], 1e-6) << j;
    EXPECT_NEAR((x[j] - r1[j]) * mult(r, 0, 1, j), a1[j], 1e-6) << j;
  }
  EXPECT_LE(r.e.delta_error[0], 1e-6);
  EXPECT_LE(r.e.delta_error[1], 1e-6);
}

TEST(DeepLiftCases, Case8SigmoidActivatedOutput) {
  OnnxBuilder b(5);  // 4 x 5 = 20 inputs
  b.node("Flatten", {"x"}, "f");
  auto* g = b.node("Gemm", {"f", b.init("w", {1, 20}, std::vector<float>(20, 1.0f))}, "h");
  OnnxBuilder::attr(g, "transB", int64_t(1));
  b.node("Sigmoid", {"h"}, "y");
  b.output("y");
  // Flattened order of [4, 5] is c * 5 + j: fill it with 0..19.
  std::vector<float> x(20), ref(20, 0.0f);
  for (int i = 0; i < 20; ++i) x[i] = float(i);
  CaseRun r = explain(b, "case8", x, ref, Rule::kRescale, /*activated=*/true);
  double sum = 0;
  for (int i = 0; i < 20; ++i) {
    EXPECT_NEAR(x[i] * mult(r, 0, 0, i), i / 380.0, 1e-6) << i;
    sum += x[i] * mult(r, 0, 0, i);
  }
  EXPECT_NEAR(sum, 0.5, 1e-6);
  // By default the logit is explained: contributions are the inputs themselves.
  CaseRun logit = explain(b, "case8l", x, ref, Rule::kRescale);
  EXPECT_NEAR(mult(logit, 0, 0, 7), 1.0, 1e-6);
}

TEST(DeepLiftCases, Case9HypotheticalContributions) {
  // A one-hot input through conv + ReLU + dense; hypothetical H[b, j] = M[b, j] -
  // sum_c R[c, j] M[c, j], and sum_b H[b, j] X[b, j] is the actual contribution at j.
  OnnxBuilder b(6);
  std::vector<float> w(3 * 4 * 3);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(1.7f * i) * 0.8f;
  auto* conv =
      b.node("Conv", {"x", b.init("w", {3, 4, 3}, w), b.init("b", {3}, {0.1f, -0.2f, 0.05f})}, "c");
  OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1});
  b.node("Relu", {"c"}, "r");
  b.node("Flatten", {"r"}, "f");
  std::vector<float> dw(18);
  for (std::size_t i = 0; i < dw.size(); ++i) dw[i] = std::cos(0.9f * i);
  auto* g = b.node("Gemm", {"f", b.init("dw", {1, 18}, dw)}, "y");
  OnnxBuilder::attr(g, "transB", int64_t(1));
  b.output("y");
  const std::string xs = "ACGTTA", r0 = "TTACGA", r1 = "GATCAA";
  std::vector<float> x(24, 0), refs(48, 0);
  auto put = [](const std::string& s, float* out) {
    for (int j = 0; j < 6; ++j) out[std::string("ACGT").find(s[j]) * 6 + j] = 1;
  };
  put(xs, x.data());
  put(r0, refs.data());
  put(r1, refs.data() + 24);
  CaseRun r = explain(b, "case9", x, refs, Rule::kRescale);
  for (int j = 0; j < 6; ++j) {
    double actual = 0;  // mean over references of the contributions at j
    for (int k = 0; k < 2; ++k)
      for (int c = 0; c < 4; ++c)
        actual += (x[c * 6 + j] - refs[k * 24 + c * 6 + j]) * mult(r, 0, k, c * 6 + j) / 2;
    double projected = 0;
    for (int bb = 0; bb < 4; ++bb) {
      double h = 0;
      for (int k = 0; k < 2; ++k) {
        double rm = 0;
        for (int c = 0; c < 4; ++c) rm += refs[k * 24 + c * 6 + j] * mult(r, 0, k, c * 6 + j);
        h += (mult(r, 0, k, bb * 6 + j) - rm) / 2;
      }
      EXPECT_NEAR(r.e.hypothetical[bb * 6 + j], h, 1e-6) << "base " << bb << " pos " << j;
      EXPECT_NEAR(r.e.projected[bb * 6 + j], h * x[bb * 6 + j], 1e-6);
      projected += r.e.projected[bb * 6 + j];
    }
    EXPECT_NEAR(projected, actual, 1e-6) << "pos " << j;
  }
}

}  // namespace
}  // namespace seqlift

namespace seqlift {
namespace {

// BPNet profile head: target = sum_i w_i (l_i - mean l), w = softmax(l - mean l) of the
// sequence's own logits held constant; summation-to-delta holds for that linearisation.
TEST(ProfileTarget, WeightedMeanNormalisedLogits) {
  test::OnnxBuilder b(12);
  std::vector<float> w1(3 * 4 * 3), w2(3 * 3);
  for (std::size_t i = 0; i < w1.size(); ++i) w1[i] = std::sin(0.7f * i);
  for (std::size_t i = 0; i < w2.size(); ++i) w2[i] = std::cos(1.3f * i);
  auto* c1 = b.node(
      "Conv", {"x", b.init("w1", {3, 4, 3}, w1), b.init("b1", {3}, {0.1f, 0.0f, -0.1f})}, "c1");
  test::OnnxBuilder::attr(c1, "pads", std::vector<int64_t>{1, 1});
  b.node("Relu", {"c1"}, "r1");
  auto* c2 = b.node("Conv", {"r1", b.init("w2", {1, 3, 3}, w2)}, "c2");
  test::OnnxBuilder::attr(c2, "pads", std::vector<int64_t>{1, 1});
  b.node("Flatten", {"c2"}, "profile");
  b.output("profile");
  auto model = load_model(b.save(test::temp_dir() + "/profile.onnx"));
  ExplainOptions o;
  o.profile_output = "profile";
  Explainer ex(*model, o);
  const std::string xs = "ACGTTGCAACGT", rs = "TTGCAACGTACG";
  std::vector<float> x(48, 0), r(48, 0);
  for (int j = 0; j < 12; ++j) {
    x[std::string("ACGT").find(xs[j]) * 12 + j] = 1;
    r[std::string("ACGT").find(rs[j]) * 12 + j] = 1;
  }
  Explanation e = ex.explain(x.data(), r.data(), 1);
  ASSERT_EQ(e.targets, 1);
  auto lx = model->predict(x.data(), 1), lr = model->predict(r.data(), 1);
  double mean = 0, mx = -1e9, z = 0, value = 0, delta = 0;
  for (float v : lx) mean += v / 12.0, mx = std::max(mx, double(v));
  for (float v : lx) z += std::exp(v - mx);
  for (int i = 0; i < 12; ++i) {
    const double w = std::exp(lx[i] - mx) / z;
    value += w * (lx[i] - mean);
    delta += (w - 1.0 / 12) * (double(lx[i]) - lr[i]);
  }
  EXPECT_NEAR(e.explained[0], value, 1e-5);
  EXPECT_NEAR(e.delta[0], delta, 1e-5);
  EXPECT_LE(e.delta_error[0], 1e-5 * std::max(1.0, std::fabs(delta)));
  double sum = 0;
  for (int i = 0; i < 48; ++i) sum += e.projected[i];
  EXPECT_NEAR(sum, delta, 1e-4);  // one-hot reference: projected sums to the delta
}

}  // namespace
}  // namespace seqlift
