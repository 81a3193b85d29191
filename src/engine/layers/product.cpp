// Add / Sub / Mul of two computed tensors with numpy broadcasting. Add and Sub are
// linear (multipliers summed over the broadcast axes); Mul uses the two-player Shapley
// split m_a = m_z (b + b_r) / 2, m_b = m_z (a + a_r) / 2, exact because
// a b - a_r b_r = (a - a_r)(b + b_r) / 2 + (a + a_r)(b - b_r) / 2.
#include <algorithm>

#include "engine/layers/attention_layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

enum class Op { kAdd, kSub, kMul };

// For every output element, the flat index it reads in an operand of shape `in`
// (right-aligned numpy broadcasting against `out`).
std::vector<int32_t> broadcast_index(const Shape& in, const Shape& out) {
  const std::size_t off = out.size() - in.size();
  std::vector<int64_t> stride(in.size(), 1);
  for (int64_t a = static_cast<int64_t>(in.size()) - 2; a >= 0; --a)
    stride[a] = stride[a + 1] * in[a + 1];
  const int64_t n = numel(out);
  std::vector<int32_t> idx(n);
  std::vector<int64_t> pos(out.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t src = 0;
    for (std::size_t a = 0; a < in.size(); ++a)
      src += (in[a] == 1 ? 0 : pos[a + off]) * stride[a];
    idx[i] = static_cast<int32_t>(src);
    for (int64_t a = static_cast<int64_t>(out.size()) - 1; a >= 0; --a) {
      if (++pos[a] < out[a]) break;
      pos[a] = 0;
    }
  }
  return idx;
}

class BroadcastBinary final : public Layer {
 public:
  BroadcastBinary(const std::string& kind, Op op, const Shape& a, const Shape& b)
      : Layer(kind, {a, b}), op_(op) {
    Shape out(std::max(a.size(), b.size()), 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
      const int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
      if (da != db && da != 1 && db != 1)
        throw ModelError(kind + ": shapes " + shape_string(a) + " and " + shape_string(b) +
                         " do not broadcast");
      out[i] = std::max(da, db);
    }
    output_shape_ = out;
    same_ = a == out && b == out;
    if (!same_) {
      ia_ = broadcast_index(a, out);
      ib_ = broadcast_index(b, out);
    }
  }

  int64_t ia(int64_t i) const { return same_ ? i : ia_[i]; }
  int64_t ib(int64_t i) const { return same_ ? i : ib_[i]; }

  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n = numel(output_shape_), na = numel(input_shapes_[0]),
                  nb = numel(input_shapes_[1]);
    for (int64_t r = 0; r < batch; ++r) {
      const float* a = in[0] + r * na;
      const float* b = in[1] + r * nb;
      float* z = out + r * n;
      switch (op_) {
        case Op::kAdd:
          for (int64_t i = 0; i < n; ++i) z[i] = a[ia(i)] + b[ib(i)];
          break;
        case Op::kSub:
          for (int64_t i = 0; i < n; ++i) z[i] = a[ia(i)] - b[ib(i)];
          break;
        case Op::kMul:
          for (int64_t i = 0; i < n; ++i) z[i] = a[ia(i)] * b[ib(i)];
          break;
      }
    }
  }

  const char* rule_name() const override {
    return op_ == Op::kMul ? "shapley-product" : "linear";
  }
  bool backward_reads_inputs() const override { return op_ == Op::kMul; }
  bool is_elementwise() const override { return same_; }
  int64_t flops() const override { return numel(output_shape_); }

  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_), na = numel(input_shapes_[0]),
                  nb = numel(input_shapes_[1]);
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const float* m = ctx.out_mult + s * n;
      float* ma = in_mult[0] + s * na;
      float* mb = in_mult[1] + s * nb;
      if (op_ != Op::kMul) {
        const float sb = op_ == Op::kSub ? -1.0f : 1.0f;
        for (int64_t i = 0; i < n; ++i) {
          ma[ia(i)] += m[i];
          mb[ib(i)] += sb * m[i];
        }
        continue;
      }
      const int64_t k = ctx.stream_ref[s];
      const float* a0 = ctx.in_act[0];
      // The gradient rule (for comparison) takes the reference at X: midpoints are X.
      const bool grad = ctx.rule == Rule::kGradient;
      const float* ar = grad ? a0 : a0 + (1 + k) * na;
      const float* b0 = ctx.in_act[1];
      const float* br = grad ? b0 : b0 + (1 + k) * nb;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t x = ia(i), y = ib(i);
        ma[x] += m[i] * 0.5f * (b0[y] + br[y]);
        mb[y] += m[i] * 0.5f * (a0[x] + ar[x]);
      }
    }
  }

  ReceptiveField receptive_field(const std::vector<ReceptiveField>& in) const override {
    ReceptiveField rf = in[0].span >= in[1].span ? in[0] : in[1];
    rf.global = in[0].global || in[1].global;
    return rf;
  }

 private:
  Op op_;
  bool same_ = true;
  std::vector<int32_t> ia_, ib_;
};

}  // namespace

std::unique_ptr<Layer> make_broadcast_binary(const std::string& op, const Shape& a,
                                             const Shape& b) {
  const Op o = op == "Add"   ? Op::kAdd
               : op == "Sub" ? Op::kSub
               : op == "Mul" ? Op::kMul
                             : throw ModelError("broadcast binary: unknown op " + op);
  return std::make_unique<BroadcastBinary>(o == Op::kMul ? "Product" : "Sum", o, a, b);
}

}  // namespace seqlift
