#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "engine/layers/layers.hpp"
#include "seqlift/deeplift.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "util/buffer_pool.hpp"

namespace seqlift {

Rule parse_rule(const std::string& name) {
  if (name == "rescale") return Rule::kRescale;
  if (name == "reveal-cancel" || name == "revealcancel") return Rule::kRevealCancel;
  if (name == "genomics") return Rule::kGenomics;
  if (name == "gradient") return Rule::kGradient;
  throw UsageError("--rule must be rescale, reveal-cancel, genomics or gradient (got '" + name +
                   "')");
}

const char* rule_string(Rule rule) {
  switch (rule) {
    case Rule::kRescale:
      return "rescale";
    case Rule::kRevealCancel:
      return "reveal-cancel";
    case Rule::kGenomics:
      return "genomics";
    case Rule::kGradient:
      return "gradient";
  }
  return "?";
}

bool delta_within_tolerance(double error, double delta) {
  return error <= 1e-3 * std::max(1.0, std::fabs(delta));
}

namespace {
// Multiplier bytes per backward group (one value, all its streams). Measured on BPNet
// (2 threads, 20 references): groups of 1 reference beat the whole chunk by 9-12%.
constexpr int64_t kBackwardGroupBytes = int64_t(1) << 20;
}  // namespace

Explainer::Explainer(const Model& model, ExplainOptions options)
    : model_(model), options_(std::move(options)) {
  // Explained values: a model output, or the logits under a final Sigmoid/Softmax.
  std::vector<std::pair<int, int64_t>> explained, outputs;
  for (int v : model.outputs()) {
    int ev = v;
    const int producer = model.values()[v].producer;
    if (!options_.explain_activated && producer >= 0 &&
        is_final_activation(*model.nodes()[producer].layer)) {
      ev = model.nodes()[producer].inputs[0];
      stripped_ = true;
    }
    for (int64_t e = 0; e < numel(model.values()[v].shape); ++e) {
      explained.push_back({ev, e});
      outputs.push_back({v, e});
    }
  }
  if (!options_.profile_output.empty()) {
    int found = -1;
    for (std::size_t o = 0; o < model.outputs().size(); ++o)
      if (model.values()[model.outputs()[o]].name == options_.profile_output ||
          std::to_string(o) == options_.profile_output)
        found = model.outputs()[o];
    if (found < 0)
      throw UsageError("profile target: the model has no output '" + options_.profile_output + "'");
    profile_value_ = found;
    const int producer = model.values()[found].producer;
    if (!options_.explain_activated && producer >= 0 &&
        is_final_activation(*model.nodes()[producer].layer))
      profile_value_ = model.nodes()[producer].inputs[0];
    targets_ = {0};
    target_at_ = {{profile_value_, -1}};
    output_at_ = {{found, -1}};
  }
  if (profile_value_ < 0) targets_ = options_.targets;
  if (targets_.empty())
    for (std::size_t t = 0; t < explained.size(); ++t) targets_.push_back(static_cast<int64_t>(t));
  for (auto t : profile_value_ >= 0 ? std::vector<int64_t>{} : targets_) {
    if (t < 0 || t >= static_cast<int64_t>(explained.size()))
      throw UsageError("target " + std::to_string(t) + " is out of range: the model has " +
                       std::to_string(explained.size()) + " outputs (0.." +
                       std::to_string(explained.size() - 1) + ")");
    target_at_.push_back(explained[t]);
    output_at_.push_back(outputs[t]);
  }
  // RevealCancel applies at a nonlinearity reading a linear layer that asks for it
  // under the chosen rule (both sides are the layers' own properties).
  reveal_cancel_at_.assign(model.nodes().size(), 0);
  for (std::size_t i = 0; i < model.nodes().size(); ++i) {
    const Node& node = model.nodes()[i];
    if (!node.layer->reveals_cancellation()) continue;
    const int producer = model.values()[node.inputs[0]].producer;
    reveal_cancel_at_[i] =
        producer >= 0 && model.nodes()[producer].layer->splits_for(options_.rule);
  }
  // Activations the backward pass reads: the inputs of layers whose rule reads them,
  // the inputs of linear layers under a RevealCancel node, and the explained values
  // and outputs.
  keep_.assign(model.values().size(), 0);
  for (std::size_t i = 0; i < model.nodes().size(); ++i) {
    const Node& node = model.nodes()[i];
    if (node.layer->backward_reads_inputs())
      for (int v : node.inputs) keep_[v] = 1;
    if (reveal_cancel_at_[i])
      for (int v : model.nodes()[model.values()[node.inputs[0]].producer].inputs) keep_[v] = 1;
  }
  for (const auto& t : target_at_) keep_[t.first] = 1;
  for (const auto& t : output_at_) keep_[t.first] = 1;
  // Only the ancestors of the targets (and of the reported outputs) are computed: a
  // counts target skips a BPNet's profile head, for example.
  std::vector<char> needed(model.values().size(), 0);
  for (const auto& t : target_at_) needed[t.first] = 1;
  for (const auto& t : output_at_) needed[t.first] = 1;
  consumers_.clear();
  for (const auto& r : model.readers()) consumers_.push_back(static_cast<int>(r.size()));
  run_node_.assign(model.nodes().size(), 0);
  for (int i = static_cast<int>(model.nodes().size()) - 1; i >= 0; --i) {
    const Node& node = model.nodes()[i];
    if (!needed[node.output]) continue;
    run_node_[i] = 1;
    for (int v : node.inputs) needed[v] = 1;
  }
  for (std::size_t v = 0; v < keep_.size(); ++v) keep_[v] = keep_[v] && needed[v];
  for (char r : reveal_cancel_at_) reveal_cancel_ = reveal_cancel_ || r;
  compute_windows();
  for (const auto& v : model.values()) largest_value_ = std::max(largest_value_, numel(v.shape));
  for (std::size_t v = 0; v < model.values().size(); ++v)
    if (keep_[v]) act_floats_per_row_ += numel(model.values()[v].shape);
  // Peak of the values alive during the forward pass is bounded by the kept ones plus
  // a few transients; budget with the largest value twice more.
  int64_t largest = 0;
  for (const auto& v : model.values()) largest = std::max(largest, numel(v.shape));
  act_floats_per_row_ += 2 * largest;
}

namespace {
int64_t last_axis(const Shape& s) {
  return s.empty() ? 1 : s.back();
}
}  // namespace

void Explainer::compute_windows() {
  const auto& values = model_.values();
  const auto& nodes = model_.nodes();
  window_.assign(targets_.size(), std::vector<std::pair<int64_t, int64_t>>(values.size(), {0, 0}));
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    auto& w = window_[t];
    const auto [v, e] = target_at_[t];
    const int64_t l = last_axis(values[v].shape);
    w[v] = e >= 0 ? AxisWindow{e % l, e % l + 1} : AxisWindow{0, l};
    for (int i = static_cast<int>(nodes.size()) - 1; i >= 0; --i) {
      const Node& node = nodes[i];
      const AxisWindow out = w[node.output];
      if (!run_node_[i] || out.first >= out.second) continue;
      for (std::size_t j = 0; j < node.inputs.size(); ++j) {
        const int in = node.inputs[j];
        const AxisWindow iw = node.layer->input_window(j, out);
        if (iw.first >= iw.second) continue;
        AxisWindow& cur = w[in];
        cur = cur.first >= cur.second
                  ? iw
                  : AxisWindow{std::min(cur.first, iw.first), std::max(cur.second, iw.second)};
      }
    }
  }
}

