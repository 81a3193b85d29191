// Internal: the backward machinery (BackwardContext, WeightedLinearLayer) and the
// factories for every layer kind (one .cpp each under this folder); the importers and
// the tests build layers through these.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "seqlift/layer.hpp"

namespace seqlift {

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

/// Receptive field after a sliding window of `kernel` taps spaced `dilation` apart,
/// moved by `stride` (convolutions and pools).
inline ReceptiveField windowed_field(ReceptiveField rf, int64_t kernel, int64_t dilation,
                                     int64_t stride) {
  rf.span += (kernel - 1) * dilation * rf.jump;
  rf.jump *= stride;
  return rf;
}

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

/// Largest per-sample tensor a model may declare: 2^25 elements (e.g. 256 channels x
/// 131 kb; index maps over it take 512 MiB). A larger or
/// negative shape is a ModelError naming `what` (malformed or hostile model files).
void check_tensor_size(const Shape& shape, const std::string& what);

// ---- conv.cpp: Conv1d (cross-correlation, ONNX/PyTorch semantics) ----
struct ConvParams {
  int64_t in_channels = 0, out_channels = 0, kernel = 1;
  int64_t stride = 1, dilation = 1, pad_left = 0, pad_right = 0, groups = 1;
  int64_t length_in = 0;
  std::vector<float> weight;  ///< [out_channels, in_channels / groups, kernel]
  std::vector<float> bias;    ///< [out_channels] or empty
  int64_t length_out() const;
  /// The same conv computing only output positions [first, first + count): the window
  /// becomes its padding (negative pads crop).
  ConvParams window(int64_t first, int64_t count) const;
};
std::unique_ptr<WeightedLinearLayer> make_conv(const ConvParams& p);
/// The parameters of a Conv layer; nullptr for any other layer.
const ConvParams* conv_params(const Layer& layer);
/// Plain loop kernel the fast one is tested against: out[B, Cout, Lout] (bias added).
void conv1d_reference(const ConvParams& p, const float* in, float* out, int64_t batch);

// ---- dense.cpp: y = W x + b over the last axis (Gemm, MatMul with constant weights) ----
struct DenseParams {
  Shape input;  ///< per-sample; the last axis has in_features elements
  int64_t in_features = 0, out_features = 0;
  std::vector<float> weight;  ///< [out_features, in_features]
  std::vector<float> bias;    ///< [out_features] or empty
};
std::unique_ptr<WeightedLinearLayer> make_dense(const DenseParams& p);

// ---- affine.cpp: y = x * scale + shift elementwise with constant arrays ----
/// scale/shift are empty or numel(shape) long (already broadcast). stored_parameters:
/// what the model file holds (a BatchNormalization: 4 per channel), for `inspect`;
/// -1 = the arrays' size.
std::unique_ptr<Layer> make_affine(const std::string& kind, const Shape& shape,
                                   std::vector<float> scale, std::vector<float> shift,
                                   int64_t stored_parameters = -1);

// ---- sum.cpp: y = sum_i coef_i * x_i of dynamic inputs of one shape ----
std::unique_ptr<Layer> make_sum(const std::string& kind, const Shape& shape,
                                std::vector<float> coefficients);

// ---- activation.cpp: elementwise nonlinearities (Rescale / RevealCancel) ----
/// kind: a kActivation kind of kinds.def (Relu, LeakyRelu, Elu, Sigmoid, ...). alpha:
/// LeakyRelu slope / Elu alpha; unset = the ONNX default (0.01 / 1).
std::unique_ptr<Layer> make_activation(const std::string& kind, const Shape& shape,
                                       std::optional<float> alpha = std::nullopt);
/// The kinds activation.cpp implements (checked against the registry's kActivation rows).
const std::vector<std::string>& activation_kinds();

// ---- maxpool.cpp / avgpool.cpp: 1-D pooling over the last axis of [C, L] ----
struct PoolParams {
  int64_t channels = 0, length_in = 0, kernel = 1, stride = 1, pad_left = 0, pad_right = 0;
  int64_t dilation = 1;
  bool ceil_mode = false;
  bool count_include_pad = false;  ///< AveragePool only
  int64_t length_out() const;
};
std::unique_ptr<Layer> make_maxpool(const std::string& kind, const PoolParams& p);
std::unique_ptr<Layer> make_avgpool(const std::string& kind, const PoolParams& p);

// ---- reduce.cpp: ReduceSum / ReduceMean over axes (linear) ----
std::unique_ptr<Layer> make_reduce(const std::string& kind, const Shape& input,
                                   std::vector<int64_t> axes, bool keepdims, bool mean);
// ---- logsumexp.cpp: ReduceLogSumExp = Log(ReduceSum(Exp(x))), Rescale at each step ----
std::unique_ptr<Layer> make_logsumexp(const std::string& kind, const Shape& input,
                                      std::vector<int64_t> axes, bool keepdims);

// ---- softmax.cpp: Softmax / LogSoftmax over one axis (exact rule inside a network:
// Exp * Reciprocal(Sum Exp) with a shift shared by X and the reference) ----
std::unique_ptr<Layer> make_softmax(const std::string& kind, const Shape& shape, int64_t axis,
                                    bool log);

// ---- index_map.cpp: data movement (Flatten, Reshape, Transpose, Squeeze, Unsqueeze,
// Slice, Gather, Concat, Pad, Identity, Dropout) ----
/// Output element j takes input source[j].input at source[j].index, or `fill` when
/// input < 0. An identity map (one input, same order) is stored as such.
struct IndexSource {
  int32_t input;
  int64_t index;
};
std::unique_ptr<Layer> make_index_map(const std::string& kind, std::vector<Shape> inputs,
                                      Shape output, std::vector<IndexSource> source,
                                      float fill = 0.0f);
std::unique_ptr<Layer> make_reshape(const std::string& kind, const Shape& input,
                                    const Shape& output);
/// The sources and fill of an index-map layer; false for any other layer.
bool index_map_sources(const Layer& layer, std::vector<IndexSource>& sources, float& fill);

}  // namespace seqlift
