// One row per registered layer kind (kinds.def): each is built from ONNX and, where it
// has a Keras class or activation name, from Keras; its forward pass is checked against
// an independent formula written here, an elementwise kind's derivative (gradient rule)
// against finite differences of that formula, and summation-to-delta recomputed from the
// multipliers and the formula's own f(x) - f(r), never from Explanation::delta.
// A new kind is covered by adding one row to kind_cases.cpp (the registry test fails
// until then).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "engine/registry.hpp"
#include "kind_cases.hpp"
#include "seqlift/deeplift.hpp"
#include "seqlift/error.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

using namespace test;
const auto& cases = kind_cases;

Vec forward_of(const KindCase& c, const Vec& x) {
  if (c.forward) return c.forward(x);
  Vec y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = c.f(x[i]);
  return y;
}

Vec random_input(const KindCase& c, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(c.lo, c.hi);
  Vec x(4 * L);
  for (auto& v : x) {
    do v = u(rng);
    while (std::fabs(v) < 0.05);  // away from kinks at 0 (finite differences)
  }
  return x;
}

std::unique_ptr<Model> build_onnx(const KindCase& c, const std::string& dir) {
  Onnx b(L);
  b.set_opset(c.opset);
  b.output(c.onnx(b));
  return load_model(b.save(dir + "/k.onnx"));
}

void expect_forward(const Model& m, const Vec& x, const Vec& want_in, const std::string& what) {
  const auto xf = to_float(x);
  const auto y = m.predict(xf.data(), 1);
  // A Keras (L, C) output is written in Keras' own layout [L, C] (issue 17): compare the
  // engine-layout formula [C, L] transposed.
  Vec want = want_in;
  const Shape& os = m.values()[m.outputs()[0]].shape;
  if (what.rfind("Keras", 0) == 0 && os.size() == 2 && numel(os) == int64_t(want.size()))
    for (int64_t l = 0; l < os[0]; ++l)
      for (int64_t c = 0; c < os[1]; ++c) want[l * os[1] + c] = want_in[c * os[0] + l];
  ASSERT_EQ(y.size(), want.size()) << what;
  for (std::size_t i = 0; i < y.size(); ++i)
    EXPECT_NEAR(y[i], want[i], 1e-5 * std::max(1.0, std::fabs(want[i])))
        << what << " element " << i;
}

class Kinds : public ::testing::TestWithParam<KindCase> {};

// A case's ONNX model in a fresh folder and a random input in its range.
struct Built {
  std::string dir;
  Vec x;
  std::unique_ptr<Model> model;
};
Built build(const KindCase& c, std::mt19937& rng) {
  Built b;
  b.dir = test::temp_dir();
  b.x = random_input(c, rng);
  b.model = build_onnx(c, b.dir);
  return b;
}

TEST_P(Kinds, ForwardMatchesFormula) {
  const KindCase& c = GetParam();
  std::mt19937 rng(3);
  const auto [dir, x, onnx] = build(c, rng);
  expect_forward(*onnx, x, forward_of(c, x), std::string("ONNX ") + c.kind);
  if (c.keras.empty()) return;
  auto keras =
      load_model(test::write_keras_model(dir, c.keras, L, c.keras_weights, c.keras_inputs));
  expect_forward(*keras, x, c.keras_forward ? c.keras_forward(x) : forward_of(c, x),
                 std::string("Keras ") + c.kind);
}

ExplainOptions options(Rule rule) {
  ExplainOptions o;
  o.rule = rule;
  o.explain_activated = true;
  o.keep_multipliers = true;
  return o;
}

// Every node of the model has a DeepLIFT rule (a kind without one must refuse to explain).
bool has_rule(const Model& m) {
  for (const auto& node : m.nodes())
    if (!node.layer->has_rule()) return false;
  return true;
}

