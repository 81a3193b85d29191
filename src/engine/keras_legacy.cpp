// Theano-era Keras Sequential models: Keras 0.3 (top-level "layers" list whose "name" is
// the class; weights in layer_i/param_j) and Keras 1.x (class_name/config entries;
// weights listed by weight_names per layer) with dim_ordering 'th' over a one-hot input
// [1, 4, L] (one channel, rows A,C,G,T, columns positions) — the DragoNN, DeepLIFT and
// TF-MoDISco tutorial models.
//
// Theano's conv2d is a true convolution (filter_flip=True): the stored kernel
// [F, Cin, rows, cols] is flipped on both spatial axes before the engine's
// cross-correlation; for the first layer the row flip is a reverse complement.
// Engine layout: 'th' [1, 4, L] is the one-hot input [4, L]; 'th' [C, 1, W] is [C, W],
// which is also the order of a 'th' Flatten (c * W + w).
#include "engine/keras_importer.hpp"

namespace seqlift {
namespace {

enum class Layout { kInput, kFeature, kFlat };  // 'th' [1,4,L]; 'th' [C,1,W]; [n]

struct Legacy {
  KerasImporter& imp;
  const Hdf5File& file;
  bool v03 = false;
  int value = -1;
  Layout layout = Layout::kInput;
  std::vector<Hdf5Array> params;  // the current layer's weights, in stored order

  const Hdf5Array& param(std::size_t j, const std::vector<int64_t>& dims) {
    if (j >= params.size())
      imp.fail("has " + std::to_string(params.size()) + " stored weights; expected at least " +
               std::to_string(j + 1));
    if (params[j].dims != dims) {
      std::string want, got;
      for (auto d : dims) want += " " + std::to_string(d);
      for (auto d : params[j].dims) got += " " + std::to_string(d);
      imp.fail("weight " + std::to_string(j) + " has shape [" + got + " ], expected [" + want +
               " ]");
    }
    return params[j];
  }

  void load_params(std::size_t index, const std::string& name) {
    params.clear();
    if (v03) {
      const std::string g = "/layer_" + std::to_string(index);
      for (int j = 0; file.exists(g + "/param_" + std::to_string(j)); ++j)
        params.push_back(file.read_floats(g + "/param_" + std::to_string(j)));
      return;
    }
    const std::string g = imp.layer_group(name);
    if (!file.exists(g) || !file.has_attribute(g, "weight_names")) return;
    for (const auto& w : file.string_list_attribute(g, "weight_names"))
      params.push_back(file.read_floats(g + "/" + w));
  }

  void conv2d(const Json& cfg) {
    if (imp.string_param(cfg, "dim_ordering", "th") != "th")
      imp.fail("only dim_ordering 'th' (Theano) is supported for Convolution2D");
    if (imp.string_param(cfg, "border_mode", "valid") != "valid")
      imp.fail("only border_mode 'valid' is supported");
    const Json& sub = cfg.value("subsample", Json::array({1, 1}));
    if (sub != Json::array({1, 1})) imp.fail("subsample " + sub.dump() + " is not (1, 1)");
    const int64_t f = imp.int_param(cfg, "nb_filter", -1), rows = imp.int_param(cfg, "nb_row", -1),
                  cols = imp.int_param(cfg, "nb_col", -1);
    if (f <= 0 || rows <= 0 || cols <= 0) imp.fail("bad nb_filter/nb_row/nb_col");
    const Shape s = imp.shape_of(value);
    ConvParams p;
    p.out_channels = f;
    p.kernel = cols;
    p.length_in = s[1];
    int64_t cin;
    if (layout == Layout::kInput) {  // [1, 4, L]: rows span A,C,G,T
      if (rows != 4)
        imp.fail("the first Convolution2D must span the 4 rows (A,C,G,T); nb_row is " +
                 std::to_string(rows));
      cin = 1;
      p.in_channels = 4;
    } else if (layout == Layout::kFeature) {
      if (rows != 1)
        imp.fail("nb_row must be 1 after the first layer, got " + std::to_string(rows));
      cin = s[0];
      p.in_channels = s[0];
    } else {
      imp.fail("a Convolution2D after Flatten is not supported");
    }
    if (p.length_out() <= 0) imp.fail("input shorter than the kernel");
    const auto& w = param(0, {f, cin, rows, cols});
    p.weight.resize(f * p.in_channels * cols);
    // True convolution: engine weight [o, channel, t] = W[o, c, rows-1-r, cols-1-t].
    for (int64_t o = 0; o < f; ++o)
      for (int64_t c = 0; c < cin; ++c)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t t = 0; t < cols; ++t) {
            const int64_t ch = layout == Layout::kInput ? r : c;
            p.weight[(o * p.in_channels + ch) * cols + t] =
                w.values[((o * cin + c) * rows + (rows - 1 - r)) * cols + (cols - 1 - t)];
          }
    if (imp.bool_param(cfg, "bias", true)) p.bias = param(1, {f}).values;
    value = imp.emit(make_conv(p), {value});
    layout = Layout::kFeature;
    value = imp.activation(imp.string_param(cfg, "activation", "linear"), value, "/activation");
  }

