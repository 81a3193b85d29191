// Elementwise nonlinearities. DeepLIFT: Rescale m = (f(x) - f(r)) / (x - r), with the
// derivative at the midpoint when |x - r| is tiny; RevealCancel splits the input
// difference into positive and negative parts (Shrikumar et al. 2017, sec. 3.5.3);
// the gradient rule (for comparison only) uses f'(x).
#include <cmath>
#include <cstring>
#include <optional>

#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

enum class Fn {
  kRelu,
  kLeakyRelu,
  kElu,
  kSigmoid,
  kTanh,
  kSoftplus,
  kGelu,
  kSilu,
  kMish,
  kExp,
  kLog
};

// Kind name (a kActivation row of kinds.def), function, default alpha (ONNX defaults).
struct FnName {
  const char* name;
  Fn fn;
  float alpha;
};
constexpr FnName kFunctions[] = {
    {"Relu", Fn::kRelu, 0}, {"LeakyRelu", Fn::kLeakyRelu, 0.01f},
    {"Elu", Fn::kElu, 1},   {"Sigmoid", Fn::kSigmoid, 0},
    {"Tanh", Fn::kTanh, 0}, {"Softplus", Fn::kSoftplus, 0},
    {"Gelu", Fn::kGelu, 0}, {"Silu", Fn::kSilu, 0},
    {"Mish", Fn::kMish, 0}, {"Exp", Fn::kExp, 0},
    {"Log", Fn::kLog, 0},
};

constexpr double kRescaleThreshold = 1e-6;
constexpr double kInvSqrt2 = 0.70710678118654752440;

double sigmoid(double x) {
  return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
}

double softplus(double x) {
  return x > 20 ? x : std::log1p(std::exp(x));
}

class Activation final : public Layer {
 public:
  Activation(const std::string& kind, Fn fn, const Shape& shape, float alpha)
      : Layer(kind, {shape}), fn_(fn), alpha_(alpha) {
    output_shape_ = shape;
  }

  double f(double x) const {
    switch (fn_) {
      case Fn::kRelu:
        return x > 0 ? x : 0.0;
      case Fn::kLeakyRelu:
        return x > 0 ? x : alpha_ * x;
      case Fn::kElu:
        return x > 0 ? x : alpha_ * std::expm1(x);
      case Fn::kSigmoid:
        return sigmoid(x);
      case Fn::kTanh:
        return std::tanh(x);
      case Fn::kSoftplus:
        return softplus(x);
      case Fn::kGelu:
        return 0.5 * x * (1.0 + std::erf(x * kInvSqrt2));
      case Fn::kSilu:
        return x * sigmoid(x);
      case Fn::kMish:
        return x * std::tanh(softplus(x));
      case Fn::kExp:
        return std::exp(x);
      case Fn::kLog:
        return std::log(x);
    }
    return 0.0;
  }