Explainer::~Explainer() = default;

Explanation Explainer::explain(const float* x, const float* refs, int64_t num_refs,
                               const float* extra) const {
  if (num_refs <= 0) throw UsageError("explain needs at least one reference");
  const int64_t length = model_.input_length(), n_in = kAlphabetSize * length, T = targets_.size();
  Explanation out;
  out.targets = T;
  out.refs = num_refs;
  out.length = length;
  out.delta.assign(T * num_refs, 0.0);
  out.delta_error.assign(T * num_refs, 0.0);
  if (options_.keep_multipliers) out.multipliers.assign(T * num_refs * n_in, 0.0f);
  std::vector<double> hyp_sum(T * n_in, 0.0);
  const int64_t bytes_per_row = std::max<int64_t>(1, act_floats_per_row_ * 4);
  const int64_t chunk =
      std::clamp<int64_t>(options_.memory_budget_bytes / bytes_per_row - 1, 1, num_refs);
  for (int64_t k0 = 0; k0 < num_refs; k0 += chunk)
    explain_chunk(x, refs, k0, std::min(chunk, num_refs - k0), out, hyp_sum, extra);
  out.hypothetical.resize(T * n_in);
  out.projected.resize(T * n_in);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < n_in; ++i) {
      const float h = static_cast<float>(hyp_sum[t * n_in + i] / num_refs);
      out.hypothetical[t * n_in + i] = h;
      out.projected[t * n_in + i] = h * x[i];
    }
  return out;
}

