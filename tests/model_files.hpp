// Tiny one-layer Keras models written by the tests: an architecture JSON (Functional:
// input (L, 4) -> one layer named "k") and its save_weights() HDF5 file.
#pragma once
#include <hdf5.h>

#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace seqlift::test {

struct KerasWeight {
  std::string name;           ///< "kernel", "bias", "gamma", ...
  std::vector<hsize_t> dims;  ///< Keras layout, e.g. Conv1D kernel (k, in, out)
  std::vector<float> values;
};

/// Writes `dir`/k.json and `dir`/k.h5; `layer` is the layer's JSON without the name,
/// e.g. {"class_name": "ReLU", "config": {}}. `inputs` = how many times the layer reads
/// the model input (2 for Add/Concatenate of x with itself). Returns the JSON path.
inline std::string write_keras_model(const std::string& dir, const std::string& layer_json,
                                     int64_t length, const std::vector<KerasWeight>& weights,
                                     int inputs = 1) {
  std::string inbound;
  for (int i = 0; i < inputs; ++i) inbound += std::string(i ? ", " : "") + "[\"x\", 0, 0, {}]";
  // Insert "name" into the layer object and its config.
  std::string layer = layer_json;
  const auto cfg = layer.find("\"config\": {");
  layer.insert(cfg + 11, "\"name\": \"k\"" + std::string(layer[cfg + 11] == '}' ? "" : ", "));
  layer.insert(1, "\"name\": \"k\", \"inbound_nodes\": [[" + inbound + "]], ");
  const std::string json =
      "{\"class_name\": \"Functional\", \"config\": {\"name\": \"m\", \"layers\": ["
      "{\"class_name\": \"InputLayer\", \"name\": \"x\", \"config\": {\"name\": \"x\", "
      "\"batch_input_shape\": [null, " +
      std::to_string(length) + ", 4]}, \"inbound_nodes\": []}, " + layer +
      "], \"input_layers\": [[\"x\", 0, 0]], \"output_layers\": [[\"k\", 0, 0]]}}";
  const std::string path = dir + "/k.json";
  std::ofstream(path) << json;
  const hid_t f = H5Fcreate((dir + "/k.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (!weights.empty()) {
    const hid_t g = H5Gcreate2(f, "/k", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    std::size_t width = 1;
    for (const auto& w : weights) width = std::max(width, w.name.size() + 3);
    std::vector<char> names(width * weights.size(), '\0');
    for (std::size_t i = 0; i < weights.size(); ++i)
      std::memcpy(names.data() + i * width, (weights[i].name + ":0").c_str(),
                  weights[i].name.size() + 2);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width);
    const hsize_t n = weights.size();
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t attr = H5Acreate2(g, "weight_names", type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, type, names.data());
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    for (const auto& w : weights) {
      const hid_t ds_space = H5Screate_simple(int(w.dims.size()), w.dims.data(), nullptr);
      const hid_t ds = H5Dcreate2(g, (w.name + ":0").c_str(), H5T_NATIVE_FLOAT, ds_space,
                                  H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w.values.data());
      H5Dclose(ds);
      H5Sclose(ds_space);
    }
    H5Gclose(g);
  }
  H5Fclose(f);
  return path;
}

}  // namespace seqlift::test