  void pool2d(const Json& cfg, bool max) {
    if (imp.string_param(cfg, "dim_ordering", "th") != "th")
      imp.fail("only dim_ordering 'th' (Theano) is supported");
    if (imp.string_param(cfg, "border_mode", "valid") != "valid")
      imp.fail("only border_mode 'valid' is supported");
    const Json& ps = imp.key(cfg, "pool_size");
    const Json& st = cfg.value("strides", Json());
    const Json& strides = st.is_null() ? ps : st;
    if (!ps.is_array() || ps.size() != 2 || !strides.is_array() || strides.size() != 2 ||
        !ps[0].is_number_integer() || !ps[1].is_number_integer() || !strides[1].is_number_integer())
      imp.fail("bad pool_size/strides");
    if (layout != Layout::kFeature || ps[0].get<int64_t>() != 1)
      imp.fail("only (1, n) pooling along the sequence after a convolution is supported");
    PoolParams p;
    p.channels = imp.shape_of(value)[0];
    p.length_in = imp.shape_of(value)[1];
    p.kernel = ps[1].get<int64_t>();
    p.stride = strides[1].get<int64_t>();
    if (p.kernel <= 0 || p.stride <= 0 || p.length_out() <= 0) imp.fail("bad pool_size/strides");
    value = imp.emit(max ? make_maxpool("MaxPool", p) : make_avgpool("AveragePool", p), {value});
  }

  void dense(const Json& cfg) {
    if (layout != Layout::kFlat) imp.fail("Dense needs a flat input (Flatten first)");
    const int64_t n_in = imp.shape_of(value)[0];
    const int64_t n_out = imp.int_param(cfg, "output_dim", -1);
    if (n_out <= 0) imp.fail("bad output_dim");
    DenseParams p;
    p.input = {n_in};
    p.in_features = n_in;
    p.out_features = n_out;
    const auto& w = param(0, {n_in, n_out});
    p.weight.resize(n_in * n_out);
    for (int64_t i = 0; i < n_in; ++i)
      for (int64_t o = 0; o < n_out; ++o) p.weight[o * n_in + i] = w.values[i * n_out + o];
    if (imp.bool_param(cfg, "bias", true)) p.bias = param(1, {n_out}).values;
    value = imp.emit(make_dense(p), {value});
    value = imp.activation(imp.string_param(cfg, "activation", "linear"), value, "/activation");
  }