void Explainer::explain_chunk(const float* x, const float* refs, int64_t k0, int64_t kc,
                              Explanation& out, std::vector<double>& hyp_sum,
                              const float* extra) const {
  const int64_t n_in = kAlphabetSize * model_.input_length();
  const int64_t T = targets_.size();
  // Forward on [X; R_k0 .. R_k0+kc-1].
  std::vector<float> batch((1 + kc) * n_in);
  std::memcpy(batch.data(), x, n_in * sizeof(float));
  std::memcpy(batch.data() + n_in, refs + k0 * n_in, kc * n_in * sizeof(float));
  // Per-thread workspace: activations and multipliers come from a pool, so repeated
  // calls allocate nothing new.
  thread_local std::vector<std::vector<float>> acts;
  thread_local BufferPool pool;
  // Extra inputs: the same row for X and every reference.
  const int64_t n_extra = model_.extra_size();
  std::vector<float> extra_rows;
  if (extra && n_extra > 0) {
    extra_rows.resize((1 + kc) * n_extra);
    for (int64_t r = 0; r <= kc; ++r)
      std::memcpy(extra_rows.data() + r * n_extra, extra, n_extra * sizeof(float));
  }
  model_.forward_all(batch.data(), 1 + kc, acts, keep_, pool, &run_node_,
                     extra_rows.empty() ? nullptr : extra_rows.data());
  // Profile target: weights c_i = w_i - 1/n from the sequence's own logits.
  std::vector<double> profile_weights;
  if (profile_value_ >= 0) {
    const int64_t n = numel(model_.values()[profile_value_].shape);
    const float* l = acts[profile_value_].data();
    double mean = 0, mx = -1e300, z = 0;
    for (int64_t i = 0; i < n; ++i) mean += l[i] / double(n);
    for (int64_t i = 0; i < n; ++i) mx = std::max(mx, double(l[i]));
    profile_weights.resize(n);
    for (int64_t i = 0; i < n; ++i) z += std::exp(l[i] - mx);
    double value = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double w = std::exp(l[i] - mx) / z;
      value += w * (l[i] - mean);
      profile_weights[i] = w - 1.0 / double(n);
    }
    if (k0 == 0) out.prediction = out.explained = {static_cast<float>(value)};
  } else if (k0 == 0) {
    out.prediction.resize(T);
    out.explained.resize(T);
    for (int64_t t = 0; t < T; ++t) {
      out.prediction[t] = acts[output_at_[t].first][output_at_[t].second];
      out.explained[t] = acts[target_at_[t].first][target_at_[t].second];
    }
  }
  // Backward in groups of references: a small group's multipliers stay in cache from
  // one layer to the next, where all streams at once would stream every layer's
  // multipliers through memory. RevealCancel computes its split differences for the
  // whole chunk, so it runs the chunk as one group.
  const int64_t per_ref = std::max<int64_t>(1, T * largest_value_ * int64_t(sizeof(float)));
  const int64_t group = reveal_cancel_ ? kc : std::max<int64_t>(1, kBackwardGroupBytes / per_ref);
  for (int64_t g0 = 0; g0 < kc; g0 += group)
    backward_group(x, refs, k0, kc, g0, std::min(group, kc - g0), acts, pool, profile_weights, out,
                   hyp_sum);
}

