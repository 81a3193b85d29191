// Keras model files: the architecture JSON (root attribute model_config, or a
// model.to_json() file) walked into engine nodes, weights looked up by layer name.
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <tuple>

#include "engine/index_maps.hpp"
#include "engine/keras_importer.hpp"

namespace seqlift {
namespace {

std::string dims_string(const std::vector<int64_t>& d) {
  std::string s = "(";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + (d.size() == 1 ? ",)" : ")");
}

// j[k], or null when j is not an object or has no k (const operator[] on a missing key
// is undefined behaviour in nlohmann::json; a fuzzer found it).
const Json& member(const Json& j, const char* k) {
  static const Json null_json;
  if (!j.is_object()) return null_json;
  const auto it = j.find(k);
  return it == j.end() ? null_json : *it;
}

// A reference to a layer call's output tensor: (layer, node index, tensor index).
using TensorKey = std::tuple<std::string, int64_t, int64_t>;

TensorKey parse_history(const Json& ref, const std::string& where) {
  // Keras 2: ["name", node, tensor, {kwargs}]; Keras 3: {"config": {"keras_history": [...]}}.
  const Json* r = &ref;
  if (!member(member(*r, "config"), "keras_history").is_null())
    r = &member(member(*r, "config"), "keras_history");
  if (!r->is_array() || r->size() < 3 || !(*r)[0].is_string() || !(*r)[1].is_number_integer() ||
      !(*r)[2].is_number_integer())
    throw ModelError(where + ": malformed tensor reference " + ref.dump().substr(0, 120));
  return {(*r)[0].get<std::string>(), (*r)[1].get<int64_t>(), (*r)[2].get<int64_t>()};
}

// The tensors one inbound node (call) consumes.
std::vector<TensorKey> node_inputs(const Json& node, const std::string& where) {
  std::vector<TensorKey> keys;
  if (node.is_array()) {  // Keras 2
    for (const auto& ref : node) keys.push_back(parse_history(ref, where));
    // MultiHeadAttention(query, value=..., key=...): the other inputs are call kwargs.
    if (node.size() == 1 && node[0].is_array() && node[0].size() >= 4)
      for (const char* k : {"value", "key"})
        if (!member(node[0][3], k).is_null()) keys.push_back(parse_history(node[0][3][k], where));
  } else if (node.is_object() && node.contains("args")) {  // Keras 3
    std::function<void(const Json&)> walk = [&](const Json& j) {
      if (j.is_object() && j.value("class_name", "") == "__keras_tensor__")
        keys.push_back(parse_history(j, where));
      else if (j.is_array())
        for (const auto& e : j) walk(e);
    };
    walk(member(node, "args"));
  } else {
    throw ModelError(where + ": malformed inbound node " + node.dump().substr(0, 120));
  }
  return keys;
}

// input_layers / output_layers: [[name, node, tensor], ...] or a single [name, node, tensor].
std::vector<TensorKey> endpoint_list(const Json& j, const std::string& where) {
  std::vector<TensorKey> keys;
  if (j.is_array() && j.size() >= 3 && j[0].is_string())
    keys.push_back(parse_history(j, where));
  else if (j.is_array())
    for (const auto& e : j) keys.push_back(parse_history(e, where));
  else
    throw ModelError(where + ": malformed input/output layer list");
  return keys;
}

bool is_model_class(const std::string& c) {
  return c == "Functional" || c == "Model" || c == "Sequential";
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int KerasImporter::emit(std::unique_ptr<Layer> layer, std::vector<int> inputs,
                        const std::string& suffix) {
  const std::string name = name_prefix + cur_name + (suffix.empty() ? default_suffix : suffix);
  check_tensor_size(layer->output_shape(), path + ": layer '" + name + "'");
  Node node;
  node.name = name;
  node.op = cur_class;
  node.inputs = std::move(inputs);
  node.output = model.add_value(name, layer->output_shape(), static_cast<int>(nodes.size()));
  node.layer = std::move(layer);
  nodes.push_back(std::move(node));
  return nodes.back().output;
}

const Json& KerasImporter::key(const Json& cfg, const char* k) const {
  if (!cfg.is_object() || !cfg.contains(k)) fail(std::string("config has no '") + k + "'");
  return cfg[k];
}

int64_t KerasImporter::int_param(const Json& cfg, const char* k, int64_t dflt) const {
  if (!cfg.is_object() || !cfg.contains(k) || cfg[k].is_null()) return dflt;
  const Json* v = &cfg[k];
  if (v->is_array()) {
    if (v->size() != 1)
      fail(std::string("'") + k + "' must have one value for a 1-D layer, got " + v->dump());
    v = &(*v)[0];
  }
  if (!v->is_number_integer()) fail(std::string("'") + k + "' is not an integer: " + v->dump());
  return v->get<int64_t>();
}

double KerasImporter::float_param(const Json& cfg, const char* k, double dflt) const {
  if (!cfg.is_object() || !cfg.contains(k) || cfg[k].is_null()) return dflt;
  if (!cfg[k].is_number()) fail(std::string("'") + k + "' is not a number: " + cfg[k].dump());
  return cfg[k].get<double>();
}

std::string KerasImporter::string_param(const Json& cfg, const char* k,
                                        const std::string& dflt) const {
  if (!cfg.is_object() || !cfg.contains(k) || cfg[k].is_null()) return dflt;
  if (!cfg[k].is_string()) fail(std::string("'") + k + "' is not a string: " + cfg[k].dump());
  return cfg[k].get<std::string>();
}

bool KerasImporter::bool_param(const Json& cfg, const char* k, bool dflt) const {
  if (!cfg.is_object() || !cfg.contains(k) || cfg[k].is_null()) return dflt;
  if (!cfg[k].is_boolean()) fail(std::string("'") + k + "' is not true/false: " + cfg[k].dump());
  return cfg[k].get<bool>();
}

Hdf5Array KerasImporter::weight(const std::string& suffix, const std::vector<int64_t>& expect,
                                bool required) const {
  // Variable names are "<layer>/<suffix>:0" (possibly under a model prefix); the group
  // of a nested model lists the weights of all its layers.
  auto matches = [&](const std::string& var, bool by_layer) {
    std::string v = var;
    const auto colon = v.rfind(':');
    if (colon != std::string::npos) v = v.substr(0, colon);
    // `suffix` may span several components ("query/kernel" of a MultiHeadAttention).
    if (v != suffix && (v.size() <= suffix.size() ||
                        v.compare(v.size() - suffix.size(), suffix.size(), suffix) != 0 ||
                        v[v.size() - suffix.size() - 1] != '/'))
      return false;
    if (!by_layer) return true;
    if (v == suffix) return false;
    const std::string owner = v.substr(0, v.size() - suffix.size() - 1);
    const auto s2 = owner.rfind('/');
    return (s2 == std::string::npos ? owner : owner.substr(s2 + 1)) == cur_name;
  };
  std::string found;
  if (weights.has_attribute(weight_group, "weight_names")) {
    const auto names = weights.string_list_attribute(weight_group, "weight_names");
    for (const auto& n : names)
      if (matches(n, true)) found = n;
    const bool own_group = weight_group == layer_group(cur_name);
    if (found.empty() && own_group) {  // renamed layer: its own group, match the suffix only
      int count = 0;
      for (const auto& n : names)
        if (matches(n, false)) found = n, ++count;
      if (count > 1) fail("several weights named '" + suffix + "' in " + weight_group);
    }
  }
  if (found.empty()) {
    if (!required) return {};
    fail("weight '" + suffix + "' not found in " + weights.path() + " (group " + weight_group +
         ")");
  }
  Hdf5Array a = weights.read_floats(weight_group + "/" + found);
  if (!expect.empty() && a.dims != expect)
    fail("weight '" + found + "' has shape " + dims_string(a.dims) + ", expected " +
         dims_string(expect));
  for (float x : a.values)
    if (!std::isfinite(x)) fail("weight '" + found + "' holds NaN or Inf");
  return a;
}

int KerasImporter::make_input(const Json& batch_shape, const std::string& name) {
  if (!batch_shape.is_array() || batch_shape.size() != 3)
    fail("input shape " + batch_shape.dump() + " is not (batch, length, 4)");
  const Json& len = batch_shape[1];
  const Json& ch = batch_shape[2];
  if (!ch.is_number_integer() || ch.get<int64_t>() != 4) {
    if (len.is_number_integer() && len.get<int64_t>() == 4)
      fail("input shape " + batch_shape.dump() +
           " is channels-first; seqlift reads Keras models with channels-last (length, 4) input");
    fail("input shape " + batch_shape.dump() + " does not have 4 channels (A, C, G, T) last");
  }
  int64_t length = len.is_number_integer() ? len.get<int64_t>() : -1;
  if (length <= 0) length = model.input_length();
  if (length <= 0)
    fail("input '" + name +
         "' has no fixed length; give the sequence length with --length N (or --width N)");
  if (model.input_value() >= 0) fail("the model has more than one input; seqlift feeds one");
  const int v = model.add_value(name, {4, length}, -1);
  model.set_input(v, static_cast<int>(length));
  return v;
}

int KerasImporter::make_extra_input(const Json& batch_shape, const std::string& name) {
  if (!batch_shape.is_array() || batch_shape.size() < 2 || batch_shape.size() > 3)
    fail("extra input shape " + batch_shape.dump() +
         " is not (batch, n) or (batch, length, channels)");
  Shape keras;
  for (std::size_t i = 1; i < batch_shape.size(); ++i) {
    if (!batch_shape[i].is_number_integer() || batch_shape[i].get<int64_t>() <= 0)
      fail("extra input '" + name + "' has shape " + batch_shape.dump() +
           "; inputs besides the sequence need fixed sizes");
    keras.push_back(batch_shape[i].get<int64_t>());
  }
  check_tensor_size(keras, path + ": input '" + name + "'");
  // The value keeps the model's own (channels-last) layout, as the user supplies it;
  // a transpose gives the engine's channels-first [C, L].
  const int v = model.add_value(name, keras, -1);
  model.add_extra_input(v);
  if (keras.size() == 1) return v;
  Shape t;
  auto map = transpose_map(keras, {1, 0}, t);
  return emit(make_index_map("Transpose", {keras}, t, std::move(map)), {v}, "/to_channels_first");
}

std::vector<int> KerasImporter::import_layer(const Json& entry, const std::vector<int>& inputs) {
  const std::string cls = entry.value("class_name", "");
  const Json& cfg = member(entry, "config");
  cur_class = cls;
  if (is_model_class(cls)) return import_model(entry, inputs);
  const KerasParser parser = find_keras_parser(cls);
  if (!parser)
    fail("layer class '" + cls + "' is not supported; supported: " + supported_keras_layers());
  return {parser(*this, cfg, inputs)};
}

std::vector<int> KerasImporter::import_model(const Json& entry, const std::vector<int>& inputs) {
  const std::string cls = entry.value("class_name", "");
  const Json& cfg = member(entry, "config");
  // Nested models name their nodes "outer/inner"; weights stay in the outer layer's group.
  const std::string saved_prefix = name_prefix;
  const bool nested = !cur_name.empty();
  if (nested) name_prefix += cur_name + "/";
  std::vector<int> outs;
  if (cls == "Sequential")
    outs = import_sequential(cfg.is_array() ? cfg : key(cfg, "layers"), inputs);
  else
    outs = import_functional(cfg, inputs);
  name_prefix = saved_prefix;
  return outs;
}

std::vector<int> KerasImporter::import_sequential(const Json& layers,
                                                  const std::vector<int>& inputs) {
  if (!layers.is_array() || layers.empty()) fail("Sequential model without layers");
  const bool top = inputs.empty();
  const std::string outer_group = weight_group;
  const std::string outer_name = cur_name;
  int value = top ? -1 : inputs.at(0);
  for (const auto& entry : layers) {
    const Json& cfg = member(entry, "config");
    cur_name = cfg.value("name", entry.value("name", std::string("?")));
    cur_class = entry.value("class_name", "");
    if (top) weight_group = layer_group(cur_name);
    if (value < 0) {
      const char* shape_key = cfg.contains("batch_input_shape") ? "batch_input_shape"
                              : cfg.contains("batch_shape")     ? "batch_shape"
                                                                : nullptr;
      if (!shape_key) fail("the first layer of a Sequential model declares no input shape");
      value = make_input(cfg[shape_key], "input");
      if (cur_class == "InputLayer") continue;
    } else if (cur_class == "InputLayer") {
      continue;
    }
    const auto outs = import_layer(entry, {value});
    if (outs.size() != 1) fail("a Sequential layer must have one output");
    value = outs[0];
  }
  weight_group = outer_group;
  cur_name = outer_name;
  return {value};
}

std::vector<int> KerasImporter::import_functional(const Json& config,
                                                  const std::vector<int>& inputs) {
  const std::string where = path + ": model '" + name_prefix + "'";
  if (!config.is_object() || !config.contains("layers") || !config["layers"].is_array())
    throw ModelError(where + ": config has no layer list");
  const bool top = inputs.empty();
  const std::string outer_group = weight_group;
  const std::string outer_name = cur_name;
  const auto input_keys = endpoint_list(key(config, "input_layers"), where);
  const auto output_keys = endpoint_list(key(config, "output_layers"), where);
  if (!top && input_keys.size() != inputs.size())
    throw ModelError(where + ": called with " + std::to_string(inputs.size()) +
                     " inputs, declares " + std::to_string(input_keys.size()));

  std::map<TensorKey, int> tensors;
  std::map<std::string, const Json*> by_name;
  for (const auto& entry : member(config, "layers")) {
    const std::string name =
        entry.value("name", member(member(entry, "config"), "name").is_string()
                                ? member(member(entry, "config"), "name").get<std::string>()
                                : std::string());
    if (name.empty()) throw ModelError(where + ": a layer has no name");
    if (!by_name.emplace(name, &entry).second)
      throw ModelError(where + ": two layers named '" + name + "'");
  }
  // The sequence is the first (batch, length, 4) input; the others are extra inputs.
  auto batch_shape_of = [&](const Json& entry) -> const Json& {
    const Json& cfg = member(entry, "config");
    return member(cfg, cfg.contains("batch_input_shape") ? "batch_input_shape" : "batch_shape");
  };
  std::size_t sequence_input = 0;
  if (top) {
    for (std::size_t i = input_keys.size(); i-- > 0;) {
      auto it = by_name.find(std::get<0>(input_keys[i]));
      if (it == by_name.end()) continue;
      const Json& bs = batch_shape_of(*it->second);
      if (bs.is_array() && bs.size() == 3 && bs[2].is_number_integer() && bs[2].get<int64_t>() == 4)
        sequence_input = i;
    }
  }
  for (std::size_t i = 0; i < input_keys.size(); ++i) {
    const auto& name = std::get<0>(input_keys[i]);
    auto it = by_name.find(name);
    if (it == by_name.end()) throw ModelError(where + ": input layer '" + name + "' not found");
    if (top) {
      cur_name = name;
      cur_class = "InputLayer";
      const Json& cfg = member(*it->second, "config");
      const char* k = cfg.contains("batch_input_shape") ? "batch_input_shape" : "batch_shape";
      tensors[input_keys[i]] =
          i == sequence_input ? make_input(key(cfg, k), name) : make_extra_input(key(cfg, k), name);
    } else {
      tensors[input_keys[i]] = inputs[i];
    }
  }
  // Layers are listed in creation order, which may not be call order: sweep until
  // every call whose inputs are known has run.
  std::set<std::pair<std::string, std::size_t>> done;
  bool progress = true;
  while (progress) {
    progress = false;
    for (const auto& entry : member(config, "layers")) {
      const Json& cfg_name = member(member(entry, "config"), "name");
      const std::string name =
          entry.value("name", cfg_name.is_string() ? cfg_name.get<std::string>() : std::string());
      if (entry.value("class_name", "") == "InputLayer") continue;
      const Json& inbound = member(entry, "inbound_nodes");
      if (!inbound.is_array()) continue;
      for (std::size_t call = 0; call < inbound.size(); ++call) {
        if (done.count({name, call})) continue;
        cur_name = name;
        cur_class = entry.value("class_name", "");
        const auto keys = node_inputs(inbound[call], where + " layer '" + name + "'");
        std::vector<int> in;
        for (const auto& k : keys) {
          auto t = tensors.find(k);
          if (t == tensors.end()) break;
          in.push_back(t->second);
        }
        if (in.size() != keys.size() || in.empty()) continue;
        if (top) weight_group = layer_group(name);
        const auto outs = import_layer(entry, in);
        for (std::size_t t = 0; t < outs.size(); ++t)
          tensors[{name, static_cast<int64_t>(call), static_cast<int64_t>(t)}] = outs[t];
        done.insert({name, call});
        progress = true;
      }
    }
  }
  std::vector<int> outs;
  for (const auto& k : output_keys) {
    auto t = tensors.find(k);
    if (t == tensors.end())
      throw ModelError(where + ": output '" + std::get<0>(k) +
                       "' cannot be computed from the input (unsupported graph?)");
    outs.push_back(t->second);
  }
  weight_group = outer_group;
  cur_name = outer_name;
  return outs;
}

std::unique_ptr<ModelBuilder> load_keras(const std::string& path, const std::string& weights_path,
                                         int input_length, const LambdaDeclarations& lambdas) {
  const bool json_arch = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  std::string text;
  std::unique_ptr<Hdf5File> file;
  if (json_arch) {
    if (weights_path.empty())
      throw UsageError(path + ": a Keras architecture file needs its weights: --weights W.h5");
    text = read_text_file(path);
    file = std::make_unique<Hdf5File>(weights_path);
  } else {
    file = std::make_unique<Hdf5File>(weights_path.empty() ? path : weights_path);
    std::unique_ptr<Hdf5File> separate;
    if (!weights_path.empty()) separate = std::make_unique<Hdf5File>(path);
    const Hdf5File& arch = separate ? *separate : *file;
    if (!arch.has_attribute("/", "model_config")) {
      if (arch.has_attribute("/", "layer_names"))
        throw ModelError(path +
                         ": holds only weights (save_weights); give the architecture: "
                         "--model ARCH.json --weights " +
                         path);
      throw ModelError(path + ": not a Keras model file (no model_config attribute)");
    }
    text = arch.string_attribute("/", "model_config");
  }
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::exception& e) {
    throw ModelError(path + ": model_config is not valid JSON: " + e.what());
  }
  if (is_legacy_keras(root)) return load_keras_legacy(path, *file, root, input_length);
  if (!root.is_object() || !root.contains("class_name") || !root["class_name"].is_string() ||
      !is_model_class(root["class_name"].get<std::string>()))
    throw ModelError(path +
                     ": the architecture is not a Keras Functional/Model/Sequential "
                     "config");

  auto model = std::make_unique<ModelBuilder>();
  model->set_input(-1, input_length);
  KerasImporter imp(path, *file, *model);
  imp.lambdas = lambdas;
  imp.weights_root = file->exists("/model_weights") ? "/model_weights" : "/";
  imp.weight_group = imp.weights_root;
  std::vector<int> outs;
  try {
    outs = imp.import_model(root, {});
  } catch (const Json::exception& e) {
    throw ModelError(path + ": layer '" + imp.name_prefix + imp.cur_name + "': " + e.what());
  }
  // Output values carry their Keras layer names (targets and columns refer to them).
  const auto output_keys =
      root["class_name"] == "Sequential"
          ? std::vector<TensorKey>{}
          : endpoint_list(member(member(root, "config"), "output_layers"), path);
  // A (length, channels) output is presented in Keras' own layout [L, C] (predict's
  // columns and flat targets follow the model's C order: position-major).
  for (std::size_t i = 0; i < outs.size(); ++i) {
    const Shape s = model->values()[outs[i]].shape;
    if (s.size() != 2) continue;
    imp.cur_name = i < output_keys.size() ? std::get<0>(output_keys[i]) : "output";
    imp.cur_class = "Transpose";
    imp.name_prefix.clear();
    Shape t;
    auto map = transpose_map(s, {1, 0}, t);
    outs[i] =
        imp.emit(make_index_map("Transpose", {s}, t, std::move(map)), {outs[i]}, "/channels_last");
  }
  for (auto& node : imp.nodes) model->add_node(std::move(node));
  for (std::size_t i = 0; i < outs.size() && i < output_keys.size(); ++i)
    if (model->values()[outs[i]].producer >= 0)
      model->values_mutable(outs[i]).name = std::get<0>(output_keys[i]);
  model->set_outputs(outs);
  model->prune_unused();
  model->set_source(path);
  for (const auto& [name, expr] : lambdas)
    if (imp.used_lambdas.count(name) == 0)
      throw UsageError("--lambda " + name + ": the model has no Lambda layer of that name");
  return model;
}

}  // namespace seqlift
