// Keras config parsers: one per kinds.def row with Keras classes, turning a layer call
// into engine nodes. The row lists the classes; kParsers below is generated from it.
// Engine values are channels-first ([C, L] for a Keras (L, C) tensor); see
// keras_importer.hpp.
#include <cmath>
#include <string_view>

#include "engine/index_maps.hpp"
#include "engine/keras_importer.hpp"
#include "engine/registry.hpp"

namespace seqlift {
namespace {

using Inputs = std::vector<int>;

int one_input(KerasImporter& imp, const Inputs& in) {
  if (in.size() != 1) imp.fail("expects one input, got " + std::to_string(in.size()));
  return in[0];
}

// A (length, channels) input: the engine value [C, L].
int sequence_input(KerasImporter& imp, const Inputs& in) {
  const int v = one_input(imp, in);
  if (imp.shape_of(v).size() != 2)
    imp.fail("expects a (length, channels) input, got shape " + shape_string(imp.shape_of(v)));
  return v;
}

void require_channels_last(KerasImporter& imp, const Json& cfg) {
  const std::string f = imp.string_param(cfg, "data_format", "channels_last");
  if (f != "channels_last") imp.fail("data_format '" + f + "' is not supported (channels_last)");
}

// TF's 'same' padding: output ceil(L / stride); the odd extra pad goes right.
std::pair<int64_t, int64_t> same_padding(int64_t length, int64_t span, int64_t stride) {
  const int64_t out = (length + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + span - length, 0);
  return {total / 2, total - total / 2};
}

// Keras axis of a (L, C) or (n) tensor -> engine axis of [C, L] or [n].
int64_t engine_axis(KerasImporter& imp, int64_t axis, std::size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < 0) axis += r + 1;  // Keras counts the batch axis
  if (axis < 1 || axis > r) imp.fail("axis " + std::to_string(axis) + " out of range");
  if (rank == 1) return 0;
  return axis == 2 ? 0 : 1;  // (L, C): axis 1 = length, axis 2 = channels
}

int keras_conv1d(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  if (imp.cur_class == "RevCompConv1D") return import_revcomp_conv1d(imp, cfg, in);
  require_channels_last(imp, cfg);
  const int x = sequence_input(imp, in);
  const Shape& s = imp.shape_of(x);
  ConvParams p;
  p.in_channels = s[0];
  p.length_in = s[1];
  p.out_channels = imp.int_param(cfg, "filters", -1);
  p.kernel = imp.int_param(cfg, "kernel_size", -1);
  p.stride = imp.int_param(cfg, "strides", 1);
  p.dilation = imp.int_param(cfg, "dilation_rate", 1);
  p.groups = imp.int_param(cfg, "groups", 1);
  if (p.out_channels <= 0 || p.kernel <= 0 || p.stride <= 0 || p.dilation <= 0 || p.groups <= 0 ||
      p.in_channels % p.groups || p.out_channels % p.groups)
    imp.fail("bad filters/kernel_size/strides/dilation_rate/groups");
  if (p.stride > 1 && p.dilation > 1) imp.fail("strides > 1 with dilation_rate > 1");
  const int64_t span = (p.kernel - 1) * p.dilation + 1;
  const std::string padding = imp.string_param(cfg, "padding", "valid");
  if (padding == "same") {
    std::tie(p.pad_left, p.pad_right) = same_padding(p.length_in, span, p.stride);
  } else if (padding == "causal") {
    p.pad_left = span - 1;
  } else if (padding != "valid") {
    imp.fail("padding '" + padding + "' is not supported (valid, same, causal)");
  }
  if (p.length_out() <= 0)
    imp.fail("input length " + std::to_string(p.length_in) + " is shorter than the kernel span " +
             std::to_string(span));
  const int64_t cin_g = p.in_channels / p.groups;
  const Hdf5Array k = imp.weight("kernel", {p.kernel, cin_g, p.out_channels});
  p.weight.resize(k.values.size());
  for (int64_t t = 0; t < p.kernel; ++t)  // (k, in, out) -> [out, in, k]
    for (int64_t i = 0; i < cin_g; ++i)
      for (int64_t o = 0; o < p.out_channels; ++o)
        p.weight[(o * cin_g + i) * p.kernel + t] = k.values[(t * cin_g + i) * p.out_channels + o];
  if (imp.bool_param(cfg, "use_bias", true)) p.bias = imp.weight("bias", {p.out_channels}).values;
  const int y = imp.emit(make_conv(p), {x});
  return imp.activation(imp.string_param(cfg, "activation", "linear"), y, "/activation");
}

// Dense over the last Keras axis: on (n) directly, on (L, C) per position.
int keras_dense(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  int x = one_input(imp, in);
  const Shape s = imp.shape_of(x);
  DenseParams p;
  p.out_features = imp.int_param(cfg, "units", -1);
  if (p.out_features <= 0) imp.fail("bad 'units'");
  if (s.size() == 2) {  // [C, L] -> [L, C] so the features are the last axis
    Shape t;
    auto map = transpose_map(s, {1, 0}, t);
    x = imp.emit(make_index_map("Transpose", {s}, t, std::move(map)), {x}, "/to_channels_last");
  } else if (s.size() != 1) {
    imp.fail("expects a rank-1 or (length, channels) input");
  }
  p.input = imp.shape_of(x);
  p.in_features = p.input.back();
  const Hdf5Array k = imp.weight("kernel", {p.in_features, p.out_features});
  p.weight.resize(k.values.size());
  for (int64_t i = 0; i < p.in_features; ++i)  // (in, out) -> [out, in]
    for (int64_t o = 0; o < p.out_features; ++o)
      p.weight[o * p.in_features + i] = k.values[i * p.out_features + o];
  if (imp.bool_param(cfg, "use_bias", true)) p.bias = imp.weight("bias", {p.out_features}).values;
  int y = imp.emit(make_dense(p), {x});
  if (s.size() == 2) {  // back to channels-first
    const Shape ys = imp.shape_of(y);
    Shape t;
    auto map = transpose_map(ys, {1, 0}, t);
    y = imp.emit(make_index_map("Transpose", {ys}, t, std::move(map)), {y}, "/to_channels_first");
  }
  return imp.activation(imp.string_param(cfg, "activation", "linear"), y, "/activation");
}

int keras_activation_layer(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  const Json& a = imp.key(cfg, "activation");
  if (!a.is_string()) imp.fail("only named activations are supported, got " + a.dump());
  return imp.activation(a.get<std::string>(), one_input(imp, in), "");
}

int keras_relu(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  if (!cfg.value("max_value", Json()).is_null() || imp.float_param(cfg, "threshold", 0.0) != 0.0)
    imp.fail("ReLU with max_value or threshold is not supported");
  const double slope = imp.float_param(cfg, "negative_slope", 0.0);
  const int x = one_input(imp, in);
  if (slope == 0.0) return imp.emit(make_activation("Relu", imp.shape_of(x)), {x});
  return imp.emit(make_activation("LeakyRelu", imp.shape_of(x), static_cast<float>(slope)), {x});
}

int keras_leaky_relu(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  const double alpha = imp.float_param(cfg, "alpha", imp.float_param(cfg, "negative_slope", 0.3));
  const int x = one_input(imp, in);
  return imp.emit(make_activation("LeakyRelu", imp.shape_of(x), static_cast<float>(alpha)), {x});
}

int keras_elu(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  const int x = one_input(imp, in);
  return imp.emit(
      make_activation("Elu", imp.shape_of(x), static_cast<float>(imp.float_param(cfg, "alpha", 1))),
      {x});
}

int keras_softmax(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  const int x = one_input(imp, in);
  const int64_t axis = engine_axis(imp, imp.int_param(cfg, "axis", -1), imp.shape_of(x).size());
  return imp.emit(make_softmax("Softmax", imp.shape_of(x), axis, false), {x});
}

int keras_identity(KerasImporter& imp, const Json&, const Inputs& in) {
  return one_input(imp, in);  // Dropout and friends do nothing at inference
}

int keras_cropping1d(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  const int x = sequence_input(imp, in);
  const Shape s = imp.shape_of(x);
  const Json& c = imp.key(cfg, "cropping");
  int64_t left = 0, right = 0;
  if (c.is_number_integer()) {
    left = right = c.get<int64_t>();
  } else if (c.is_array() && c.size() == 2 && c[0].is_number_integer() &&
             c[1].is_number_integer()) {
    left = c[0].get<int64_t>();
    right = c[1].get<int64_t>();
  } else {
    imp.fail("bad cropping " + c.dump());
  }
  if (left < 0 || right < 0 || left + right >= s[1])
    imp.fail("cropping (" + std::to_string(left) + ", " + std::to_string(right) +
             ") leaves nothing of length " + std::to_string(s[1]));
  Shape out;
  auto map = slice_map(s, {1}, {left}, {s[1] - right}, {1}, out);
  return imp.emit(make_index_map("Slice", {s}, out, std::move(map)), {x});
}

int merge_sum(KerasImporter& imp, const Inputs& in, std::vector<float> coefficients) {
  if (in.size() < 2) imp.fail("needs at least two inputs");
  const Shape& s = imp.shape_of(in[0]);
  for (int v : in)
    if (imp.shape_of(v) != s)
      imp.fail("input shapes differ: " + shape_string(s) + " vs " + shape_string(imp.shape_of(v)));
  return imp.emit(make_sum("Sum", s, std::move(coefficients)), in);
}

// Add, Subtract, Average.
int keras_sum(KerasImporter& imp, const Json&, const Inputs& in) {
  if (imp.cur_class == "Subtract") {
    if (in.size() != 2) imp.fail("needs exactly two inputs");
    return merge_sum(imp, in, {1.0f, -1.0f});
  }
  const float c = imp.cur_class == "Average" ? 1.0f / static_cast<float>(in.size()) : 1.0f;
  return merge_sum(imp, in, std::vector<float>(in.size(), c));
}

int keras_concatenate(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  if (in.empty()) imp.fail("needs inputs");
  std::vector<Shape> shapes;
  for (int v : in) shapes.push_back(imp.shape_of(v));
  const int64_t axis = engine_axis(imp, imp.int_param(cfg, "axis", -1), shapes[0].size());
  for (const auto& s : shapes)
    if (s.size() != shapes[0].size()) imp.fail("inputs of different ranks");
  Shape out;
  auto map = concat_map(shapes, axis, out);
  return imp.emit(make_index_map("Concat", shapes, out, std::move(map)), in);
}

int keras_flatten(KerasImporter& imp, const Json&, const Inputs& in) {
  const int x = one_input(imp, in);
  const Shape s = imp.shape_of(x);
  if (s.size() == 1) return x;
  return imp.emit(make_index_map("Flatten", {s}, {numel(s)}, imp.keras_order(s)), {x});
}

int keras_reshape(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  const int x = one_input(imp, in);
  const Shape s = imp.shape_of(x);
  const Json& t = imp.key(cfg, "target_shape");
  if (!t.is_array() || t.empty() || t.size() > 2)
    imp.fail("target_shape " + t.dump() + " is not (n,) or (length, channels)");
  Shape keras;
  int64_t known = 1, unknown = -1;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!t[i].is_number_integer()) imp.fail("bad target_shape " + t.dump());
    const int64_t d = t[i].get<int64_t>();
    if (d == -1 && unknown < 0) {
      unknown = static_cast<int64_t>(i);
    } else if (d <= 0) {
      imp.fail("bad target_shape " + t.dump());
    } else {
      known *= d;
    }
    keras.push_back(d);
  }
  if (unknown >= 0) keras[unknown] = numel(s) / known;
  if (numel(keras) != numel(s))
    imp.fail("cannot reshape " + std::to_string(numel(s)) + " values to " + t.dump());
  const auto flat = imp.keras_order(s);  // Keras flat index -> engine input index
  std::vector<IndexSource> map(flat.size());
  Shape out;
  if (keras.size() == 1) {
    map = flat;
    out = keras;
  } else {  // engine [C', L'] element (c, l) is Keras flat l * C' + c
    const int64_t L = keras[0], C = keras[1];
    out = {C, L};
    for (int64_t c = 0; c < C; ++c)
      for (int64_t l = 0; l < L; ++l) map[c * L + l] = flat[l * C + c];
  }
  return imp.emit(make_index_map("Reshape", {s}, out, std::move(map)), {x});
}

