// Internal: the building API of Model, used by the ONNX and Keras importers and the
// rewrite pass (optimize.cpp). load_model() hands the result out as a plain Model.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "seqlift/model.hpp"

namespace seqlift {

class ModelBuilder : public Model {
 public:
  /// A new value named `name` of per-sample `shape`, computed by node `producer` (-1:
  /// an input of the model); returns its id.
  int add_value(const std::string& name, Shape shape, int producer);
  /// Appends a node (its kind must be registered in kinds.def).
  void add_node(Node node);
  void set_input(int value, int length) {
    input_value_ = value;
    input_length_ = length;
  }
  void set_outputs(std::vector<int> outputs) { outputs_ = std::move(outputs); }
  void add_extra_input(int value) { extra_inputs_.push_back(value); }
  void set_source(std::string s) { source_ = std::move(s); }
  ValueInfo& values_mutable(int v) { return values_.at(v); }
  std::vector<Node>& nodes_mutable() { return nodes_; }
  using Model::prune_unused;
};

}  // namespace seqlift
