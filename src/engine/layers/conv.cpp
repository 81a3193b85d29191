// Conv1d: forward as one GEMM per kernel tap on shifted row blocks (no im2col), DeepLIFT
// backward through the transposed convolution (a linear layer: bias cancels).
#include <Eigen/Core>
#include <algorithm>

#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {

int64_t ConvParams::length_out() const {
  const int64_t span = dilation * (kernel - 1) + 1;
  const int64_t padded = length_in + pad_left + pad_right;
  return padded < span ? 0 : (padded - span) / stride + 1;
}

ConvParams ConvParams::window(int64_t first, int64_t count) const {
  ConvParams q = *this;
  const int64_t span = dilation * (kernel - 1) + 1;
  q.pad_left -= first * stride;
  q.pad_right = (count - 1) * stride + span - length_in - q.pad_left;
  return q;
}

void conv1d_reference(const ConvParams& p, const float* in, float* out, int64_t batch) {
  const int64_t lo = p.length_out(), cin_g = p.in_channels / p.groups,
                cout_g = p.out_channels / p.groups;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o = 0; o < p.out_channels; ++o) {
      const int64_t g = o / cout_g;
      for (int64_t l = 0; l < lo; ++l) {
        double acc = p.bias.empty() ? 0.0 : p.bias[o];
        for (int64_t c = 0; c < cin_g; ++c)
          for (int64_t k = 0; k < p.kernel; ++k) {
            const int64_t li = l * p.stride + k * p.dilation - p.pad_left;
            if (li < 0 || li >= p.length_in) continue;
            acc += double(p.weight[(o * cin_g + c) * p.kernel + k]) *
                   in[(b * p.in_channels + g * cin_g + c) * p.length_in + li];
          }
        out[(b * p.out_channels + o) * lo + l] = static_cast<float>(acc);
      }
    }
}

namespace {

using ColMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using StridedMap = Eigen::Map<ColMatrix, 0, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
using ConstStridedMap =
    Eigen::Map<const ColMatrix, 0, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
// Contiguous columns: a compile-time inner stride of 1 lets Eigen's GEMM store its
// results with vector stores (a dynamic inner stride makes it scatter element-wise).
using ColsMap = Eigen::Map<ColMatrix, 0, Eigen::OuterStride<>>;
using ConstColsMap = Eigen::Map<const ColMatrix, 0, Eigen::OuterStride<>>;

class Conv final : public WeightedLinearLayer {
 public:
  explicit Conv(const ConvParams& p)
      : WeightedLinearLayer("Conv", {{p.in_channels, p.length_in}}), p_(p) {
    if (p.groups < 1 || p.in_channels % p.groups || p.out_channels % p.groups)
      throw ModelError("Conv: channels " + std::to_string(p.in_channels) + "->" +
                       std::to_string(p.out_channels) + " not divisible by groups " +
                       std::to_string(p.groups));
    if (static_cast<int64_t>(p.weight.size()) !=
        p.out_channels * (p.in_channels / p.groups) * p.kernel)
      throw ModelError("Conv: weight has " + std::to_string(p.weight.size()) +
                       " values, expected " +
                       std::to_string(p.out_channels * (p.in_channels / p.groups) * p.kernel));
    if (p.length_out() <= 0)
      throw ModelError("Conv: input length " + std::to_string(p.length_in) +
                       " is shorter than the kernel span");
    output_shape_ = {p.out_channels, p.length_out()};
    check_tensor_size(output_shape_, kind_);
    cin_g_ = p.in_channels / p.groups;
    cout_g_ = p.out_channels / p.groups;
    // taps_[w][g * K + k] is the (cin_g x cout_g) matrix of tap k, group g.
    // Few input channels (the one-hot first layer): one GEMM over [L, Cin * K] columns
    // beats K skinny GEMMs with an inner dimension of Cin.
    im2col_ = p.groups == 1 && p.in_channels * p.kernel <= 512 && p.in_channels < 16;
    if (im2col_)
      for (int w = 0; w < 3; ++w) {
        flat_[w].resize(p.in_channels * p.kernel, p.out_channels);
        for (int64_t o = 0; o < p.out_channels; ++o)
          for (int64_t c = 0; c < p.in_channels; ++c)
            for (int64_t k = 0; k < p.kernel; ++k) {
              const float v = p.weight[(o * p.in_channels + c) * p.kernel + k];
              flat_[w](c * p.kernel + k, o) = w == 0   ? v
                                              : w == 1 ? std::max(v, 0.0f)
                                                       : std::min(v, 0.0f);
            }
      }
    for (int w = 0; w < 3; ++w) taps_[w].resize(p.groups * p.kernel);
    for (int64_t g = 0; g < p.groups; ++g)
      for (int64_t k = 0; k < p.kernel; ++k) {
        ColMatrix all(cin_g_, cout_g_);
        for (int64_t c = 0; c < cin_g_; ++c)
          for (int64_t o = 0; o < cout_g_; ++o)
            all(c, o) = p.weight[((g * cout_g_ + o) * cin_g_ + c) * p.kernel + k];
        taps_[0][g * p.kernel + k] = all;
        taps_[1][g * p.kernel + k] = all.cwiseMax(0.0f);
        taps_[2][g * p.kernel + k] = all.cwiseMin(0.0f);
      }
  }

