#include "seqlift/inspect.hpp"

#include <algorithm>

namespace seqlift {

ModelSummary summarize(const Model& model) {
  ModelSummary s;
  std::vector<ReceptiveField> rf(model.values().size());
  for (const Node& node : model.nodes()) {
    NodeSummary n;
    n.name = node.name;
    n.op = node.op;
    n.kind = node.layer->kind();
    n.output_shape = shape_string(node.layer->output_shape());
    n.parameters = node.layer->parameter_count();
    n.flops = node.layer->flops();
    n.rule = node.layer->rule_name();
    s.parameters += n.parameters;
    s.flops += n.flops;
    std::vector<ReceptiveField> ins;
    for (int v : node.inputs) ins.push_back(rf[v]);
    rf[node.output] = node.layer->receptive_field(ins);
    s.nodes.push_back(std::move(n));
  }
  for (int v : model.outputs()) {
    s.receptive_field = std::max(s.receptive_field, rf[v].span);
    s.global = s.global || rf[v].global;
  }
  s.receptive_field = std::min<int64_t>(s.receptive_field, model.input_length());
  if (s.global) s.receptive_field = model.input_length();
  return s;
}

}  // namespace seqlift
