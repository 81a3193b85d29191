// A per-node summary of a loaded model (what `seqlift inspect` prints).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "seqlift/model.hpp"

namespace seqlift {

struct NodeSummary {
  std::string name, op, kind, output_shape;
  std::string rule;  ///< the layer's rule_name(): "linear", "rescale|reveal-cancel", ... "none"
  int64_t parameters = 0, flops = 0;
};

struct ModelSummary {
  std::vector<NodeSummary> nodes;
  int64_t parameters = 0;
  int64_t flops = 0;            ///< forward FLOPs per sequence (multiply-add = 2)
  int64_t receptive_field = 0;  ///< bases one output depends on (clamped to the input length)
  bool global = false;          ///< some output depends on the whole input
};

ModelSummary summarize(const Model& model);

}  // namespace seqlift
