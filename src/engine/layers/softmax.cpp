// Softmax / LogSoftmax over one axis. No DeepLIFT rule inside a network: when a model
// ends in one, targets explain the logits (its input) by default.
#include <cmath>
#include <limits>

#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

class Softmax final : public Layer {
 public:
  Softmax(const std::string& kind, const Shape& shape, int64_t axis, bool log)
      : Layer(kind, {shape}), axis_(axis), log_(log) {
    if (axis < 0 || axis >= static_cast<int64_t>(shape.size()))
      throw ModelError(kind + ": axis out of range for " + shape_string(shape));
    output_shape_ = shape;
    inner_ = 1;
    for (std::size_t a = axis + 1; a < shape.size(); ++a) inner_ *= shape[a];
    extent_ = shape[axis];
  }
  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n = numel(output_shape_), outer = n / (extent_ * inner_);
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < inner_; ++j) {
          const int64_t base = b * n + o * extent_ * inner_ + j;
          double mx = -std::numeric_limits<double>::infinity(), sum = 0.0;
          for (int64_t e = 0; e < extent_; ++e) mx = std::max<double>(mx, in[0][base + e * inner_]);
          for (int64_t e = 0; e < extent_; ++e) sum += std::exp(in[0][base + e * inner_] - mx);
          for (int64_t e = 0; e < extent_; ++e) {
            const double z = in[0][base + e * inner_] - mx;
            out[base + e * inner_] =
                static_cast<float>(log_ ? z - std::log(sum) : std::exp(z) / sum);
          }
        }
  }
  const char* rule_name() const override { return "none"; }
  bool has_rule() const override { return false; }
  int64_t flops() const override { return 4 * numel(output_shape_); }

 private:
  int64_t axis_, inner_ = 1, extent_ = 1;
  bool log_;
};

}  // namespace

std::unique_ptr<Layer> make_softmax(const std::string& kind, const Shape& shape, int64_t axis,
                                    bool log) {
  return std::make_unique<Softmax>(kind, shape, axis, log);
}

}  // namespace seqlift
