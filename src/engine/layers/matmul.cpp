// MatMul of two computed tensors (attention scores Q K^T and P V): per sample
// [..., M, K] x [..., K, N] -> [..., M, N], leading axes broadcast. Each term
// A[i,j] B[j,l] is a product of two varying values, so the two-player Shapley split
// gives m_A = m_Z mid(B)^T and m_B = mid(A)^T m_Z with mid = (value at X + value at R) / 2.
// Small GEMMs per head through Eigen.
#include <Eigen/Core>
#include <algorithm>

#include "engine/layers/attention_layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Map = Eigen::Map<RowMatrix>;
using ConstMap = Eigen::Map<const RowMatrix>;

class MatMul final : public Layer {
 public:
  MatMul(const Shape& a, const Shape& b) : Layer("MatMul", {a, b}) {
    if (a.size() < 2 || b.size() < 2)
      throw ModelError("MatMul of computed tensors: operands of shapes " + shape_string(a) +
                       " and " + shape_string(b) + " need 2 or more per-sample axes");
    m_ = a[a.size() - 2];
    k_ = a.back();
    n_ = b.back();
    if (b[b.size() - 2] != k_)
      throw ModelError("MatMul: inner dimensions of " + shape_string(a) + " and " +
                       shape_string(b) + " do not match");
    const Shape la(a.begin(), a.end() - 2), lb(b.begin(), b.end() - 2);
    Shape lead(std::max(la.size(), lb.size()), 1);
    for (std::size_t i = 0; i < lead.size(); ++i) {
      const int64_t da = i < lead.size() - la.size() ? 1 : la[i - (lead.size() - la.size())];
      const int64_t db = i < lead.size() - lb.size() ? 1 : lb[i - (lead.size() - lb.size())];
      if (da != db && da != 1 && db != 1)
        throw ModelError("MatMul: leading axes of " + shape_string(a) + " and " +
                         shape_string(b) + " do not broadcast");
      lead[i] = std::max(da, db);
    }
    output_shape_ = lead;
    output_shape_.push_back(m_);
    output_shape_.push_back(n_);
    groups_ = numel(lead);
    ga_ = lead_index(la, lead);
    gb_ = lead_index(lb, lead);
  }

  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t na = numel(input_shapes_[0]), nb = numel(input_shapes_[1]),
                  nz = numel(output_shape_);
    for (int64_t r = 0; r < batch; ++r)
      for (int64_t g = 0; g < groups_; ++g) {
        ConstMap a(in[0] + r * na + ga_[g] * m_ * k_, m_, k_);
        ConstMap b(in[1] + r * nb + gb_[g] * k_ * n_, k_, n_);
        Map z(out + r * nz + g * m_ * n_, m_, n_);
        z.noalias() = a * b;
      }
  }

  const char* rule_name() const override { return "shapley-product (matmul)"; }
  bool backward_reads_inputs() const override { return true; }
  int64_t flops() const override { return 2 * groups_ * m_ * k_ * n_; }
  ReceptiveField receptive_field(const std::vector<ReceptiveField>& in) const override {
    ReceptiveField rf = in[0].span >= in[1].span ? in[0] : in[1];
    rf.global = true;  // mixes positions (attention)
    return rf;
  }

  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t na = numel(input_shapes_[0]), nb = numel(input_shapes_[1]),
                  nz = numel(output_shape_);
    // Midpoints per reference the streams use.
    std::vector<float> mid_a(ctx.refs * na), mid_b(ctx.refs * nb);
    std::vector<char> done(ctx.refs, 0);
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const int64_t k = ctx.stream_ref[s];
      if (done[k]) continue;
      done[k] = 1;
      // The gradient rule (for comparison) takes the reference at X.
      const int64_t kr = ctx.rule == Rule::kGradient ? -1 : k;
      midpoint(ctx.in_act[0], kr, na, mid_a.data() + k * na);
      midpoint(ctx.in_act[1], kr, nb, mid_b.data() + k * nb);
    }
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const int64_t k = ctx.stream_ref[s];
      for (int64_t g = 0; g < groups_; ++g) {
        ConstMap mz(ctx.out_mult + s * nz + g * m_ * n_, m_, n_);
        ConstMap a(mid_a.data() + k * na + ga_[g] * m_ * k_, m_, k_);
        ConstMap b(mid_b.data() + k * nb + gb_[g] * k_ * n_, k_, n_);
        Map ma(in_mult[0] + s * na + ga_[g] * m_ * k_, m_, k_);
        Map mb(in_mult[1] + s * nb + gb_[g] * k_ * n_, k_, n_);
        ma.noalias() += mz * b.transpose();
        mb.noalias() += a.transpose() * mz;
      }
    }
  }

 private:
  static void midpoint(const float* act, int64_t k, int64_t n, float* out) {
    const float* x = act;
    const float* r = act + (1 + k) * n;
    for (int64_t i = 0; i < n; ++i) out[i] = 0.5f * (x[i] + r[i]);
  }
  // Which operand matrix each output matrix reads (broadcast leading axes).
  static std::vector<int64_t> lead_index(const Shape& in, const Shape& lead) {
    const std::size_t off = lead.size() - in.size();
    const int64_t n = numel(lead);
    std::vector<int64_t> idx(n), pos(lead.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t src = 0;
      for (std::size_t a = 0; a < in.size(); ++a) src = src * in[a] + (in[a] == 1 ? 0 : pos[a + off]);
      idx[i] = src;
      for (int64_t a = static_cast<int64_t>(lead.size()) - 1; a >= 0; --a) {
        if (++pos[a] < lead[a]) break;
        pos[a] = 0;
      }
    }
    return idx;
  }

  int64_t m_ = 0, k_ = 0, n_ = 0, groups_ = 1;
  std::vector<int64_t> ga_, gb_;
};

}  // namespace

std::unique_ptr<Layer> make_matmul(const Shape& a, const Shape& b) {
  return std::make_unique<MatMul>(a, b);
}

}  // namespace seqlift