  void layer(const std::string& cls, const Json& cfg) {
    if (cls == "Convolution2D") {
      conv2d(cfg);
    } else if (cls == "MaxPooling2D" || cls == "AveragePooling2D") {
      pool2d(cfg, cls == "MaxPooling2D");
    } else if (cls == "Flatten") {
      const Shape s = imp.shape_of(value);
      if (s.size() != 1) value = imp.emit(make_reshape("Flatten", s, {numel(s)}), {value});
      layout = Layout::kFlat;
    } else if (cls == "Dense") {
      dense(cfg);
    } else if (cls == "Activation") {
      value = imp.activation(imp.string_param(cfg, "activation", "linear"), value, "");
    } else if (cls == "Dropout" || cls == "GaussianNoise" || cls == "GaussianDropout") {
      // identity at inference
    } else {
      imp.fail("layer class '" + cls +
               "' is not supported in Theano-era (Keras 0.3 / 1.x 'th') models; supported: "
               "Convolution2D, MaxPooling2D, AveragePooling2D, Flatten, Dense, Activation, "
               "Dropout");
    }
  }
};

}  // namespace

bool is_legacy_keras(const Json& root) {
  if (!root.is_object()) return false;
  if (root.contains("layers") && root["layers"].is_array() && !root.contains("config"))
    return true;  // Keras 0.3
  const Json& cfg = root.contains("config") ? root["config"] : Json();
  if (root.value("class_name", "") != "Sequential" || !cfg.is_array()) return false;
  for (const auto& l : cfg) {
    const std::string c = l.is_object() ? l.value("class_name", "") : "";
    if (c == "Convolution2D" || c == "MaxPooling2D" || c == "AveragePooling2D") return true;
  }
  return false;
}

std::unique_ptr<ModelBuilder> load_keras_legacy(const std::string& path, const Hdf5File& weights,
                                                const Json& root, int input_length) {
  auto model = std::make_unique<ModelBuilder>();
  model->set_input(-1, input_length);
  KerasImporter imp(path, weights, *model);
  imp.weights_root = weights.exists("/model_weights") ? "/model_weights" : "/";
  Legacy st{imp, weights};
  st.v03 = root.contains("layers") && !root.contains("config");
  const Json& layers = st.v03 ? root["layers"] : root["config"];
  if (layers.empty()) throw ModelError(path + ": Sequential model without layers");
  try {
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const Json& entry = layers[i];
      const Json& cfg = st.v03 ? entry : entry.value("config", Json::object());
      imp.cur_class = st.v03 ? entry.value("name", "?") : entry.value("class_name", "?");
      imp.cur_name =
          st.v03 ? "layer_" + std::to_string(i) + "_" + entry.value("custom_name", imp.cur_class)
                 : cfg.value("name", "layer_" + std::to_string(i));
      if (i == 0) {
        Json shape = cfg.value("batch_input_shape", Json());
        if (shape.is_null() && cfg.contains("input_shape")) {
          shape = Json::array({nullptr});
          for (const auto& d : cfg["input_shape"]) shape.push_back(d);
        }
        if (!shape.is_array() || shape.size() != 4 || shape[1] != 1 || shape[2] != 4)
          imp.fail("input shape " + shape.dump() +
                   " is not the 'th' one-hot layout (batch, 1, 4, length)");
        int64_t length = shape[3].is_number_integer() ? shape[3].get<int64_t>() : input_length;
        if (length <= 0) imp.fail("the input has no fixed length; give the sequence length");
        st.value = model->add_value("input", {4, length}, -1);
        model->set_input(st.value, static_cast<int>(length));
      }
      if (imp.cur_class == "Convolution2D" || imp.cur_class == "Dense")
        st.load_params(i, imp.cur_name);  // weightless layers may store odd empty lists
      st.layer(imp.cur_class, cfg);
    }
  } catch (const Json::exception& e) {
    throw ModelError(path + ": layer '" + imp.cur_name + "': " + e.what());
  }
  for (auto& node : imp.nodes) model->add_node(std::move(node));
  if (model->values()[st.value].producer < 0)
    throw ModelError(path + ": the model computes nothing");
  model->set_outputs({st.value});
  model->prune_unused();
  model->set_source(path);
  return model;
}

}  // namespace seqlift
