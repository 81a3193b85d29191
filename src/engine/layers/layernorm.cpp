// LayerNormalization (and RMSNorm) over the trailing axes, with the rule of its
// decomposition (RULES.md rule 6), so the fused op and the opset-13 ReduceMean / Sub /
// Pow / Sqrt / Div graph give the same multipliers:
//   c = x - mean(x)         linear           m_x = m_c - mean(m_c)
//   v = mean(c c) + eps     Rescale of c^2   m_c += 2 mid(c) m_v / D
//   s = v^(-1/2)            Rescale          m_v = m_s (s - s_r) / (v - v_r)
//   u = c s                 Shapley          m_c += m_u mid(s), m_s = Sum mid(c) m_u
//   y = gamma u + beta      linear           m_u = gamma m_y
// Per-row statistics in double from the float32 activations.
#include <cmath>

#include "engine/layers/attention_layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

class LayerNorm final : public Layer {
 public:
  LayerNorm(const Shape& shape, int64_t axis, double eps, std::vector<float> gamma,
            std::vector<float> beta, bool rms)
      : Layer(rms ? "RMSNorm" : "LayerNorm", {shape}),
        eps_(eps),
        gamma_(std::move(gamma)),
        beta_(std::move(beta)),
        rms_(rms) {
    if (axis < 0 || axis >= static_cast<int64_t>(shape.size()))
      throw ModelError(kind_ + ": axis out of range for " + shape_string(shape));
    output_shape_ = shape;
    for (std::size_t a = axis; a < shape.size(); ++a) d_ *= shape[a];
    rows_ = numel(shape) / d_;
    if (gamma_.empty()) gamma_.assign(d_, 1.0f);
    if (beta_.empty()) beta_.assign(d_, 0.0f);
    if (static_cast<int64_t>(gamma_.size()) != d_ || static_cast<int64_t>(beta_.size()) != d_)
      throw ModelError(kind_ + ": scale/bias do not match the normalised size " +
                       std::to_string(d_));
  }

  // Centred values (double) and the inverse standard deviation of one row.
  double stats(const float* x, std::vector<double>& c) const {
    double mean = 0;
    if (!rms_) {
      for (int64_t i = 0; i < d_; ++i) mean += x[i];
      mean /= double(d_);
    }
    double v = 0;
    for (int64_t i = 0; i < d_; ++i) {
      c[i] = x[i] - mean;
      v += c[i] * c[i];
    }
    return v / double(d_) + eps_;
  }

  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    thread_local std::vector<double> c;
    c.resize(d_);
    for (int64_t row = 0; row < batch * rows_; ++row) {
      const double s = 1.0 / std::sqrt(stats(in[0] + row * d_, c));
      float* y = out + row * d_;
      for (int64_t i = 0; i < d_; ++i) y[i] = static_cast<float>(gamma_[i] * (c[i] * s) + beta_[i]);
    }
  }

  bool backward_reads_inputs() const override { return true; }
  const char* rule_name() const override {
    return rms_ ? "rmsnorm: rescale(c^2), rescale(v^-1/2), shapley-product"
                : "layernorm: centring, rescale(c^2), rescale(v^-1/2), shapley-product";
  }
  int64_t parameter_count() const override { return 2 * d_; }
  int64_t flops() const override { return 8 * numel(output_shape_); }
  ReceptiveField receptive_field(const std::vector<ReceptiveField>& in) const override {
    ReceptiveField rf = in[0];
    rf.global = rf.global || rows_ == 1;
    return rf;
  }

  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_);
    thread_local std::vector<double> cx, cr, mc;
    cx.resize(d_);
    cr.resize(d_);
    mc.resize(d_);
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const float* x0 = ctx.in_act[0];
      // The gradient rule (for comparison) takes the reference at X.
      const float* r0 = ctx.rule == Rule::kGradient ? x0 : x0 + (1 + ctx.stream_ref[s]) * n;
      for (int64_t row = 0; row < rows_; ++row) {
        const double vx = stats(x0 + row * d_, cx), vr = stats(r0 + row * d_, cr);
        const double qx = std::sqrt(vx), qr = std::sqrt(vr);
        const double sbar = 0.5 * (1.0 / qx + 1.0 / qr);
        const double ratio = -1.0 / (qx * qr * (qx + qr));  // (s - s_r) / (v - v_r)
        const float* my = ctx.out_mult + s * n + row * d_;
        double ms = 0;
        for (int64_t i = 0; i < d_; ++i) ms += gamma_[i] * double(my[i]) * 0.5 * (cx[i] + cr[i]);
        const double mv = ms * ratio;
        double mean_mc = 0;
        for (int64_t i = 0; i < d_; ++i) {
          mc[i] = gamma_[i] * double(my[i]) * sbar + (cx[i] + cr[i]) * mv / double(d_);
          mean_mc += mc[i];
        }
        mean_mc = rms_ ? 0.0 : mean_mc / double(d_);
        float* mi = in_mult[0] + s * n + row * d_;
        for (int64_t i = 0; i < d_; ++i) mi[i] += static_cast<float>(mc[i] - mean_mc);
      }
    }
  }

 private:
  double eps_;
  std::vector<float> gamma_, beta_;
  bool rms_;
  int64_t d_ = 1, rows_ = 1;
};

}  // namespace

std::unique_ptr<Layer> make_layernorm(const Shape& shape, int64_t axis, double epsilon,
                                      std::vector<float> gamma, std::vector<float> beta, bool rms) {
  return std::make_unique<LayerNorm>(shape, axis, epsilon, std::move(gamma), std::move(beta), rms);
}

}  // namespace seqlift