int keras_global_average(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  require_channels_last(imp, cfg);
  const int x = sequence_input(imp, in);
  return imp.emit(
      make_reduce("ReduceMean", imp.shape_of(x), {1}, imp.bool_param(cfg, "keepdims", false), true),
      {x});
}

// Pooling over the length of a channels-last (L, C) input x: [C, L].
PoolParams sequence_pool(KerasImporter& imp, const Json& cfg, const Inputs& in, int& x) {
  require_channels_last(imp, cfg);
  x = sequence_input(imp, in);
  PoolParams p;
  p.channels = imp.shape_of(x)[0];
  p.length_in = imp.shape_of(x)[1];
  return p;
}

int global_max(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  int x;
  PoolParams p = sequence_pool(imp, cfg, in, x);
  const Shape s = imp.shape_of(x);
  p.kernel = p.stride = s[1];
  const int y = imp.emit(make_maxpool("MaxPool", p), {x});
  if (imp.bool_param(cfg, "keepdims", false)) return y;
  return imp.emit(make_reshape("Reshape", imp.shape_of(y), {s[0]}), {y}, "/squeeze");
}

int import_pool(KerasImporter& imp, const Json& cfg, const Inputs& in, bool max) {
  int x;
  PoolParams p = sequence_pool(imp, cfg, in, x);
  const Shape s = imp.shape_of(x);
  p.kernel = imp.int_param(cfg, "pool_size", 2);
  p.stride = imp.int_param(cfg, "strides", p.kernel);
  if (p.kernel <= 0 || p.stride <= 0) imp.fail("bad pool_size/strides");
  const std::string padding = imp.string_param(cfg, "padding", "valid");
  if (padding == "same")
    std::tie(p.pad_left, p.pad_right) = same_padding(p.length_in, p.kernel, p.stride);
  else if (padding != "valid")
    imp.fail("padding '" + padding + "' is not supported (valid, same)");
  if (p.length_out() <= 0) imp.fail("input length " + std::to_string(s[1]) + " < pool size");
  return imp.emit(max ? make_maxpool("MaxPool", p) : make_avgpool("AveragePool", p), {x});
}
// MaxPooling1D, MaxPool1D, GlobalMaxPooling1D.
int keras_maxpool(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  if (imp.cur_class == "GlobalMaxPooling1D") return global_max(imp, cfg, in);
  return import_pool(imp, cfg, in, true);
}
int keras_avgpool(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  return import_pool(imp, cfg, in, false);
}

