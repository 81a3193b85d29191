// One node kind of the network engine: its forward pass and its DeepLIFT backward rule
// side by side (each kind lives in its own file under src/engine/layers/; the kinds are
// listed in src/engine/kinds.def). The backward machinery (BackwardContext,
// WeightedLinearLayer) is internal: src/engine/layers/layers.hpp.
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

struct BackwardContext;  // engine internal (src/engine/layers/layers.hpp)

/// Receptive field of one output position in input bases (span and step).
struct ReceptiveField {
  int64_t span = 1;
  int64_t jump = 1;
  bool global = false;  ///< depends on the whole input
};

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

}  // namespace seqlift