// The gradient rule's multipliers are the Jacobian dy_t/dx_i: checked entry by entry
// against central differences of the formula (for an elementwise kind, its derivative).
TEST_P(Kinds, GradientMatchesFiniteDifferences) {
  const KindCase& c = GetParam();
  std::mt19937 rng(5);
  const auto [dir, x, model] = build(c, rng);
  const auto xf = to_float(x);
  if (!has_rule(*model)) {
    EXPECT_THROW(Explainer(*model, options(Rule::kGradient)).explain(xf.data(), xf.data(), 1),
                 ModelError);
    return;
  }
  const Explainer ex(*model, options(Rule::kGradient));
  const Explanation e = ex.explain(xf.data(), xf.data(), 1);
  const int64_t n = 4 * L, T = e.targets;
  const double h = 1e-4;
  for (int64_t i = 0; i < n; ++i) {
    Vec up = x, down = x;
    up[i] += h, down[i] -= h;
    const Vec fu = forward_of(c, up), fd = forward_of(c, down);
    for (int64_t t = 0; t < T; ++t) {
      const double want = (fu[t] - fd[t]) / (2 * h);
      EXPECT_NEAR(e.multipliers[t * n + i], want, 1e-3 * std::max(1.0, std::fabs(want)))
          << c.kind << ": d y" << t << " / d x" << i << " at x = " << x[i];
    }
  }
}

// sum_i (x_i - r_i) m_i against formula(x) - formula(r) for every target and reference
// under every DeepLIFT rule: the explainer's own delta is never read.
void expect_sums_to_delta(const Model& model, const Vec& x, const Vec& refs,
                          const std::function<Vec(const Vec&)>& formula, const std::string& what) {
  const int64_t n = 4 * L, K = int64_t(refs.size()) / n;
  const auto xf = to_float(x), rf = to_float(refs);
  const Vec fx = formula(x);
  for (Rule rule : {Rule::kRescale, Rule::kRevealCancel, Rule::kGenomics}) {
    const Explanation e = Explainer(model, options(rule)).explain(xf.data(), rf.data(), K);
    ASSERT_EQ(e.targets, int64_t(fx.size())) << what;
    for (int64_t k = 0; k < K; ++k) {
      const Vec r(refs.begin() + k * n, refs.begin() + (k + 1) * n);
      const Vec fr = formula(r);
      for (int64_t t = 0; t < e.targets; ++t) {
        double sum = 0;
        const float* m = e.multipliers.data() + (t * K + k) * n;
        for (int64_t i = 0; i < n; ++i) sum += (x[i] - r[i]) * m[i];
        const double delta = fx[t] - fr[t];
        EXPECT_NEAR(sum, delta, 1e-3 * std::max(1.0, std::fabs(delta)))
            << what << " rule " << rule_string(rule) << " ref " << k << " target " << t;
      }
    }
  }
}

TEST_P(Kinds, SummationToDeltaFromFormula) {
  const KindCase& c = GetParam();
  std::mt19937 rng(7);
  const auto [dir, x, model] = build(c, rng);
  const int64_t K = 3;
  Vec refs;
  for (int64_t k = 0; k < K; ++k) {
    const Vec r = random_input(c, rng);
    refs.insert(refs.end(), r.begin(), r.end());
  }
  if (!has_rule(*model)) {  // a kind without a rule fails to explain
    const auto xf = to_float(x), rf = to_float(refs);
    EXPECT_THROW(Explainer(*model, options(Rule::kRescale)).explain(xf.data(), rf.data(), K),
                 ModelError);
    return;
  }
  expect_sums_to_delta(
      *model, x, refs, [&](const Vec& v) { return forward_of(c, v); }, c.kind);
}

