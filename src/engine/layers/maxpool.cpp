// MaxPool / GlobalMaxPool over the last axis of [C, L]. DeepLIFT (cross-argmax rule, as
// captum and tangermeme, but ACCUMULATED over overlapping windows): in each window the
// difference max(x) - max(r) is credited to the argmax of whichever of x and r is
// larger; an input's multiplier is its total credit divided by its own difference.
#include <cmath>
#include <limits>

#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

class MaxPool final : public Layer {
 public:
  MaxPool(const std::string& kind, const PoolParams& p)
      : Layer(kind, {{p.channels, p.length_in}}), p_(p) {
    if (p.length_out() <= 0) throw ModelError(kind + ": input shorter than the pooling window");
    output_shape_ = {p.channels, p.length_out()};
    check_tensor_size(output_shape_, kind_);
  }

  // Index of the first maximum of window w of row x (the PyTorch tie rule), -1 if none.
  int64_t argmax(const float* x, int64_t w) const {
    int64_t best = -1;
    float best_v = -std::numeric_limits<float>::infinity();
    for (int64_t k = 0; k < p_.kernel; ++k) {
      const int64_t i = w * p_.stride + k * p_.dilation - p_.pad_left;
      if (i < 0 || i >= p_.length_in) continue;
      if (best < 0 || x[i] > best_v || std::isnan(x[i])) {
        best = i;
        best_v = x[i];
      }
    }
    return best;
  }

  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t lo = output_shape_[1];
    for (int64_t row = 0; row < batch * p_.channels; ++row) {
      const float* x = in[0] + row * p_.length_in;
      for (int64_t w = 0; w < lo; ++w) {
        const int64_t a = argmax(x, w);
        out[row * lo + w] = a < 0 ? 0.0f : x[a];
      }
    }
  }

  const char* rule_name() const override { return "maxpool-cross"; }
  bool backward_reads_inputs() const override { return true; }

  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t li = p_.length_in, lo = output_shape_[1], n_in = p_.channels * li;
    std::vector<double> credit(li), grad(li);
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const int64_t k = ctx.stream_ref[s];
      for (int64_t c = 0; c < p_.channels; ++c) {
        const float* x = ctx.in_act[0] + c * li;
        const float* r = ctx.in_act[0] + (1 + k) * n_in + c * li;
        const float* m = ctx.out_mult + (s * p_.channels + c) * lo;
        float* mi = in_mult[0] + s * n_in + c * li;
        std::fill(credit.begin(), credit.end(), 0.0);
        std::fill(grad.begin(), grad.end(), 0.0);
        for (int64_t w = 0; w < lo; ++w) {
          const int64_t ax = argmax(x, w), ar = argmax(r, w);
          if (ax < 0) continue;
          grad[ax] += m[w];
          const double yx = x[ax], yr = r[ar], top = std::max(yx, yr);
          credit[ax] += m[w] * (top - yr);
          credit[ar] += m[w] * (yx - top);
        }
        for (int64_t i = 0; i < li; ++i) {
          const double d = double(x[i]) - r[i];
          if (ctx.rule == Rule::kGradient || std::fabs(d) < 1e-10)
            mi[i] += static_cast<float>(grad[i]);
          else
            mi[i] += static_cast<float>(credit[i] / d);
        }
      }
    }
  }

  int64_t flops() const override { return p_.channels * output_shape_[1] * p_.kernel; }
  ReceptiveField receptive_field(const std::vector<ReceptiveField>& in) const override {
    return windowed_field(in[0], p_.kernel, p_.dilation, p_.stride);
  }

 private:
  PoolParams p_;
};

}  // namespace

std::unique_ptr<Layer> make_maxpool(const std::string& kind, const PoolParams& p) {
  return std::make_unique<MaxPool>(kind, p);
}

}  // namespace seqlift
