// AveragePool / GlobalAveragePool over the last axis of [C, L]. Linear: each input gets
// the multipliers of the windows that contain it divided by their sizes.
#include <algorithm>

#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

class AvgPool final : public Layer {
 public:
  AvgPool(const std::string& kind, const PoolParams& p)
      : Layer(kind, {{p.channels, p.length_in}}), p_(p) {
    if (p.length_out() <= 0) throw ModelError(kind + ": input shorter than the pooling window");
    output_shape_ = {p.channels, p.length_out()};
    check_tensor_size(output_shape_, kind_);
    const int64_t lo = output_shape_[1];
    inv_count_.resize(lo);
    for (int64_t w = 0; w < lo; ++w) {
      const int64_t start = w * p.stride - p.pad_left;
      const int64_t end =
          std::min(start + (p.kernel - 1) * p.dilation + 1, p.length_in + p.pad_right);
      int64_t valid = 0;
      for (int64_t i = start; i < end; i += p.dilation) valid += (i >= 0 && i < p.length_in);
      const int64_t count =
          p.count_include_pad ? (end - start + p.dilation - 1) / p.dilation : valid;
      inv_count_[w] = count > 0 ? 1.0f / count : 0.0f;
    }
  }

  template <typename F>
  void each_tap(int64_t w, F&& fn) const {
    for (int64_t k = 0; k < p_.kernel; ++k) {
      const int64_t i = w * p_.stride + k * p_.dilation - p_.pad_left;
      if (i >= 0 && i < p_.length_in) fn(i);
    }
  }

  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t lo = output_shape_[1];
    for (int64_t row = 0; row < batch * p_.channels; ++row) {
      const float* x = in[0] + row * p_.length_in;
      for (int64_t w = 0; w < lo; ++w) {
        double acc = 0.0;
        each_tap(w, [&](int64_t i) { acc += x[i]; });
        out[row * lo + w] = static_cast<float>(acc * inv_count_[w]);
      }
    }
  }

  const char* rule_name() const override { return "linear"; }
  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t lo = output_shape_[1];
    for (int64_t row = 0; row < ctx.streams * p_.channels; ++row) {
      const float* m = ctx.out_mult + row * lo;
      float* mi = in_mult[0] + row * p_.length_in;
      for (int64_t w = 0; w < lo; ++w) {
        const float v = m[w] * inv_count_[w];
        each_tap(w, [&](int64_t i) { mi[i] += v; });
      }
    }
  }

  int64_t flops() const override { return p_.channels * output_shape_[1] * p_.kernel; }
  ReceptiveField receptive_field(const std::vector<ReceptiveField>& in) const override {
    return windowed_field(in[0], p_.kernel, p_.dilation, p_.stride);
  }

 private:
  PoolParams p_;
  std::vector<float> inv_count_;
};

}  // namespace

std::unique_ptr<Layer> make_avgpool(const std::string& kind, const PoolParams& p) {
  return std::make_unique<AvgPool>(kind, p);
}

}  // namespace seqlift
