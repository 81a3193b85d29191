#include "seqlift/layer.hpp"

#include <algorithm>
#include <vector>

#include "engine/layers/layers.hpp"
#include "engine/registry.hpp"
#include "seqlift/error.hpp"

namespace seqlift {

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void check_tensor_size(const Shape& shape, const std::string& what) {
  constexpr int64_t kMaxElements = int64_t(1) << 25;
  int64_t n = 1;
  for (auto d : shape) {
    if (d < 0 || (d > 0 && n > kMaxElements / d))
      throw ModelError(what + ": shape " + shape_string(shape) +
                       " is negative or larger than 2^25 elements per sequence");
    n *= d;
  }
}

void Layer::backward(const BackwardContext&, const std::vector<float*>&) const {
  throw ModelError("layer kind " + kind_ + " has no DeepLIFT rule");
}

AxisWindow Layer::input_window(std::size_t j, AxisWindow out) const {
  if (is_elementwise() && input_shapes_[j] == output_shape_) return out;
  return {0, input_shapes_[j].empty() ? 1 : input_shapes_[j].back()};
}

void Layer::split_deltas(const float*, int64_t, float*, float*) const {
  throw ModelError("layer kind " + kind_ + " cannot split differences for RevealCancel");
}
void Layer::backward_split(const BackwardContext&, const float*, const float*, float*) const {
  throw ModelError("layer kind " + kind_ + " cannot take split multipliers for RevealCancel");
}
void Layer::backward_reveal_cancel(const BackwardContext&, const float*, const float*, float*,
                                   float*) const {
  throw ModelError("layer kind " + kind_ + " has no RevealCancel rule");
}

ReceptiveField Layer::receptive_field(const std::vector<ReceptiveField>& inputs) const {
  ReceptiveField rf;
  for (const auto& in : inputs) {
    rf.span = std::max(rf.span, in.span);
    rf.jump = std::max(rf.jump, in.jump);
    rf.global = rf.global || in.global;
  }
  return rf;
}

void WeightedLinearLayer::backward(const BackwardContext& ctx,
                                   const std::vector<float*>& in_mult) const {
  apply_transpose(Weights::kAll, ctx.out_mult, in_mult[0], ctx.streams, ctx.out_window);
}

void WeightedLinearLayer::split_deltas(const float* in_act, int64_t refs, float* dpos,
                                       float* dneg) const {
  const int64_t n_in = numel(input_shapes_[0]), n_out = numel(output_shape_);
  std::vector<float> pos(refs * n_in), neg(refs * n_in), tmp(refs * n_out);
  for (int64_t k = 0; k < refs; ++k) {
    const float* x = in_act;
    const float* r = in_act + (1 + k) * n_in;
    for (int64_t i = 0; i < n_in; ++i) {
      const float d = x[i] - r[i];
      pos[k * n_in + i] = d > 0 ? d : 0.0f;
      neg[k * n_in + i] = d < 0 ? d : 0.0f;
    }
  }
  // dpos = W+ dx+ + W- dx-;  dneg = W+ dx- + W- dx+
  apply(Weights::kPositive, pos.data(), dpos, refs);
  apply(Weights::kNegative, neg.data(), tmp.data(), refs);
  for (int64_t i = 0; i < refs * n_out; ++i) dpos[i] += tmp[i];
  apply(Weights::kPositive, neg.data(), dneg, refs);
  apply(Weights::kNegative, pos.data(), tmp.data(), refs);
  for (int64_t i = 0; i < refs * n_out; ++i) dneg[i] += tmp[i];
}

void WeightedLinearLayer::backward_split(const BackwardContext& ctx, const float* mult_pos,
                                         const float* mult_neg, float* in_mult) const {
  const int64_t n_in = numel(input_shapes_[0]);
  const int64_t s = ctx.streams;
  // For an input whose difference is positive its multiplier is W+^T m+ + W-^T m-;
  // for a negative difference W+^T m- + W-^T m+; at zero difference the mean.
  std::vector<float> for_pos(s * n_in, 0.0f), for_neg(s * n_in, 0.0f);
  apply_transpose(Weights::kPositive, mult_pos, for_pos.data(), s);
  apply_transpose(Weights::kNegative, mult_neg, for_pos.data(), s);
  apply_transpose(Weights::kPositive, mult_neg, for_neg.data(), s);
  apply_transpose(Weights::kNegative, mult_pos, for_neg.data(), s);
  const float* x = ctx.in_act[0];
  for (int64_t st = 0; st < s; ++st) {
    const float* r = ctx.in_act[0] + (1 + ctx.stream_ref[st]) * n_in;
    float* out = in_mult + st * n_in;
    const float* p = for_pos.data() + st * n_in;
    const float* n = for_neg.data() + st * n_in;
    for (int64_t i = 0; i < n_in; ++i) {
      const float d = x[i] - r[i];
      out[i] += d > 0 ? p[i] : d < 0 ? n[i] : 0.5f * (p[i] + n[i]);
    }
  }
}

bool is_final_activation(const Layer& layer) {
  const KindSpec* k = find_kind(layer.kind());
  return k && (k->flags & kFinalActivation);
}

}  // namespace seqlift