void Explainer::backward_group(const float* x, const float* refs, int64_t k0, int64_t kc,
                               int64_t g0, int64_t gk, const std::vector<std::vector<float>>& acts,
                               BufferPool& pool, const std::vector<double>& profile_weights,
                               Explanation& out, std::vector<double>& hyp_sum) const {
  const int64_t length = model_.input_length(), n_in = kAlphabetSize * length;
  const int64_t T = targets_.size(), S = T * gk;
  // Streams: s = t * gk + j pairs X with reference g0 + j of this chunk, for target t.
  std::vector<int> stream_ref(S);
  for (int64_t s = 0; s < S; ++s) stream_ref[s] = static_cast<int>(g0 + s % gk);
  std::vector<int64_t> windows(2 * S);
  const auto& values = model_.values();
  std::vector<std::vector<float>> mult(values.size()), mult_pos(values.size()),
      mult_neg(values.size());
  auto buffer = [&](std::vector<std::vector<float>>& set, int v) -> std::vector<float>& {
    if (set[v].empty()) set[v] = pool.take_zeroed(S * numel(values[v].shape));
    return set[v];
  };
  for (int64_t t = 0; t < T; ++t) {
    const auto [v, e] = target_at_[t];
    auto& m = buffer(mult, v);
    const int64_t n = numel(values[v].shape);
    for (int64_t j = 0; j < gk; ++j) {
      if (e >= 0)
        m[(t * gk + j) * n + e] = 1.0f;
      else
        for (int64_t i = 0; i < n; ++i)
          m[(t * gk + j) * n + i] = static_cast<float>(profile_weights[i]);
    }
  }
  const auto& nodes = model_.nodes();
  for (int i = static_cast<int>(nodes.size()) - 1; i >= 0; --i) {
    const Node& node = nodes[i];
    const int ov = node.output;
    const bool split = !mult_pos[ov].empty();
    if (mult[ov].empty() && !split) continue;  // does not reach the targets
    BackwardContext ctx;
    ctx.rule = options_.rule;
    for (int v : node.inputs) ctx.in_act.push_back(acts[v].data());
    ctx.out_act = acts[ov].data();
    ctx.out_mult = mult[ov].data();
    ctx.streams = S;
    ctx.stream_ref = stream_ref.data();
    for (int64_t s = 0; s < S; ++s) {
      const auto& w = window_[s / gk][ov];
      windows[2 * s] = w.first;
      windows[2 * s + 1] = w.second;
    }
    ctx.out_window = windows.data();
    ctx.refs = kc;
    if (split) {
      // RevealCancel downstream: this linear layer takes separate multipliers for the
      // positive and negative parts; plain multipliers count for both.
      auto& mp = mult_pos[ov];
      auto& mn = mult_neg[ov];
      if (!mult[ov].empty())
        for (std::size_t j = 0; j < mp.size(); ++j) {
          mp[j] += mult[ov][j];
          mn[j] += mult[ov][j];
        }
      node.layer->backward_split(ctx, mp.data(), mn.data(), buffer(mult, node.inputs[0]).data());
    } else if (reveal_cancel_at_[i]) {
      const int in_v = node.inputs[0];
      const Node& prev = nodes[values[in_v].producer];
      const int64_t n = numel(values[in_v].shape);
      std::vector<float> dpos(kc * n), dneg(kc * n);
      prev.layer->split_deltas(acts[prev.inputs[0]].data(), kc, dpos.data(), dneg.data());
      node.layer->backward_reveal_cancel(ctx, dpos.data(), dneg.data(),
                                         buffer(mult_pos, in_v).data(),
                                         buffer(mult_neg, in_v).data());
    } else {
      if (!node.layer->has_rule())
        throw ModelError(
            model_.source() + ": node '" + node.name + "' (" + node.layer->kind() +
            ") has no DeepLIFT rule" +
            (is_final_activation(*node.layer) ? "; explain its input (the logits) instead" : ""));
      const bool unique_inputs =
          std::set<int>(node.inputs.begin(), node.inputs.end()).size() == node.inputs.size();
      if (node.layer->passes_multipliers_through() && unique_inputs) {
        // Unit-coefficient sum (residual add): inputs without multipliers yet get a
        // copy, the last of them the buffer itself; no zeroing, no adds.
        int moved = -1;
        for (int v : node.inputs)
          if (mult[v].empty()) moved = v;
        for (int v : node.inputs) {
          if (v == moved) continue;
          if (mult[v].empty()) {
            mult[v] = pool.take(mult[ov].size());
            std::memcpy(mult[v].data(), mult[ov].data(), mult[ov].size() * sizeof(float));
          } else {
            for (std::size_t j = 0; j < mult[ov].size(); ++j) mult[v][j] += mult[ov][j];
          }
        }
        if (moved >= 0) mult[moved] = std::move(mult[ov]);
      } else {
        const int v0 = node.inputs[0];
        if (node.layer->can_overwrite_input_multipliers() && node.inputs.size() == 1 &&
            mult[v0].empty() && consumers_[v0] == 1) {
          mult[v0] = pool.take(S * numel(values[v0].shape));
          ctx.overwrite = true;
        }
        std::vector<float*> in_mult;
        for (int v : node.inputs) in_mult.push_back(buffer(mult, v).data());
        node.layer->backward(ctx, in_mult);
      }
    }
    // Every consumer of this node's output has been processed: free its multipliers.
    pool.give(mult[ov]);
    pool.give(mult_pos[ov]);
    pool.give(mult_neg[ov]);
  }
  // Input multipliers -> hypothetical contributions and summation-to-delta per pair.
  const int in_v = model_.input_value();
  const std::vector<float> zeros(mult[in_v].empty() ? S * n_in : 0, 0.0f);
  const float* m_all = mult[in_v].empty() ? zeros.data() : mult[in_v].data();
  for (int64_t t = 0; t < T; ++t) {
    const auto [ev, e] = target_at_[t];
    const int64_t n_ev = numel(values[ev].shape);
    for (int64_t j = 0; j < gk; ++j) {
      const int64_t k = g0 + j, kk = k0 + k, s = t * gk + j;
      const float* m = m_all + s * n_in;
      const float* r = refs + kk * n_in;
      if (options_.keep_multipliers)
        std::memcpy(out.multipliers.data() + (t * out.refs + kk) * n_in, m, n_in * sizeof(float));
      double sum = 0.0;
      for (int64_t i = 0; i < n_in; ++i) sum += (double(x[i]) - r[i]) * m[i];
      double delta = 0;
      if (e >= 0) {
        delta = double(acts[ev][e]) - acts[ev][(1 + k) * n_ev + e];
      } else {
        for (int64_t i = 0; i < n_ev; ++i)
          delta += profile_weights[i] * (double(acts[ev][i]) - acts[ev][(1 + k) * n_ev + i]);
      }
      out.delta[t * out.refs + kk] = delta;
      out.delta_error[t * out.refs + kk] = std::fabs(sum - delta);
      double* h = hyp_sum.data() + t * n_in;
      for (int64_t j = 0; j < length; ++j) {
        double rm = 0.0;
        for (int c = 0; c < kAlphabetSize; ++c) rm += double(r[c * length + j]) * m[c * length + j];
        for (int c = 0; c < kAlphabetSize; ++c) h[c * length + j] += m[c * length + j] - rm;
      }
    }
  }
  for (auto& m : mult) pool.give(m);
}

}  // namespace seqlift