int keras_batchnorm(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  const int x = one_input(imp, in);
  const Shape s = imp.shape_of(x);
  const Json& axis_json = cfg.value("axis", Json(-1));
  const int64_t axis = axis_json.is_array() && axis_json.size() == 1 ? axis_json[0].get<int64_t>()
                       : axis_json.is_number_integer()               ? axis_json.get<int64_t>()
                                                                     : 99;
  if (engine_axis(imp, axis, s.size()) != 0) imp.fail("only normalisation over channels");
  const int64_t c = s[0];
  const double eps = imp.float_param(cfg, "epsilon", 1e-3);
  const auto mean = imp.weight("moving_mean", {c}).values;
  const auto var = imp.weight("moving_variance", {c}).values;
  std::vector<float> gamma(c, 1.0f), beta(c, 0.0f);
  if (imp.bool_param(cfg, "scale", true)) gamma = imp.weight("gamma", {c}).values;
  if (imp.bool_param(cfg, "center", true)) beta = imp.weight("beta", {c}).values;
  const int64_t per = numel(s) / c;  // [C] or [C, L]: channel-major either way
  std::vector<float> scale(numel(s)), shift(numel(s));
  for (int64_t ch = 0; ch < c; ++ch) {
    if (var[ch] < 0) imp.fail("negative moving_variance");
    const double g = gamma[ch] / std::sqrt(static_cast<double>(var[ch]) + eps);
    for (int64_t j = 0; j < per; ++j) {
      scale[ch * per + j] = static_cast<float>(g);
      shift[ch * per + j] = static_cast<float>(beta[ch] - mean[ch] * g);
    }
  }
  // Keras counts gamma, beta, moving mean and variance: 4 per channel.
  const int64_t stored = c * (2 + (imp.bool_param(cfg, "scale", true) ? 1 : 0) +
                              (imp.bool_param(cfg, "center", true) ? 1 : 0));
  return imp.emit(make_affine("BatchNorm", s, std::move(scale), std::move(shift), stored), {x});
}

