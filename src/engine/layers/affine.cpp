// Affine: y = x * scale + shift with constant per-element arrays (Add/Sub/Mul/Div by a
// constant, a BatchNormalization that could not be folded). Linear: m_in = m_out * scale.
#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

class Affine final : public Layer {
 public:
  Affine(const std::string& kind, const Shape& shape, std::vector<float> scale,
         std::vector<float> shift, int64_t stored_parameters)
      : Layer(kind, {shape}),
        scale_(std::move(scale)),
        shift_(std::move(shift)),
        stored_parameters_(stored_parameters) {
    output_shape_ = shape;
    const auto n = static_cast<std::size_t>(numel(shape));
    if ((!scale_.empty() && scale_.size() != n) || (!shift_.empty() && shift_.size() != n))
      throw ModelError(kind + ": constant does not broadcast to " + shape_string(shape));
  }
  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n = numel(output_shape_);
    for (int64_t b = 0; b < batch; ++b) {
      const float* x = in[0] + b * n;
      float* y = out + b * n;
      for (int64_t i = 0; i < n; ++i)
        y[i] = (scale_.empty() ? x[i] : x[i] * scale_[i]) + (shift_.empty() ? 0.0f : shift_[i]);
    }
  }
  bool is_elementwise() const override { return true; }
  const char* rule_name() const override { return "linear"; }
  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_);
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const float* m = ctx.out_mult + s * n;
      float* mi = in_mult[0] + s * n;
      for (int64_t i = 0; i < n; ++i) mi[i] += scale_.empty() ? m[i] : m[i] * scale_[i];
    }
  }
  int64_t parameter_count() const override {
    return stored_parameters_ >= 0 ? stored_parameters_
                                   : static_cast<int64_t>(scale_.size() + shift_.size());
  }

 private:
  std::vector<float> scale_, shift_;
  int64_t stored_parameters_;
};

}  // namespace

std::unique_ptr<Layer> make_affine(const std::string& kind, const Shape& shape,
                                   std::vector<float> scale, std::vector<float> shift,
                                   int64_t stored_parameters) {
  return std::make_unique<Affine>(kind, shape, std::move(scale), std::move(shift),
                                  stored_parameters);
}

}  // namespace seqlift