// RevealCancel applies at a nonlinearity after a linear layer: an elementwise kind
// behind a Dense layer (MatMul over the length axis), summation-to-delta per rule.
TEST_P(Kinds, ElementwiseAfterDenseSumsToDelta) {
  const KindCase& c = GetParam();
  if (!c.f) return;  // only elementwise kinds have a RevealCancel side
  const std::string dir = test::temp_dir();
  Onnx b(L, 4, false, "in");
  b.set_opset(c.opset);
  const Vec w = dense_w();
  Vec wl(L * L);  // [L, L]; positive for a kind defined on positive inputs (Log)
  for (int64_t i = 0; i < L * L; ++i)
    wl[i] = 0.3 * (c.lo > 0 ? std::fabs(w[i % (L * 5)]) + 0.1 : w[i % (L * 5)]);
  b.node("MatMul", {"in", b.init("w", {L, L}, to_float(wl))}, "x");
  b.output(c.onnx(b));
  auto model = load_model(b.save(dir + "/dense_k.onnx"));
  auto pre = [&](const Vec& x) {
    Vec z(4 * L, 0.0);
    for (int ch = 0; ch < 4; ++ch)
      for (int64_t o = 0; o < L; ++o)
        for (int64_t l = 0; l < L; ++l) z[ch * L + o] += at(x, ch, l) * wl[l * L + o];
    return forward_of(c, z);
  };
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  const int64_t K = 3, n = 4 * L;
  Vec x(n), refs(K * n);
  for (auto& v : x) v = u(rng);
  for (auto& v : refs) v = u(rng);
  expect_sums_to_delta(*model, x, refs, pre, std::string(c.kind) + " after Dense");
}

INSTANTIATE_TEST_SUITE_P(Registered, Kinds, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.kind); });

// Every kinds.def fusion chain, written as PyTorch exports it (x -> op1 -> ... -> Mul(x, .)),
// imports as one node of its kind computing the kind's formula.
TEST(Registry, OnnxChainsFuseIntoTheirKind) {
  int chains = 0;
  for (const auto& k : registered_kinds()) {
    if (k.onnx_chain.empty()) continue;
    ++chains;
    const KindCase* c = nullptr;
    for (const auto& kc : cases())
      if (k.kind == kc.kind) c = &kc;
    ASSERT_NE(c, nullptr) << k.kind;
    Onnx b(L);
    std::string v = "x";
    for (std::size_t i = 0; i < k.onnx_chain.size(); ++i) {
      b.node(k.onnx_chain[i], {v}, "c" + std::to_string(i));
      v = "c" + std::to_string(i);
    }
    b.node("Mul", {"x", v}, "y");
    b.output("y");
    auto model = load_model(b.save(test::temp_dir() + "/chain.onnx"));
    ASSERT_EQ(model->nodes().size(), 1u) << k.kind;
    EXPECT_EQ(model->nodes()[0].layer->kind(), k.kind);
    std::mt19937 rng(13);
    const Vec x = random_input(*c, rng);
    const auto xf = to_float(x);
    const auto y = model->predict(xf.data(), 1);
    const Vec want = forward_of(*c, x);
    for (std::size_t i = 0; i < y.size(); ++i)
      EXPECT_NEAR(y[i], want[i], 1e-5 * std::max(1.0, std::fabs(want[i]))) << k.kind << " " << i;
  }
  EXPECT_GE(chains, 1);
}

// ---- the registry itself ----

TEST(Registry, ConsistentAndEveryKindHasATestRow) {
  EXPECT_NO_THROW(check_registry());
  std::set<std::string> tested;
  for (const auto& c : cases()) {
    EXPECT_NE(find_kind(c.kind), nullptr) << c.kind << " has a test row but no kinds.def row";
    EXPECT_TRUE(tested.insert(c.kind).second) << c.kind << " has two test rows";
  }
  for (const auto& k : registered_kinds())
    EXPECT_TRUE(tested.count(k.kind)) << k.kind << " is registered but has no row in kinds_test";
}

TEST(Registry, ImportersReadTheRegistry) {
  for (const auto& k : registered_kinds()) {
    for (const auto& op : k.onnx_ops) {
      EXPECT_EQ(find_kind_for_onnx_op(op), &k) << op;
      EXPECT_NE(supported_onnx_ops().find(op), std::string::npos) << op;
    }
    for (const auto& cls : k.keras_classes) EXPECT_EQ(find_kind_for_keras_class(cls), &k) << cls;
    for (const auto& a : k.keras_activations) EXPECT_EQ(find_kind_for_keras_activation(a), &k) << a;
  }
  EXPECT_EQ(find_kind_for_onnx_op("LpPool"), nullptr);
  EXPECT_EQ(find_kind("NoSuchKind"), nullptr);
}

}  // namespace
}  // namespace seqlift
