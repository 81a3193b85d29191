#include "engine/optimize.hpp"

#include <algorithm>

#include "engine/layers/layers.hpp"

namespace seqlift {
namespace {

// Readers of each value, counting a model output as one more (the caller reads it).
std::vector<int> consumer_counts(const Model& model) {
  std::vector<int> count;
  for (const auto& r : model.readers()) count.push_back(static_cast<int>(r.size()));
  for (int v : model.outputs()) ++count[v];
  return count;
}

// B(A(x)) -> B'(x) for single-input B reading an index map A used by B alone.
bool compose_index_maps(ModelBuilder& model) {
  bool changed = false;
  const auto count = consumer_counts(model);
  auto& nodes = model.nodes_mutable();
  for (Node& b : nodes) {
    std::vector<IndexSource> bs, as;
    float bfill, afill;
    if (b.inputs.size() != 1 || !index_map_sources(*b.layer, bs, bfill)) continue;
    const int v = b.inputs[0];
    const int producer = model.values()[v].producer;
    if (producer < 0 || count[v] != 1) continue;
    const Node& a = nodes[producer];
    if (!index_map_sources(*a.layer, as, afill)) continue;
    bool fills_agree = true;
    for (auto& s : bs) {
      if (s.input < 0) continue;
      s = as[s.index];
      if (s.input < 0 && afill != bfill) fills_agree = false;
    }
    if (!fills_agree) continue;
    b.layer = make_index_map(b.layer->kind(), a.layer->input_shapes(), b.layer->output_shape(),
                             std::move(bs), bfill);
    b.op = a.op + "+" + b.op;
    b.inputs = a.inputs;
    changed = true;
  }
  return changed;
}

// A Conv read only through one index map, over a window [first, last) of its length.
void narrow_convolutions(ModelBuilder& model) {
  const auto count = consumer_counts(model);
  const auto readers = model.readers();
  auto& nodes = model.nodes_mutable();
  for (std::size_t ci = 0; ci < nodes.size(); ++ci) {
    Node& conv = nodes[ci];
    const ConvParams* p = conv_params(*conv.layer);
    if (!p || count[conv.output] != 1) continue;
    Node* reader = readers[conv.output].empty() ? nullptr : &nodes[readers[conv.output][0]];
    std::vector<IndexSource> src;
    float fill;
    if (!reader || !index_map_sources(*reader->layer, src, fill)) continue;
    const int slot =
        static_cast<int>(std::find(reader->inputs.begin(), reader->inputs.end(), conv.output) -
                         reader->inputs.begin());
    const int64_t lo = p->length_out();
    int64_t first = lo, last = 0;
    for (const auto& s : src)
      if (s.input == slot) {
        first = std::min(first, s.index % lo);
        last = std::max(last, s.index % lo + 1);
      }
    if (first >= last || last - first == lo) continue;
    const int64_t count_out = last - first;
    conv.layer = make_conv(p->window(first, count_out));
    conv.op += "+window";
    model.values_mutable(conv.output).shape = conv.layer->output_shape();
    for (auto& s : src)
      if (s.input == slot) s.index = (s.index / lo) * count_out + (s.index % lo - first);
    std::vector<Shape> in_shapes = reader->layer->input_shapes();
    in_shapes[slot] = conv.layer->output_shape();
    reader->layer = make_index_map(reader->layer->kind(), std::move(in_shapes),
                                   reader->layer->output_shape(), std::move(src), fill);
  }
}

}  // namespace

void optimize_model(ModelBuilder& model) {
  while (compose_index_maps(model)) model.prune_unused();
  narrow_convolutions(model);
  model.prune_unused();
}

}  // namespace seqlift
