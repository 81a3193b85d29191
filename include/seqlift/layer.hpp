// One node kind of the network engine: its forward pass and its DeepLIFT backward rule
// side by side (each kind lives in its own file under src/engine/layers/).
//
// Tensors are float32, batch-major: a value of per-sample shape S (the ONNX shape
// without its leading batch axis) is stored as [B, prod(S)] contiguous floats.
// A layer object is immutable after construction; forward() and backward() are
// const and thread-safe (scratch memory is local to the call).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "seqlift/rule.hpp"

namespace seqlift {

using Shape = std::vector<int64_t>;  ///< per-sample shape (no batch axis)
int64_t numel(const Shape& shape);
std::string shape_string(const Shape& shape);  ///< "[4, 200]"

/// [lo, hi) on a value's last axis; empty when lo >= hi.
using AxisWindow = std::pair<int64_t, int64_t>;

/// What backward() sees. Rows of activation buffers: row 0 is the actual input X,
/// row 1 + k is reference k. Multiplier buffers have one row per stream; stream s
/// pairs X with reference stream_ref[s] (several targets share references).
struct BackwardContext {
  Rule rule = Rule::kRescale;        ///< the user's choice (layers apply Rescale unless kGradient)
  std::vector<const float*> in_act;  ///< per input: [1 + K, numel(input shape)]
  const float* out_act = nullptr;    ///< [1 + K, numel(output shape)]
  const float* out_mult = nullptr;   ///< [S, numel(output shape)]
  int64_t streams = 0;               ///< S
  const int* stream_ref = nullptr;   ///< [S], values in 0..K-1
  int64_t refs = 0;                  ///< K
  /// in_mult[0] is uninitialised and this node is its only contributor: write instead
  /// of accumulating. Set only for layers that can_overwrite_input_multipliers().
  bool overwrite = false;
  /// Optional [S, 2]: per stream, the window [lo, hi) of the output's last axis outside
  /// which out_mult is zero (a target reading a few positions). Layers may skip work
  /// outside it; null = the whole axis.
  const int64_t* out_window = nullptr;
};

/// Receptive field of one output position in input bases (span and step).
struct ReceptiveField {
  int64_t span = 1;
  int64_t jump = 1;
  bool global = false;  ///< depends on the whole input
};

/// Receptive field after a sliding window of `kernel` taps spaced `dilation` apart,
/// moved by `stride` (convolutions and pools).
inline ReceptiveField windowed_field(ReceptiveField rf, int64_t kernel, int64_t dilation,
                                     int64_t stride) {
  rf.span += (kernel - 1) * dilation * rf.jump;
  rf.jump *= stride;
  return rf;
}

class Layer;
/// A kind flagged kFinalActivation in the registry (Sigmoid, Softmax, LogSoftmax):
/// stripped from an explained output by default, since DeepLIFT explains the logits
/// (Shrikumar et al. 2017, 3.6).
bool is_final_activation(const Layer& layer);

class Layer {
 public:
  virtual ~Layer() = default;
  const std::string& kind() const { return kind_; }
  const Shape& output_shape() const { return output_shape_; }
  const std::vector<Shape>& input_shapes() const { return input_shapes_; }

  /// out[B, numel(output)] = f(inputs[i][B, numel(input i)]).
  virtual void forward(const std::vector<const float*>& inputs, float* output,
                       int64_t batch) const = 0;

  // ---- DeepLIFT: the layer owns its whole rule ----
  /// What `inspect` prints: "linear", "rescale|reveal-cancel", "maxpool-cross", ...
  virtual const char* rule_name() const = 0;
  /// False: explaining through this layer is an error (backward() throws).
  virtual bool has_rule() const { return true; }
  /// backward() reads its inputs' activations (X and references), so they are kept.
  virtual bool backward_reads_inputs() const { return false; }
  /// ACCUMULATES (+=) input multipliers into in_mult[i][S, numel(input i)].
  /// Throws ModelError for kinds with no rule.
  virtual void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const;
  /// Where input `j`'s multipliers can be nonzero on its last axis when the output's
  /// are zero outside `out` (profile targets read a cone of the input). Default:
  /// `out` for an elementwise layer, else the whole axis.
  virtual AxisWindow input_window(std::size_t j, AxisWindow out) const;

