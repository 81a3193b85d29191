// ReduceLogSumExp: y = log(sum_i exp(x_i)), as chrombpnet's counts head uses. DeepLIFT
// treats it as Exp (Rescale, per element), ReduceSum (linear), Log (Rescale), so
// summation-to-delta holds exactly: m_i = m_y * dlog/dS * dexp_i/dx_i.
#include <cmath>
#include <limits>

#include "engine/layers/layers.hpp"
#include "engine/layers/reduce_map.hpp"

namespace seqlift {
namespace {

class LogSumExp final : public Layer {
 public:
  LogSumExp(const std::string& kind, const Shape& input, const std::vector<int64_t>& axes,
            bool keepdims)
      : Layer(kind, {input}), map_(make_reduce_map(input, axes, keepdims)) {
    output_shape_ = map_.output;
  }

  // Per output: the max over its group (for stable exponentials).
  void group_max(const float* x, std::vector<double>& mx) const {
    std::fill(mx.begin(), mx.end(), -std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < map_.out_index.size(); ++i)
      mx[map_.out_index[i]] = std::max<double>(mx[map_.out_index[i]], x[i]);
  }

  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n_in = numel(input_shapes_[0]), n_out = numel(output_shape_);
    std::vector<double> mx(n_out), sum(n_out);
    for (int64_t b = 0; b < batch; ++b) {
      const float* x = in[0] + b * n_in;
      group_max(x, mx);
      std::fill(sum.begin(), sum.end(), 0.0);
      for (int64_t i = 0; i < n_in; ++i)
        sum[map_.out_index[i]] += std::exp(x[i] - mx[map_.out_index[i]]);
      for (int64_t o = 0; o < n_out; ++o)
        out[b * n_out + o] = static_cast<float>(mx[o] + std::log(sum[o]));
    }
  }

  const char* rule_name() const override { return "composite-rescale"; }
  bool backward_reads_inputs() const override { return true; }

  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n_in = numel(input_shapes_[0]), n_out = numel(output_shape_);
    const float* x = ctx.in_act[0];
    std::vector<double> mx(n_out), mr(n_out), sx(n_out), sr(n_out), mlog(n_out);
    group_max(x, mx);
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const float* r = ctx.in_act[0] + (1 + ctx.stream_ref[s]) * n_in;
      group_max(r, mr);
      for (int64_t o = 0; o < n_out; ++o) mx[o] = std::max(mx[o], mr[o]);  // shared shift c
      std::fill(sx.begin(), sx.end(), 0.0);
      std::fill(sr.begin(), sr.end(), 0.0);
      for (int64_t i = 0; i < n_in; ++i) {
        const int32_t o = map_.out_index[i];
        sx[o] += std::exp(x[i] - mx[o]);
        sr[o] += std::exp(r[i] - mx[o]);
      }
      for (int64_t o = 0; o < n_out; ++o) {
        const double d = sx[o] - sr[o];
        mlog[o] = std::fabs(d) < 1e-12 * std::max(sx[o], sr[o])
                      ? 2.0 / (sx[o] + sr[o])
                      : (std::log(sx[o]) - std::log(sr[o])) / d;
      }
      const float* m = ctx.out_mult + s * n_out;
      float* mi = in_mult[0] + s * n_in;
      for (int64_t i = 0; i < n_in; ++i) {
        const int32_t o = map_.out_index[i];
        const double d = double(x[i]) - r[i];
        const double mexp = std::fabs(d) < 1e-6
                                ? std::exp(0.5 * (double(x[i]) + r[i]) - mx[o])
                                : (std::exp(x[i] - mx[o]) - std::exp(r[i] - mx[o])) / d;
        mi[i] += static_cast<float>(m[o] * mlog[o] * mexp);
      }
      group_max(x, mx);  // restore x's max for the next stream
    }
  }
  int64_t flops() const override { return 3 * numel(input_shapes_[0]); }
  ReceptiveField receptive_field(const std::vector<ReceptiveField>& in) const override {
    ReceptiveField rf = in[0];
    rf.global = true;
    return rf;
  }

 private:
  ReduceMap map_;
};

}  // namespace

std::unique_ptr<Layer> make_logsumexp(const std::string& kind, const Shape& input,
                                      std::vector<int64_t> axes, bool keepdims) {
  return std::make_unique<LogSumExp>(kind, input, axes, keepdims);
}

}  // namespace seqlift
