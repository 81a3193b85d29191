// Sqrt, Reciprocal, Pow (constant exponent) and Erf: elementwise functions of one input
// under the Rescale rule, m_in = m_out (f(x) - f(r)) / (x - r). Ratios are computed in
// double from the float32 activations, with closed forms where the difference quotient
// would cancel (Reciprocal -1/(x r), Sqrt 1/(sqrt x + sqrt r), square x + r), and the
// derivative at the midpoint where |x - r| < 1e-6. A chain of these composes exactly
// (Sqrt then Reciprocal gives the Rescale of v^-1/2).
#include <cmath>

#include "engine/layers/attention_layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

enum class Fn { kSqrt, kReciprocal, kPow, kErf };
constexpr double kThreshold = 1e-6;
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;

class MathFunction final : public Layer {
 public:
  MathFunction(const std::string& kind, Fn fn, const Shape& shape, double p)
      : Layer(kind, {shape}), fn_(fn), p_(p) {
    output_shape_ = shape;
  }

  double f(double x) const {
    switch (fn_) {
      case Fn::kSqrt:
        return std::sqrt(x);
      case Fn::kReciprocal:
        return 1.0 / x;
      case Fn::kPow:
        return p_ == 2.0 ? x * x : std::pow(x, p_);
      case Fn::kErf:
        return std::erf(x);
    }
    return 0.0;
  }
  double derivative(double x) const {
    switch (fn_) {
      case Fn::kSqrt:
        return 0.5 / std::sqrt(x);
      case Fn::kReciprocal:
        return -1.0 / (x * x);
      case Fn::kPow:
        return p_ == 2.0 ? 2.0 * x : p_ * std::pow(x, p_ - 1.0);
      case Fn::kErf:
        return kTwoOverSqrtPi * std::exp(-x * x);
    }
    return 0.0;
  }
  // (f(x) - f(r)) / (x - r) without cancellation where a closed form exists.
  double ratio(double x, double r) const {
    const double d = x - r;
    if (std::fabs(d) < kThreshold) return derivative(0.5 * (x + r));
    switch (fn_) {
      case Fn::kSqrt:
        return 1.0 / (std::sqrt(x) + std::sqrt(r));
      case Fn::kReciprocal:
        return -1.0 / (x * r);
      case Fn::kPow:
        if (p_ == 2.0) return x + r;
        if (p_ == 1.0) return 1.0;
        break;
      case Fn::kErf:
        break;
    }
    return (f(x) - f(r)) / d;
  }

  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n = numel(output_shape_) * batch;
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(f(in[0][i]));
  }
  bool is_elementwise() const override { return true; }
  const char* rule_name() const override { return "rescale"; }
  bool backward_reads_inputs() const override { return true; }
  bool can_overwrite_input_multipliers() const override { return true; }

  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_);
    const float* x = ctx.in_act[0];
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const float* r = x + (1 + ctx.stream_ref[s]) * n;
      const float* m = ctx.out_mult + s * n;
      float* mi = in_mult[0] + s * n;
      for (int64_t i = 0; i < n; ++i) {
        const double q =
            ctx.rule == Rule::kGradient ? derivative(x[i]) : ratio(x[i], r[i]);
        const float v = static_cast<float>(m[i] * q);
        mi[i] = ctx.overwrite ? v : mi[i] + v;
      }
    }
  }

 private:
  Fn fn_;
  double p_;
};

struct Named {
  const char* name;
  Fn fn;
};
constexpr Named kMath[] = {
    {"Sqrt", Fn::kSqrt}, {"Reciprocal", Fn::kReciprocal}, {"Pow", Fn::kPow}, {"Erf", Fn::kErf}};

}  // namespace

bool is_math_kind(const std::string& kind) {
  for (const auto& m : kMath)
    if (kind == m.name) return true;
  return false;
}

std::unique_ptr<Layer> make_math(const std::string& kind, const Shape& shape, double exponent) {
  for (const auto& m : kMath)
    if (kind == m.name) return std::make_unique<MathFunction>(kind, m.fn, shape, exponent);
  throw ModelError("unknown elementwise function " + kind);
}

}  // namespace seqlift
