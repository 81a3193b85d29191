#include "seqlift/model.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "engine/model_builder.hpp"
#include "engine/registry.hpp"
#include "seqlift/error.hpp"
#include "util/buffer_pool.hpp"

namespace seqlift {

int64_t Model::output_size() const {
  int64_t n = 0;
  for (int v : outputs_) n += numel(values_[v].shape);
  return n;
}

int64_t Model::extra_size() const {
  int64_t n = 0;
  for (int v : extra_inputs_) n += numel(values_[v].shape);
  return n;
}

namespace {
// Copies the extra inputs' rows (or zeros) into their activation buffers.
template <class Take>
void fill_extra(const std::vector<int>& extras, const std::vector<ValueInfo>& values, int64_t batch,
                const float* extra, std::vector<std::vector<float>>& acts, Take take) {
  int64_t total = 0;
  for (int v : extras) total += numel(values[v].shape);
  int64_t at = 0;
  for (int v : extras) {
    const int64_t n = numel(values[v].shape);
    acts[v] = take(n * batch);
    for (int64_t b = 0; b < batch; ++b)
      if (extra)
        std::memcpy(acts[v].data() + b * n, extra + b * total + at, n * sizeof(float));
      else
        std::fill(acts[v].begin() + b * n, acts[v].begin() + (b + 1) * n, 0.0f);
    at += n;
  }
}
}  // namespace

int ModelBuilder::add_value(const std::string& name, Shape shape, int producer) {
  values_.push_back({name, std::move(shape), producer});
  return static_cast<int>(values_.size()) - 1;
}

void ModelBuilder::add_node(Node node) {
  // Every layer an importer builds is a registered kind (kinds.def): a kind added
  // without its row fails on the first model that uses it.
  if (!find_kind(node.layer->kind()))
    throw std::logic_error("layer kind '" + node.layer->kind() + "' of node '" + node.name +
                           "' is not registered in kinds.def");
  values_[node.output].producer = static_cast<int>(nodes_.size());
  nodes_.push_back(std::move(node));
}

std::vector<std::vector<int>> Model::readers() const {
  std::vector<std::vector<int>> r(values_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    for (int v : nodes_[i].inputs) r[v].push_back(static_cast<int>(i));
  return r;
}

void Model::forward_all(const float* x, int64_t batch, std::vector<std::vector<float>>& acts,
                        const float* extra) const {
  acts.resize(values_.size());
  const int64_t n_in = numel(values_[input_value_].shape);
  acts[input_value_].assign(x, x + n_in * batch);
  fill_extra(extra_inputs_, values_, batch, extra, acts,
             [](int64_t n) { return std::vector<float>(n); });
  std::vector<const float*> ins;
  for (const Node& node : nodes_) {
    ins.clear();
    for (int v : node.inputs) ins.push_back(acts[v].data());
    auto& out = acts[node.output];
    out.resize(numel(values_[node.output].shape) * batch);
    node.layer->forward(ins, out.data(), batch);
  }
}

void Model::forward_all(const float* x, int64_t batch, std::vector<std::vector<float>>& acts,
                        const std::vector<char>& keep, BufferPool& pool,
                        const std::vector<char>* run_node, const float* extra) const {
  auto runs = [&](std::size_t i) { return !run_node || (*run_node)[i]; };
  // Index of the last running node that reads each value.
  std::vector<int> last_use(values_.size(), -1);
  const auto readers_of = readers();
  for (std::size_t v = 0; v < values_.size(); ++v)
    for (int i : readers_of[v])
      if (runs(i)) last_use[v] = i;
  for (auto& a : acts) pool.give(a);
  acts.resize(values_.size());
  const int64_t n_in = numel(values_[input_value_].shape);
  acts[input_value_] = pool.take(n_in * batch);
  std::copy(x, x + n_in * batch, acts[input_value_].begin());
  fill_extra(extra_inputs_, values_, batch, extra, acts, [&](int64_t n) { return pool.take(n); });
  std::vector<const float*> ins;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!runs(i)) continue;
    const Node& node = nodes_[i];
    ins.clear();
    for (int v : node.inputs) ins.push_back(acts[v].data());
    acts[node.output] = pool.take(numel(values_[node.output].shape) * batch);
    node.layer->forward(ins, acts[node.output].data(), batch);
    for (int v : node.inputs)
      if (last_use[v] == static_cast<int>(i) && !keep[v]) pool.give(acts[v]);
  }
}

std::vector<float> Model::predict(const float* x, int64_t batch, const float* extra) const {
  // Per-thread buffers, and every value but the outputs released after its last
  // reader: repeated calls allocate nothing and touch no new pages.
  thread_local std::vector<std::vector<float>> acts;
  thread_local BufferPool pool;
  std::vector<char> keep(values_.size(), 0);
  for (int v : outputs_) keep[v] = 1;
  forward_all(x, batch, acts, keep, pool, nullptr, extra);
  const int64_t total = output_size();
  std::vector<float> out(total * batch);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t at = 0;
    for (int v : outputs_) {
      const int64_t n = numel(values_[v].shape);
      std::memcpy(out.data() + b * total + at, acts[v].data() + b * n, n * sizeof(float));
      at += n;
    }
  }
  return out;
}

void Model::keep_outputs(std::vector<int> outputs) {
  outputs_ = std::move(outputs);
  prune_unused();
}

void Model::prune_unused() {
  std::vector<bool> live(values_.size(), false);
  for (int v : outputs_) live[v] = true;
  std::vector<bool> keep(nodes_.size(), false);
  for (int i = static_cast<int>(nodes_.size()) - 1; i >= 0; --i) {
    if (!live[nodes_[i].output]) continue;
    keep[i] = true;
    for (int v : nodes_[i].inputs) live[v] = true;
  }
  std::vector<Node> kept;
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (keep[i]) kept.push_back(std::move(nodes_[i]));
  nodes_ = std::move(kept);
  for (auto& v : values_) v.producer = -1;
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    values_[nodes_[i].output].producer = static_cast<int>(i);
}

int Model::use_pre_activation_outputs() {
  int changed = 0;
  for (int& v : outputs_) {
    const int producer = values_[v].producer;
    if (producer < 0 || !is_final_activation(*nodes_[producer].layer)) continue;
    v = nodes_[producer].inputs[0];
    ++changed;
  }
  if (changed) prune_unused();
  return changed;
}

}  // namespace seqlift