  double derivative(double x) const {
    switch (fn_) {
      case Fn::kRelu:
        return x > 0 ? 1.0 : 0.0;
      case Fn::kLeakyRelu:
        return x > 0 ? 1.0 : alpha_;
      case Fn::kElu:
        return x > 0 ? 1.0 : alpha_ * std::exp(x);
      case Fn::kSigmoid: {
        const double s = sigmoid(x);
        return s * (1 - s);
      }
      case Fn::kTanh: {
        const double t = std::tanh(x);
        return 1 - t * t;
      }
      case Fn::kSoftplus:
        return sigmoid(x);
      case Fn::kGelu:
        return 0.5 * (1.0 + std::erf(x * kInvSqrt2)) +
               x * std::exp(-0.5 * x * x) * 0.39894228040143267794;
      case Fn::kSilu: {
        const double s = sigmoid(x);
        return s * (1 + x * (1 - s));
      }
      case Fn::kMish: {  // tanh(sp) + x sech^2(sp) sigmoid(x), sp = softplus(x)
        const double t = std::tanh(softplus(x));
        return t + x * (1 - t * t) * sigmoid(x);
      }
      case Fn::kExp:
        return std::exp(x);
      case Fn::kLog:
        return 1.0 / x;
    }
    return 0.0;
  }

  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n = numel(output_shape_) * batch;
    const float* x = in[0];
    if (fn_ == Fn::kRelu) {
      for (int64_t i = 0; i < n; ++i) out[i] = x[i] > 0 ? x[i] : 0.0f;
      return;
    }
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(f(x[i]));
  }

  bool is_elementwise() const override { return true; }
  const char* rule_name() const override { return "rescale|reveal-cancel"; }
  bool backward_reads_inputs() const override { return true; }
  bool reveals_cancellation() const override { return true; }
  bool can_overwrite_input_multipliers() const override { return true; }

  // Multiplier of each reference's difference at every element: ratio[k * n + i].
  // Computed once per reference and shared by every target's stream.
  void ratios(const BackwardContext& ctx, int64_t n, std::vector<float>& ratio) const {
    const float* x = ctx.in_act[0];
    ratio.resize(ctx.refs * n);
    if (ctx.rule == Rule::kGradient) {
      for (int64_t i = 0; i < n; ++i) ratio[i] = static_cast<float>(derivative(x[i]));
      for (int64_t k = 1; k < ctx.refs; ++k)
        std::copy(ratio.begin(), ratio.begin() + n, ratio.begin() + k * n);
      return;
    }
    thread_local std::vector<double> fx;
    fx.resize(n);
    for (int64_t i = 0; i < n; ++i) fx[i] = f(x[i]);
    // Only the references the streams pair with (the backward may run a group of them).
    std::vector<char> used(ctx.refs, 0);
    for (int64_t s = 0; s < ctx.streams; ++s) used[ctx.stream_ref[s]] = 1;
    for (int64_t k = 0; k < ctx.refs; ++k) {
      if (!used[k]) continue;
      const float* r = x + (1 + k) * n;
      float* out = ratio.data() + k * n;
      for (int64_t i = 0; i < n; ++i) {
        const double d = double(x[i]) - r[i];
        out[i] = static_cast<float>(std::fabs(d) < kRescaleThreshold
                                        ? derivative(0.5 * (double(x[i]) + r[i]))
                                        : (fx[i] - f(r[i])) / d);
      }
    }
  }

  // (relu(x) - relu(r)) / (x - r) is exactly 1 when both are positive and 0 when
  // neither is; branch-free so the loop vectorises. Tiny differences: derivative.
  static float relu_ratio(float a, float b) {
    const float eps = static_cast<float>(kRescaleThreshold);
    const float d = a - b;
    const bool tiny = std::fabs(d) < eps;
    const float pa = a > 0.0f ? a : 0.0f, pb = b > 0.0f ? b : 0.0f;
    const float q = (pa - pb) / (tiny ? 1.0f : d);
    return tiny ? (a + b > 0.0f ? 1.0f : 0.0f) : q;
  }

  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_);
    if (fn_ == Fn::kRelu && ctx.rule != Rule::kGradient) {
      // Ratios on the fly: one pass over the multipliers, no [K, n] ratio buffer to
      // write and read back (a division costs less than that memory traffic).
      const float* x = ctx.in_act[0];
      for (int64_t s = 0; s < ctx.streams; ++s) {
        const float* r = x + (1 + ctx.stream_ref[s]) * n;
        const float* m = ctx.out_mult + s * n;
        float* mi = in_mult[0] + s * n;
        if (ctx.overwrite)
          for (int64_t i = 0; i < n; ++i) mi[i] = m[i] * relu_ratio(x[i], r[i]);
        else
          for (int64_t i = 0; i < n; ++i) mi[i] += m[i] * relu_ratio(x[i], r[i]);
      }
      return;
    }
    thread_local std::vector<float> ratio;
    ratios(ctx, n, ratio);
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const float* q = ratio.data() + ctx.stream_ref[s] * n;
      const float* m = ctx.out_mult + s * n;
      float* mi = in_mult[0] + s * n;
      if (ctx.overwrite)
        for (int64_t i = 0; i < n; ++i) mi[i] = m[i] * q[i];
      else
        for (int64_t i = 0; i < n; ++i) mi[i] += m[i] * q[i];
    }
  }

  // RevealCancel multipliers of the positive / negative parts of one input difference.
  void reveal_cancel(double r, double dpos, double dneg, double& mpos, double& mneg) const {
    const double ypos = 0.5 * (f(r + dpos) - f(r)) + 0.5 * (f(r + dneg + dpos) - f(r + dneg));
    const double yneg = 0.5 * (f(r + dneg) - f(r)) + 0.5 * (f(r + dpos + dneg) - f(r + dpos));
    mpos = std::fabs(dpos) < kRescaleThreshold ? 0.5 * (derivative(r) + derivative(r + dneg))
                                               : ypos / dpos;
    mneg = std::fabs(dneg) < kRescaleThreshold ? 0.5 * (derivative(r) + derivative(r + dpos))
                                               : yneg / dneg;
  }

  void backward_reveal_cancel(const BackwardContext& ctx, const float* dpos, const float* dneg,
                              float* mult_pos, float* mult_neg) const override {
    const int64_t n = numel(output_shape_);
    const float* ref_in = ctx.in_act[0] + n;
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const int64_t k = ctx.stream_ref[s];
      const float* m = ctx.out_mult + s * n;
      for (int64_t i = 0; i < n; ++i) {
        double mp, mn;
        reveal_cancel(ref_in[k * n + i], dpos[k * n + i], dneg[k * n + i], mp, mn);
        mult_pos[s * n + i] += static_cast<float>(m[i] * mp);
        mult_neg[s * n + i] += static_cast<float>(m[i] * mn);
      }
    }
  }

 private:
  Fn fn_;
  double alpha_;
};

}  // namespace

const std::vector<std::string>& activation_kinds() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& f : kFunctions) v.push_back(f.name);
    return v;
  }();
  return names;
}

std::unique_ptr<Layer> make_activation(const std::string& kind, const Shape& shape,
                                       std::optional<float> alpha) {
  for (const auto& f : kFunctions)
    if (kind == f.name)
      return std::make_unique<Activation>(kind, f.fn, shape, alpha.value_or(f.alpha));
  throw ModelError("unknown activation " + kind);
}

}  // namespace seqlift
