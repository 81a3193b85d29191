// Keras 2 attention layers with the exact rules of attention_layers.hpp:
// LayerNormalization, MultiHeadAttention (query / value / key projections, scaled Q K^T,
// softmax over keys, P V, output projection) and Multiply. Sequences are [C, L] per
// sample in the engine (Keras' (L, C) transposed); these layers work on (L, C) and
// transpose back.
#include <cmath>

#include "engine/index_maps.hpp"
#include "engine/keras_importer.hpp"
#include "engine/layers/attention_layers.hpp"
#include "engine/layers/layers.hpp"

namespace seqlift {
namespace {

using Inputs = std::vector<int>;

int transpose(KerasImporter& imp, int x, const std::vector<int64_t>& perm,
              const std::string& suffix) {
  const Shape s = imp.shape_of(x);
  Shape t;
  auto map = transpose_map(s, perm, t);
  return imp.emit(make_index_map("Transpose", {s}, t, std::move(map)), {x}, suffix);
}

int reshape(KerasImporter& imp, int x, const Shape& to, const std::string& suffix) {
  return imp.emit(make_reshape("Reshape", imp.shape_of(x), to), {x}, suffix);
}

// Dense over the last axis with a Keras kernel (in, out) -> engine [out, in].
int dense(KerasImporter& imp, int x, const Hdf5Array& kernel, int64_t in, int64_t out,
          const std::vector<float>& bias, const std::string& suffix) {
  DenseParams p;
  p.input = imp.shape_of(x);
  p.in_features = in;
  p.out_features = out;
  p.weight.resize(in * out);
  for (int64_t i = 0; i < in; ++i)
    for (int64_t o = 0; o < out; ++o) p.weight[o * in + i] = kernel.values[i * out + o];
  p.bias = bias;
  return imp.emit(make_dense(p), {x}, suffix);
}

int64_t single_axis(KerasImporter& imp, const Json& cfg) {
  const Json& a = cfg.value("axis", Json(-1));
  if (a.is_number_integer()) return a.get<int64_t>();
  if (a.is_array() && a.size() == 1 && a[0].is_number_integer()) return a[0].get<int64_t>();
  imp.fail("only one normalisation axis is supported, got " + a.dump());
}

}  // namespace

// LayerNormalization over the channel axis (Keras' last axis).
int keras_layer_norm(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  if (in.size() != 1) imp.fail("needs one input");
  int x = in[0];
  const Shape s = imp.shape_of(x);
  const int64_t axis = single_axis(imp, cfg);
  const int64_t keras_rank = static_cast<int64_t>(s.size());
  if (axis != -1 && axis != keras_rank)
    imp.fail("only normalisation over the last (channel) axis is supported");
  const int64_t c = s[0];
  const double eps = imp.float_param(cfg, "epsilon", 1e-3);
  std::vector<float> gamma, beta;
  if (imp.bool_param(cfg, "scale", true)) gamma = imp.weight("gamma", {c}).values;
  if (imp.bool_param(cfg, "center", true)) beta = imp.weight("beta", {c}).values;
  if (s.size() == 1) return imp.emit(make_layernorm(s, 0, eps, gamma, beta), {x});
  if (s.size() != 2) imp.fail("expects a (length, channels) or (channels) input");
  x = transpose(imp, x, {1, 0}, "/to_channels_last");
  x = imp.emit(make_layernorm(imp.shape_of(x), 1, eps, gamma, beta), {x});
  return transpose(imp, x, {1, 0}, "/to_channels_first");
}

// MultiHeadAttention(query, value[, key]) over the sequence axis.
int keras_multi_head_attention(KerasImporter& imp, const Json& cfg, const Inputs& in) {
  if (in.size() < 2 || in.size() > 3)
    imp.fail("needs query and value (and optionally key) inputs, got " +
             std::to_string(in.size()));
  if (cfg.contains("attention_axes") && !cfg["attention_axes"].is_null())
    imp.fail("attention_axes other than the sequence axis are not supported");
  if (cfg.contains("output_shape") && !cfg["output_shape"].is_null())
    imp.fail("output_shape is not supported");
  const int64_t heads = imp.int_param(cfg, "num_heads", -1),
                dk = imp.int_param(cfg, "key_dim", -1),
                dv = imp.int_param(cfg, "value_dim", dk);
  if (heads <= 0 || dk <= 0 || dv <= 0) imp.fail("bad num_heads / key_dim / value_dim");
  const bool bias = imp.bool_param(cfg, "use_bias", true);
  const int query = in[0], value = in[1], key = in.size() == 3 ? in[2] : in[1];
  for (int v : {query, value, key})
    if (imp.shape_of(v).size() != 2) imp.fail("expects (length, channels) inputs");
  const int64_t eq = imp.shape_of(query)[0], ev = imp.shape_of(value)[0],
                ek = imp.shape_of(key)[0], lq = imp.shape_of(query)[1],
                lk = imp.shape_of(key)[1];
  if (imp.shape_of(value)[1] != lk) imp.fail("key and value lengths differ");
  auto project = [&](int x, int64_t e, int64_t d, const char* name) {
    const std::string n(name);
    const Hdf5Array w = imp.weight(n + "/kernel", {e, heads, d});
    std::vector<float> b;
    if (bias) b = imp.weight(n + "/bias", {heads, d}).values;
    const int t = transpose(imp, x, {1, 0}, "/" + n + "_channels_last");  // [L, E]
    const int y = dense(imp, t, w, e, heads * d, b, "/" + n);             // [L, H * d]
    const int64_t len = imp.shape_of(t)[0];
    return reshape(imp, y, {len, heads, d}, "/" + n + "_heads");  // [L, H, d]
  };
  int q = project(query, eq, dk, "query");
  int k = project(key, ek, dk, "key");
  int v = project(value, ev, dv, "value");
  q = transpose(imp, q, {1, 0, 2}, "/query_by_head");  // [H, Lq, dk]
  const Shape qs = imp.shape_of(q);
  q = imp.emit(make_affine("Affine", qs, std::vector<float>(numel(qs), float(1.0 / std::sqrt(double(dk)))),
                           {}),
               {q}, "/scale");
  k = transpose(imp, k, {1, 2, 0}, "/key_by_head");    // [H, dk, Lk]
  v = transpose(imp, v, {1, 0, 2}, "/value_by_head");  // [H, Lk, dv]
  int s = imp.emit(make_matmul(imp.shape_of(q), imp.shape_of(k)), {q, k}, "/scores");
  s = imp.emit(make_softmax("Softmax", imp.shape_of(s), 2, false), {s}, "/softmax");
  int o = imp.emit(make_matmul(imp.shape_of(s), imp.shape_of(v)), {s, v}, "/attend");  // [H, Lq, dv]
  o = transpose(imp, o, {1, 0, 2}, "/merge_heads");                                   // [Lq, H, dv]
  o = reshape(imp, o, {lq, heads * dv}, "/merged");
  const Hdf5Array wo = imp.weight("attention_output/kernel", {heads, dv, eq});
  std::vector<float> bo;
  if (bias) bo = imp.weight("attention_output/bias", {eq}).values;
  o = dense(imp, o, wo, heads * dv, eq, bo, "/output");  // [Lq, E]
  return transpose(imp, o, {1, 0}, "/to_channels_first");
}

// Multiply of computed tensors of one shape: Shapley products, left to right.
int keras_multiply(KerasImporter& imp, const Json&, const Inputs& in) {
  if (in.size() < 2) imp.fail("needs at least two inputs");
  int y = in[0];
  for (std::size_t i = 1; i < in.size(); ++i) {
    if (imp.shape_of(in[i]) != imp.shape_of(y))
      imp.fail("input shapes differ: " + shape_string(imp.shape_of(y)) + " vs " +
               shape_string(imp.shape_of(in[i])));
    y = imp.emit(make_broadcast_binary("Mul", imp.shape_of(y), imp.shape_of(in[i])), {y, in[i]},
                 i + 1 == in.size() ? "" : "/" + std::to_string(i));
  }
  return y;
}

}  // namespace seqlift
