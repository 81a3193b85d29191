// Factories for every layer kind (one .cpp each under this folder). Internal header:
// the ONNX importer and the tests build layers through these.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "seqlift/layer.hpp"

namespace seqlift {

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