  void forward(const std::vector<const float*>& inputs, float* output,
               int64_t batch) const override {
    run(Weights::kAll, inputs[0], output, batch, /*with_bias=*/true);
  }

  // Output rows [first, last) of tap k read valid input rows first*stride + k*dil - pad.
  void tap_range(int64_t k, int64_t& first, int64_t& last) const {
    const int64_t lo = output_shape_[1], shift = k * p_.dilation - p_.pad_left;
    first = shift >= 0 ? 0 : (-shift + p_.stride - 1) / p_.stride;
    const int64_t max_in = p_.length_in - 1 - shift;  // need l*stride <= max_in
    last = max_in < 0 ? 0 : std::min(lo, max_in / p_.stride + 1);
  }

  void apply(Weights w, const float* in, float* out, int64_t batch) const override {
    run(w, in, out, batch, /*with_bias=*/false);
  }

  // Output rows start at the bias (or zero); every tap's GEMM accumulates onto them.
  void run(Weights w, const float* in, float* out, int64_t batch, bool with_bias) const {
    const auto& taps = taps_[static_cast<int>(w)];
    const int64_t li = p_.length_in, lo = output_shape_[1];
    for (int64_t row = 0; row < batch * p_.out_channels; ++row)
      std::fill(out + row * lo, out + (row + 1) * lo,
                with_bias && !p_.bias.empty() ? p_.bias[row % p_.out_channels] : 0.0f);
    if (im2col_) {
      thread_local ColMatrix cols;
      for (int64_t b = 0; b < batch; ++b) {
        gather_columns(in + b * p_.in_channels * li, cols);
        Eigen::Map<ColMatrix> y(out + b * p_.out_channels * lo, lo, p_.out_channels);
        y.noalias() += cols * flat_[static_cast<int>(w)];
      }
      return;
    }
    for (int64_t b = 0; b < batch; ++b) {
      const float* x = in + b * p_.in_channels * li;
      float* y = out + b * p_.out_channels * lo;
      for (int64_t g = 0; g < p_.groups; ++g)
        for (int64_t k = 0; k < p_.kernel; ++k) {
          int64_t first, last;
          tap_range(k, first, last);
          if (first >= last) continue;
          const int64_t rows = last - first;
          const int64_t in_row = first * p_.stride + k * p_.dilation - p_.pad_left;
          ColsMap ys(y + g * cout_g_ * lo + first, rows, cout_g_, Eigen::OuterStride<>(lo));
          const float* xg = x + g * cin_g_ * li + in_row;
          if (p_.stride == 1) {
            ys.noalias() +=
                ConstColsMap(xg, rows, cin_g_, Eigen::OuterStride<>(li)) * taps[g * p_.kernel + k];
          } else {
            ConstStridedMap xs(xg, rows, cin_g_,
                               Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(li, p_.stride));
            ys.noalias() += xs * taps[g * p_.kernel + k];
          }
        }
    }
  }

  // cols(l, c * K + k) = input(c, l * stride + k * dil - pad) or 0 outside.
  void gather_columns(const float* x, ColMatrix& cols) const {
    const int64_t li = p_.length_in, lo = output_shape_[1];
    cols.resize(lo, p_.in_channels * p_.kernel);
    for (int64_t c = 0; c < p_.in_channels; ++c)
      for (int64_t k = 0; k < p_.kernel; ++k) {
        float* col = cols.data() + (c * p_.kernel + k) * lo;
        int64_t first, last;  // rows reading inside the input; zeros around them
        tap_range(k, first, last);
        last = std::max(first, last);
        const int64_t at = c * li + k * p_.dilation - p_.pad_left;  // input index of row 0
        std::fill(col, col + first, 0.0f);
        if (p_.stride == 1)
          for (int64_t l = first; l < last; ++l) col[l] = x[at + l];
        else
          for (int64_t l = first; l < last; ++l) col[l] = x[at + l * p_.stride];
        std::fill(col + last, col + lo, 0.0f);
      }
  }

