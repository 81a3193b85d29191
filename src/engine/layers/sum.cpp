// Sum: y = sum_i coef_i * x_i of dynamic tensors (residual Add, Sub). Linear.
#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

class Sum final : public Layer {
 public:
  Sum(const std::string& kind, const Shape& shape, std::vector<float> coefficients)
      : Layer(kind, std::vector<Shape>(coefficients.size(), shape)),
        coef_(std::move(coefficients)) {
    output_shape_ = shape;
  }
  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n = numel(output_shape_) * batch;
    const float c0 = coef_[0];
    if (coef_.size() == 2) {  // the residual add: one pass
      const float c1 = coef_[1];
      const float* a = in[0];
      const float* b = in[1];
      for (int64_t i = 0; i < n; ++i) out[i] = c0 * a[i] + c1 * b[i];
      return;
    }
    for (int64_t i = 0; i < n; ++i) out[i] = c0 * in[0][i];
    for (std::size_t j = 1; j < coef_.size(); ++j) {
      const float c = coef_[j];
      const float* x = in[j];
      for (int64_t i = 0; i < n; ++i) out[i] += c * x[i];
    }
  }
  bool is_elementwise() const override { return true; }
  const char* rule_name() const override { return "linear"; }
  bool passes_multipliers_through() const override {
    for (float c : coef_)
      if (c != 1.0f) return false;
    return true;
  }
  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_) * ctx.streams;
    for (std::size_t j = 0; j < coef_.size(); ++j)
      for (int64_t i = 0; i < n; ++i) in_mult[j][i] += coef_[j] * ctx.out_mult[i];
  }

 private:
  std::vector<float> coef_;
};

}  // namespace

std::unique_ptr<Layer> make_sum(const std::string& kind, const Shape& shape,
                                std::vector<float> coefficients) {
  return std::make_unique<Sum>(kind, shape, std::move(coefficients));
}

}  // namespace seqlift
