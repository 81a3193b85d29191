// Softmax / LogSoftmax over one axis with an exact DeepLIFT rule inside a network
// (RULES.md rule 5). Softmax = e * q with e = Exp(x - c), S = Sum e, q = Reciprocal(S)
// and c a shift shared by X and the reference (the larger of both maxima; the result
// does not depend on it). Composing Rescale (Exp, Reciprocal), the linear sum and the
// Shapley split of e * q gives, per softmax row,
//   m_x = rho (mid(q) m_y + sigma Sum_j mid(e)_j m_y,j),
// rho = Rescale ratio of Exp, sigma = (q - q_r) / (S - S_r) = -1 / (S S_r).
// LogSoftmax = x - Log(S): m_x = m_y - rho lambda Sum_j m_y,j, lambda = Rescale ratio of Log.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

constexpr double kThreshold = 1e-6;

class SoftmaxExact final : public Layer {
 public:
  SoftmaxExact(const std::string& kind, const Shape& shape, int64_t axis, bool log)
      : Layer(kind, {shape}), log_(log) {
    if (axis < 0 || axis >= static_cast<int64_t>(shape.size()))
      throw ModelError(kind + ": axis out of range for " + shape_string(shape));
    output_shape_ = shape;
    for (std::size_t a = axis + 1; a < shape.size(); ++a) inner_ *= shape[a];
    extent_ = shape[axis];
    outer_ = numel(shape) / (extent_ * inner_);
  }

  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n = numel(output_shape_);
    thread_local std::vector<double> e;
    e.resize(extent_);
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t o = 0; o < outer_; ++o)
        for (int64_t j = 0; j < inner_; ++j) {
          const float* x = in[0] + b * n + o * extent_ * inner_ + j;
          float* y = out + b * n + o * extent_ * inner_ + j;
          double mx = -std::numeric_limits<double>::infinity(), sum = 0.0;
          for (int64_t i = 0; i < extent_; ++i) mx = std::max<double>(mx, x[i * inner_]);
          for (int64_t i = 0; i < extent_; ++i) sum += e[i] = std::exp(x[i * inner_] - mx);
          const double ls = std::log(sum);
          for (int64_t i = 0; i < extent_; ++i)
            y[i * inner_] = static_cast<float>(log_ ? x[i * inner_] - mx - ls : e[i] / sum);
        }
  }

  bool backward_reads_inputs() const override { return true; }
  const char* rule_name() const override {
    return log_ ? "logsoftmax: x - rescale(log)(sum rescale(exp))"
                : "softmax: rescale(exp) * rescale(1/sum), shapley-product";
  }
  int64_t flops() const override { return 4 * numel(output_shape_); }
  ReceptiveField receptive_field(const std::vector<ReceptiveField>& in) const override {
    ReceptiveField rf = in[0];
    rf.global = rf.global || inner_ == 1;  // a softmax over the last axis mixes positions
    return rf;
  }

  // Per reference (shared by every target's stream): rho and mid(e) per element,
  // mid(q) and sigma (Softmax) or lambda (LogSoftmax) per row.
  struct RefTerms {
    std::vector<float> rho, ebar;
    std::vector<double> qbar, sigma;
  };
  void ref_terms(const float* x0, const float* r0, RefTerms& t) const {
    const int64_t n = numel(output_shape_);
    t.rho.resize(n);
    t.ebar.resize(n);
    t.qbar.resize(outer_ * inner_);
    t.sigma.resize(outer_ * inner_);
    thread_local std::vector<double> ex, er;
    ex.resize(extent_);
    er.resize(extent_);
    for (int64_t o = 0; o < outer_; ++o)
      for (int64_t j = 0; j < inner_; ++j) {
        const int64_t base = o * extent_ * inner_ + j;
        const float* x = x0 + base;
        const float* r = r0 + base;
        double c = -std::numeric_limits<double>::infinity();
        for (int64_t i = 0; i < extent_; ++i)
          c = std::max({c, double(x[i * inner_]), double(r[i * inner_])});
        double sx = 0, sr = 0;
        for (int64_t i = 0; i < extent_; ++i) {
          const double xi = x[i * inner_], ri = r[i * inner_], d = xi - ri;
          ex[i] = std::exp(xi - c);
          er[i] = std::exp(ri - c);
          sx += ex[i];
          sr += er[i];
          // Exp ratio without cancellation: e_r expm1(d) / d. Masked (-inf) scores
          // contribute nothing.
          double rho;
          if (std::isinf(xi) && std::isinf(ri))
            rho = 0.0;
          else if (!std::isfinite(d))
            rho = (ex[i] - er[i]) / d;
          else
            rho = std::fabs(d) < kThreshold ? std::exp(0.5 * (xi + ri) - c)
                                            : er[i] * std::expm1(d) / d;
          t.rho[base + i * inner_] = static_cast<float>(rho);
          t.ebar[base + i * inner_] = static_cast<float>(0.5 * (ex[i] + er[i]));
        }
        const int64_t row = o * inner_ + j;
        if (!log_) {
          t.qbar[row] = 0.5 * (1.0 / sx + 1.0 / sr);
          t.sigma[row] = -1.0 / (sx * sr);
        } else {
          const double u = (sx - sr) / sr;
          t.sigma[row] = std::fabs(u) < 1e-8 ? (1.0 - 0.5 * u) / sr : std::log1p(u) / (sx - sr);
        }
      }
  }

  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_);
    thread_local std::vector<RefTerms> terms;
    thread_local std::vector<int64_t> ready;
    if (static_cast<int64_t>(terms.size()) < ctx.refs) terms.resize(ctx.refs);
    ready.assign(ctx.refs, 0);
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const int64_t k = ctx.stream_ref[s];
      const float* x0 = ctx.in_act[0];
      if (!ready[k]) {
        // The gradient rule (for comparison) takes the reference at X.
        ref_terms(x0, ctx.rule == Rule::kGradient ? x0 : x0 + (1 + k) * n, terms[k]);
        ready[k] = 1;
      }
      const RefTerms& t = terms[k];
      const float* m0 = ctx.out_mult + s * n;
      float* mi0 = in_mult[0] + s * n;
      for (int64_t o = 0; o < outer_; ++o)
        for (int64_t j = 0; j < inner_; ++j) {
          const int64_t base = o * extent_ * inner_ + j, row = o * inner_ + j;
          const float* m = m0 + base;
          const float* rho = t.rho.data() + base;
          const float* eb = t.ebar.data() + base;
          float* mi = mi0 + base;
          double acc = 0;
          if (!log_) {
            for (int64_t i = 0; i < extent_; ++i) acc += double(eb[i * inner_]) * m[i * inner_];
            const float qbar = static_cast<float>(t.qbar[row]);
            const float shift = static_cast<float>(t.sigma[row] * acc);
            for (int64_t i = 0; i < extent_; ++i)
              mi[i * inner_] += rho[i * inner_] * (qbar * m[i * inner_] + shift);
          } else {
            for (int64_t i = 0; i < extent_; ++i) acc += m[i * inner_];
            const float shift = static_cast<float>(t.sigma[row] * acc);
            for (int64_t i = 0; i < extent_; ++i)
              mi[i * inner_] += m[i * inner_] - rho[i * inner_] * shift;
          }
        }
    }
  }

 private:
  bool log_;
  int64_t inner_ = 1, extent_ = 1, outer_ = 1;
};

}  // namespace

std::unique_ptr<Layer> make_softmax(const std::string& kind, const Shape& shape, int64_t axis,
                                    bool log) {
  return std::make_unique<SoftmaxExact>(kind, shape, axis, log);
}

}  // namespace seqlift