  // RevealCancel (Shrikumar et al. 2017, 3.5.3) is the rule of a pair: a linear layer
  // whose positive and negative input differences are kept apart, and the elementwise
  // nonlinearity reading it. Both sides are virtuals; the default throws.
  /// As the nonlinearity: backward_reveal_cancel() is implemented.
  virtual bool reveals_cancellation() const { return false; }
  /// As the linear layer: whether `rule` asks for RevealCancel at a nonlinearity after it.
  virtual bool splits_for(Rule) const { return false; }
  /// Linear side, forward: positive and negative parts of the output difference for each
  /// reference k: dpos/dneg [K, numel(output)] (W+ dx+ + W- dx-, ...).
  virtual void split_deltas(const float* in_act, int64_t refs, float* dpos, float* dneg) const;
  /// Linear side, backward: separate multipliers for the positive and negative parts
  /// (mult_pos/mult_neg [S, numel(output)]) accumulated into in_mult [S, numel(input)].
  virtual void backward_split(const BackwardContext& ctx, const float* mult_pos,
                              const float* mult_neg, float* in_mult) const;
  /// Nonlinearity side: from dpos/dneg [K, n] of its input and ctx.out_mult, accumulate
  /// mult_pos/mult_neg [S, n] for its input.
  virtual void backward_reveal_cancel(const BackwardContext& ctx, const float* dpos,
                                      const float* dneg, float* mult_pos, float* mult_neg) const;

  /// Every input's multipliers equal the output's (a sum with unit coefficients): the
  /// explainer may hand the output buffer to an input instead of copying it.
  virtual bool passes_multipliers_through() const { return false; }
  /// backward() honours BackwardContext::overwrite (one input).
  virtual bool can_overwrite_input_multipliers() const { return false; }
  /// Output element i depends on input element i only (inputs and output of one shape).
  virtual bool is_elementwise() const { return false; }

  virtual int64_t parameter_count() const { return 0; }
  /// Forward floating-point operations per sample (multiply-add counts as 2).
  virtual int64_t flops() const { return numel(output_shape_); }
  virtual ReceptiveField receptive_field(const std::vector<ReceptiveField>& inputs) const;

 protected:
  Layer(std::string kind, std::vector<Shape> inputs)
      : kind_(std::move(kind)), input_shapes_(std::move(inputs)) {}
  std::string kind_;
  std::vector<Shape> input_shapes_;
  Shape output_shape_;
};

/// A linear map with weights (Conv, Dense): it can also run with only the positive or
/// only the negative weights, which RevealCancel needs (Shrikumar et al. 2017, 3.5.3).
class WeightedLinearLayer : public Layer {
 public:
  enum class Weights { kAll, kPositive, kNegative };
  /// out = W' in (no bias) for batch rows; overwrites out.
  virtual void apply(Weights w, const float* in, float* out, int64_t batch) const = 0;
  /// in_mult += W'^T out_mult for batch rows. `windows` ([batch, 2], optional): rows of
  /// out_mult are zero outside [lo, hi) of the output's last axis.
  virtual void apply_transpose(Weights w, const float* out_mult, float* in_mult, int64_t batch,
                               const int64_t* windows = nullptr) const = 0;
  const char* rule_name() const override { return "linear"; }
  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override;
  /// RevealCancel after any weighted layer under Rule::kRevealCancel (Dense adds kGenomics).
  bool splits_for(Rule rule) const override { return rule == Rule::kRevealCancel; }
  void split_deltas(const float* in_act, int64_t refs, float* dpos, float* dneg) const override;
  void backward_split(const BackwardContext& ctx, const float* mult_pos, const float* mult_neg,
                      float* in_mult) const override;

 protected:
  using Layer::Layer;
};

}  // namespace seqlift