// Lambda layers hold Python bytecode, which cannot be run here. The one accepted is
// chrombpnet's counts head: logsumexp over the last axis, keepdims=True.
int keras_lambda(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  if (const int v = import_indexing_lambda(imp, cfg, in); v >= 0) return v;  // keras_custom.cpp
  std::string code;
  if (cfg.contains("function")) {
    const Json& f = cfg["function"];
    if (f.is_array() && !f.empty() && f[0].is_string())
      code = base64_decode(f[0].get<std::string>());
    else if (f.is_string())
      code = f.get<std::string>();
    else if (f.is_object())
      code = f.dump();
  }
  const bool logsumexp = code.find("reduce_logsumexp") != std::string::npos ||
                         code.find("logsumexp") != std::string::npos ||
                         imp.cur_name == "logcount_predictions";
  if (!logsumexp)
    imp.fail(
        "Lambda layers hold Python code seqlift cannot run; accepted are lambdas that only "
        "index their input (crops such as x[:, 2:-2], reversals x[:, ::-1]) and chrombpnet's "
        "logsumexp counts layer ('logcount_predictions'). Replace the Lambda with "
        "built-in layers or export the model to ONNX");
  const int x = one_input(imp, in);
  const Shape s = imp.shape_of(x);
  // Keras' last axis is engine axis 0 for (n) and for (L, C) (channels) alike.
  return imp.emit(make_logsumexp("ReduceLogSumExp", s, {0}, true), {x});
}

