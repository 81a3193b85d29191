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
    for (int64_t i = 0; i < n; ++i) out[i] = c0 * in[0][i];
    for (std::size_t j = 1; j < coef_.size(); ++j) {
      const float c = coef_[j];
      const float* x = in[j];
      for (int64_t i = 0; i < n; ++i) out[i] += c * x[i];
    }
  }
  RuleKind rule_kind() const override { return RuleKind::kLinear; }
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