  void apply_transpose(Weights w, const float* out_mult, float* in_mult, int64_t batch,
                       const int64_t* windows = nullptr) const override {
    const auto& taps = taps_[static_cast<int>(w)];
    const int64_t li = p_.length_in, lo = output_shape_[1];
    if (im2col_) {  // scatter the column gradients back
      thread_local ColMatrix cols;
      for (int64_t b = 0; b < batch; ++b) {
        Eigen::Map<const ColMatrix> m(out_mult + b * p_.out_channels * lo, lo, p_.out_channels);
        cols.noalias() = m * flat_[static_cast<int>(w)].transpose();
        float* mi = in_mult + b * p_.in_channels * li;
        for (int64_t c = 0; c < p_.in_channels; ++c)
          for (int64_t k = 0; k < p_.kernel; ++k) {
            const float* col = cols.data() + (c * p_.kernel + k) * lo;
            int64_t first, last;
            tap_range(k, first, last);
            const int64_t at = c * li + k * p_.dilation - p_.pad_left;
            if (p_.stride == 1)
              for (int64_t l = first; l < last; ++l) mi[at + l] += col[l];
            else
              for (int64_t l = first; l < last; ++l) mi[at + l * p_.stride] += col[l];
          }
      }
      return;
    }
    for (int64_t b = 0; b < batch; ++b) {
      const float* m = out_mult + b * p_.out_channels * lo;
      float* mi = in_mult + b * p_.in_channels * li;
      for (int64_t g = 0; g < p_.groups; ++g)
        for (int64_t k = 0; k < p_.kernel; ++k) {
          int64_t first, last;
          tap_range(k, first, last);
          if (windows) {  // zero multipliers outside the window: no GEMM rows there
            first = std::max(first, windows[2 * b]);
            last = std::min(last, windows[2 * b + 1]);
          }
          if (first >= last) continue;
          const int64_t rows = last - first;
          const int64_t in_row = first * p_.stride + k * p_.dilation - p_.pad_left;
          ConstColsMap ms(m + g * cout_g_ * lo + first, rows, cout_g_, Eigen::OuterStride<>(lo));
          float* mig = mi + g * cin_g_ * li + in_row;
          if (p_.stride == 1) {
            ColsMap(mig, rows, cin_g_, Eigen::OuterStride<>(li)).noalias() +=
                ms * taps[g * p_.kernel + k].transpose();
          } else {
            StridedMap mis(mig, rows, cin_g_,
                           Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(li, p_.stride));
            mis.noalias() += ms * taps[g * p_.kernel + k].transpose();
          }
        }
    }
  }

  const ConvParams& params() const { return p_; }

  // Output positions [lo, hi) read input positions [lo * stride - pad, (hi - 1) * stride
  // - pad + span), clipped to the input.
  AxisWindow input_window(std::size_t, AxisWindow out) const override {
    const int64_t span = p_.dilation * (p_.kernel - 1) + 1;
    return {std::max<int64_t>(0, out.first * p_.stride - p_.pad_left),
            std::min<int64_t>(p_.length_in, (out.second - 1) * p_.stride - p_.pad_left + span)};
  }
  int64_t parameter_count() const override {
    return static_cast<int64_t>(p_.weight.size() + p_.bias.size());
  }
  int64_t flops() const override {
    return 2 * p_.out_channels * output_shape_[1] * cin_g_ * p_.kernel;
  }
  ReceptiveField receptive_field(const std::vector<ReceptiveField>& in) const override {
    return windowed_field(in[0], p_.kernel, p_.dilation, p_.stride);
  }

 private:
  ConvParams p_;
  int64_t cin_g_ = 0, cout_g_ = 0;
  std::vector<ColMatrix> taps_[3];
  bool im2col_ = false;
  ColMatrix flat_[3];  ///< [Cin * K, Cout] weights for the im2col path
};

}  // namespace

std::unique_ptr<WeightedLinearLayer> make_conv(const ConvParams& p) {
  return std::make_unique<Conv>(p);
}

const ConvParams* conv_params(const Layer& layer) {
  const auto* conv = dynamic_cast<const Conv*>(&layer);
  return conv ? &conv->params() : nullptr;
}

}  // namespace seqlift
