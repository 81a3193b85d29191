// MaxPool / GlobalMaxPool over the last axis of [C, L]. DeepLIFT (cross-argmax rule, as
// captum and tangermeme, but ACCUMULATED over overlapping windows): in each window the
// difference max(x) - max(r) is credited to the argmax of whichever of x and r is
// larger; an input's multiplier is its total credit divided by its own difference.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

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

  // argmax() of every window of one row. Windows wholly inside the row (all of them but
  // a few at padded edges) skip the bounds checks: this runs for X and every reference.
  void argmax_row(const float* x, int32_t* idx) const {
    const int64_t lo = output_shape_[1], d = p_.dilation;
    // Interior windows: first >= 0 and last < length_in.
    const int64_t w0 = std::min(lo, (p_.pad_left + p_.stride - 1) / p_.stride);
    const int64_t span = (p_.kernel - 1) * d + 1, room = p_.length_in + p_.pad_left - span;
    const int64_t w1 = room < 0 ? w0 : std::max(w0, std::min(lo, room / p_.stride + 1));
    for (int64_t w = 0; w < w0; ++w) idx[w] = static_cast<int32_t>(argmax(x, w));
    for (int64_t w = w1; w < lo; ++w) idx[w] = static_cast<int32_t>(argmax(x, w));
    if (d == 1 && p_.stride == p_.kernel) {  // the usual genomics pool: vectorised
      switch (p_.kernel) {
        case 2:
          return argmax_tiled<2>(x, w0, w1, idx);
        case 3:
          return argmax_tiled<3>(x, w0, w1, idx);
        case 4:
          return argmax_tiled<4>(x, w0, w1, idx);
        case 5:
          return argmax_tiled<5>(x, w0, w1, idx);
        case 6:
          return argmax_tiled<6>(x, w0, w1, idx);
        case 8:
          return argmax_tiled<8>(x, w0, w1, idx);
        default:
          break;
      }
    }
    for (int64_t w = w0; w < w1; ++w) {
      const int64_t first = w * p_.stride - p_.pad_left, last = first + (p_.kernel - 1) * d;
      int64_t best = first;
      float best_v = x[first];
      for (int64_t i = first + d; i <= last; i += d)
        if (x[i] > best_v || std::isnan(x[i])) {
          best = i;
          best_v = x[i];
        }
      idx[w] = static_cast<int32_t>(best);
    }
  }

  // Non-overlapping windows of K contiguous values: branch-free, so the compiler
  // vectorises across windows (the same first-maximum and NaN rule as argmax()).
  template <int K>
  void argmax_tiled(const float* x, int64_t w0, int64_t w1, int32_t* idx) const {
    const int32_t shift = static_cast<int32_t>(-p_.pad_left);
    for (int64_t w = w0; w < w1; ++w) {
      const int32_t first = static_cast<int32_t>(w) * K + shift;
      float best_v = x[first];
      int32_t best = first;
      for (int j = 1; j < K; ++j) {
        const float v = x[first + j];
        const bool take = (v > best_v) | (v != v);
        best_v = take ? v : best_v;
        best = take ? first + j : best;
      }
      idx[w] = best;
    }
  }

  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t lo = output_shape_[1];
    thread_local std::vector<int32_t> idx;
    idx.resize(lo);
    for (int64_t row = 0; row < batch * p_.channels; ++row) {
      const float* x = in[0] + row * p_.length_in;
      argmax_row(x, idx.data());
      for (int64_t w = 0; w < lo; ++w) out[row * lo + w] = idx[w] < 0 ? 0.0f : x[idx[w]];
    }
  }

  const char* rule_name() const override { return "maxpool-cross"; }
  bool backward_reads_inputs() const override { return true; }

  // Per reference, each window's credit as two (index, coefficient) terms, shared by
  // every target's stream: mi[ax] += m[w] cx[w], mi[ar] += m[w] cr[w]. The coefficients
  // are the window's credit divided by that input's own difference, or the plain
  // gradient (1 at the argmax of x) where the difference is below 1e-10.
  struct WindowTerms {
    std::vector<int32_t> ax, ar;
    std::vector<float> cx, cr;
  };
  // ax: argmax of X's windows, [C, Lout] (computed once per backward call, shared by
  // every reference).
  void window_terms(const float* x0, const int32_t* ax_all, const float* r0, bool gradient,
                    WindowTerms& t) const {
    const int64_t li = p_.length_in, lo = output_shape_[1], n_out = p_.channels * lo;
    t.ax.resize(n_out);
    t.ar.resize(n_out);
    t.cx.resize(n_out);
    t.cr.resize(n_out);
    for (int64_t c = 0; c < p_.channels; ++c) {
      const float* x = x0 + c * li;
      const float* r = r0 + c * li;
      int32_t* ar_row = t.ar.data() + c * lo;
      argmax_row(r, ar_row);
      for (int64_t w = 0; w < lo; ++w) {
        const int64_t o = c * lo + w, ax = ax_all[o], ar = ar_row[w];
        if (ax < 0) {
          t.ax[o] = t.ar[o] = 0;
          t.cx[o] = t.cr[o] = 0.0f;
          continue;
        }
        if (ax == ar) {  // one argmax (often: windows of zeros after a ReLU): all the credit
          t.ax[o] = t.ar[o] = static_cast<int32_t>(c * li + ax);  // (the general formula
          t.cx[o] = 1.0f;                                         // gives exactly 1 and 0)
          t.cr[o] = 0.0f;
          continue;
        }
        const double yx = x[ax], yr = r[ar], top = std::max(yx, yr);
        const double dx = double(x[ax]) - r[ax], dr = double(x[ar]) - r[ar];
        const bool gx = gradient || std::fabs(dx) < 1e-10, gr = gradient || std::fabs(dr) < 1e-10;
        t.ax[o] = static_cast<int32_t>(c * li + ax);
        t.ar[o] = static_cast<int32_t>(c * li + ar);
        t.cx[o] = static_cast<float>(gx ? 1.0 : (top - yr) / dx);
        t.cr[o] = static_cast<float>(gr ? 0.0 : (yx - top) / dr);
      }
    }
  }

  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t li = p_.length_in, lo = output_shape_[1], n_in = p_.channels * li,
                  n_out = p_.channels * lo;
    thread_local std::vector<WindowTerms> terms;
    thread_local std::vector<char> ready;
    thread_local std::vector<int32_t> ax;
    if (static_cast<int64_t>(terms.size()) < ctx.refs) terms.resize(ctx.refs);
    ready.assign(ctx.refs, 0);
    ax.resize(n_out);
    for (int64_t c = 0; c < p_.channels; ++c)
      argmax_row(ctx.in_act[0] + c * li, ax.data() + c * lo);
    const bool gradient = ctx.rule == Rule::kGradient;
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const int64_t k = ctx.stream_ref[s];
      if (!ready[k]) {
        window_terms(ctx.in_act[0], ax.data(), ctx.in_act[0] + (1 + k) * n_in, gradient, terms[k]);
        ready[k] = 1;
      }
      const WindowTerms& t = terms[k];
      const float* m = ctx.out_mult + s * n_out;
      float* mi = in_mult[0] + s * n_in;
      for (int64_t o = 0; o < n_out; ++o) {
        mi[t.ax[o]] += m[o] * t.cx[o];
        mi[t.ar[o]] += m[o] * t.cr[o];
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
