// Dense (Gemm / MatMul with constant weights): y = W x + b over the last axis.
// DeepLIFT backward through W^T (a linear layer: bias cancels).
#include <Eigen/Core>

#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

using ColMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

class Dense final : public WeightedLinearLayer {
 public:
  explicit Dense(const DenseParams& p) : WeightedLinearLayer("Dense", {p.input}), p_(p) {
    if (p.input.empty() || p.input.back() != p.in_features)
      throw ModelError("Dense: input shape " + shape_string(p.input) + " does not end in " +
                       std::to_string(p.in_features) + " features");
    if (static_cast<int64_t>(p.weight.size()) != p.in_features * p.out_features)
      throw ModelError("Dense: weight size mismatch");
    output_shape_ = p.input;
    output_shape_.back() = p.out_features;
    rows_ = numel(p.input) / p.in_features;
    for (int w = 0; w < 3; ++w) weights_[w].resize(p.out_features, p.in_features);
    for (int64_t o = 0; o < p.out_features; ++o)
      for (int64_t i = 0; i < p.in_features; ++i) {
        const float v = p.weight[o * p.in_features + i];
        weights_[0](o, i) = v;
        weights_[1](o, i) = v > 0 ? v : 0.0f;
        weights_[2](o, i) = v < 0 ? v : 0.0f;
      }
  }

  void forward(const std::vector<const float*>& inputs, float* output,
               int64_t batch) const override {
    apply(Weights::kAll, inputs[0], output, batch);
    if (p_.bias.empty()) return;
    Eigen::Map<ColMatrix> y(output, p_.out_features, batch * rows_);
    Eigen::Map<const Eigen::VectorXf> b(p_.bias.data(), p_.out_features);
    y.colwise() += b;
  }

  void apply(Weights w, const float* in, float* out, int64_t batch) const override {
    Eigen::Map<const ColMatrix> x(in, p_.in_features, batch * rows_);
    Eigen::Map<ColMatrix> y(out, p_.out_features, batch * rows_);
    y.noalias() = weights_[static_cast<int>(w)] * x;
  }

  void apply_transpose(Weights w, const float* out_mult, float* in_mult, int64_t batch,
                       const int64_t* /*windows*/ = nullptr) const override {
    Eigen::Map<const ColMatrix> m(out_mult, p_.out_features, batch * rows_);
    Eigen::Map<ColMatrix> mi(in_mult, p_.in_features, batch * rows_);
    mi.noalias() += weights_[static_cast<int>(w)].transpose() * m;
  }

  // DeepLIFT's genomics default: RevealCancel after dense layers, Rescale after convs.
  bool splits_for(Rule rule) const override {
    return rule == Rule::kRevealCancel || rule == Rule::kGenomics;
  }
  int64_t parameter_count() const override {
    return static_cast<int64_t>(p_.weight.size() + p_.bias.size());
  }
  int64_t flops() const override { return 2 * rows_ * p_.in_features * p_.out_features; }
  ReceptiveField receptive_field(const std::vector<ReceptiveField>& in) const override {
    ReceptiveField rf = in[0];
    if (p_.input.size() == 1) rf.global = true;  // mixes every position of a flattened input
    return rf;
  }

 private:
  DenseParams p_;
  int64_t rows_ = 1;
  ColMatrix weights_[3];
};

}  // namespace

std::unique_ptr<WeightedLinearLayer> make_dense(const DenseParams& p) {
  return std::make_unique<Dense>(p);
}

}  // namespace seqlift