// kinds.def: a row's Keras classes and its parser go together (checked at compile time).
constexpr bool is_null(std::nullptr_t) {
  return true;
}
constexpr bool is_null(KerasParser) {
  return false;
}
#define SEQLIFT_KIND(kind, onnx, onnx_fn, keras, keras_fn, acts, chain, flags) \
  static_assert(std::string_view(keras).empty() || !is_null(keras_fn),         \
                #kind ": kinds.def lists Keras classes without a parser");
#include "engine/kinds.def"
#undef SEQLIFT_KIND

#define SEQLIFT_KIND(kind, onnx, onnx_fn, keras, keras_fn, acts, chain, flags) \
  KerasParser(keras_fn),
constexpr KerasParser kParsers[] = {
#include "engine/kinds.def"
};
#undef SEQLIFT_KIND

}  // namespace

std::string base64_decode(const std::string& in) {
  std::string out;
  int bits = 0;
  uint32_t acc = 0;
  for (char ch : in) {
    int v;
    if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z')
      v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9')
      v = ch - '0' + 52;
    else if (ch == '+' || ch == '-')
      v = 62;
    else if (ch == '/' || ch == '_')
      v = 63;
    else
      continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

int KerasImporter::activation(const std::string& name, int value, const std::string& suffix) {
  const KindSpec* k = find_kind_for_keras_activation(name);
  if (!k)
    fail("activation '" + name + "' is not supported (" + supported_keras_activations() + ")");
  if (k->flags & kNoNode) return value;
  const KerasParser parser = kParsers[k->index];
  if (!parser) return emit(make_activation(k->kind, shape_of(value)), {value}, suffix);
  // The kind's own layer class with its defaults (ELU alpha 1, softmax over channels).
  default_suffix = suffix;
  const int y = parser(*this, Json::object(), {value});
  default_suffix.clear();
  return y;
}

std::vector<IndexSource> KerasImporter::keras_order(const Shape& s) const {
  std::vector<IndexSource> map(static_cast<std::size_t>(numel(s)));
  if (s.size() == 1) {
    for (int64_t i = 0; i < s[0]; ++i) map[i] = {0, i};
    return map;
  }
  const int64_t C = s[0], L = s[1];
  for (int64_t l = 0; l < L; ++l)
    for (int64_t c = 0; c < C; ++c) map[l * C + c] = {0, c * L + l};
  return map;
}

KerasParser find_keras_parser(const std::string& class_name) {
  if (class_name == "Activation") return keras_activation_layer;
  const KindSpec* k = find_kind_for_keras_class(class_name);
  return k ? kParsers[k->index] : nullptr;
}

std::string supported_keras_layers() {
  return "InputLayer, Functional/Model/Sequential (nested), Activation, " +
         supported_keras_classes();
}

}  // namespace seqlift
