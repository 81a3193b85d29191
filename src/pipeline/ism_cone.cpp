// MutantRunner: batched forward passes of single-base mutants. The local trunk of the
// model (Conv, position-independent elementwise nodes, crops) is recomputed only in the
// window its outputs can change in (the receptive cone of the block's mutated bases),
// reading the unmutated sequence's activations outside it; the rest of the graph runs
// on whole tensors with the cone patched in.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "engine/layers/layers.hpp"
#include "engine/registry.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/ism.hpp"

namespace seqlift {

std::vector<Mutation> saturation_mutations(const std::string& seq, int64_t lo, int64_t hi) {
  std::vector<Mutation> m;
  lo = std::max<int64_t>(0, lo);
  hi = std::min<int64_t>(static_cast<int64_t>(seq.size()), hi);
  for (int64_t p = lo; p < hi; ++p) {
    const int obs = base_index(seq[p]);
    for (int b = 0; b < 4; ++b)
      if (b != obs) m.push_back({p, b});
  }
  return m;
}

namespace {

// An elementwise activation: does not depend on the position.
bool is_activation(const Layer& layer) {
  const KindSpec* spec = find_kind(layer.kind());
  return spec && (spec->flags & kActivation);
}
// A sum of several computed inputs with unit coefficients (a residual Add); an affine map
// with per-element constants depends on the position.
template <class NodeT>
bool is_sum(const Layer& layer, const NodeT& n) {
  return std::string(layer.rule_name()) == "linear" && n.inputs.size() >= 2;
}

enum class Kind { kTail, kConv, kElementwise, kShift };
using Win = std::pair<int64_t, int64_t>;  // [lo, hi) on the last axis; empty when lo >= hi

int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

}  // namespace

struct MutantRunner::Impl {
  const Model& model;
  bool cone = false;
  int64_t block = 48;
  std::vector<Kind> kind;                 // per node
  std::vector<int64_t> shift;             // per node (kShift): out[c, j] = in[c, j + shift]
  std::vector<char> local;                // per value: computed by window
  std::vector<char> frontier;             // per value: local and read whole (tail node or output)
  std::vector<int64_t> channels, length;  // per local value: [C, L]
  std::vector<int> last_local_use;        // per value: last trunk node reading it
  int64_t cone_nodes = 0;
  mutable std::mutex mutex;
  mutable std::map<std::tuple<int, int64_t, int64_t, int64_t>, std::unique_ptr<WeightedLinearLayer>>
      convs;  // (node, length_in, pad_left, pad_right)

  explicit Impl(const Model& m) : model(m) {}

  const Layer& conv_for(int node, int64_t len_in, int64_t pl, int64_t pr) const {
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = convs[{node, len_in, pl, pr}];
    if (!slot) {
      ConvParams q = *conv_params(*model.nodes()[node].layer);
      q.length_in = len_in;
      q.pad_left = pl;
      q.pad_right = pr;
      slot = make_conv(q);
    }
    return *slot;
  }

  void classify() {
    const auto& values = model.values();
    const auto& nodes = model.nodes();
    kind.assign(nodes.size(), Kind::kTail);
    shift.assign(nodes.size(), 0);
    local.assign(values.size(), 0);
    channels.assign(values.size(), 0);
    length.assign(values.size(), 0);
    const int in = model.input_value();
    local[in] = 1;
    channels[in] = 4;
    length[in] = model.input_length();
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const Node& n = nodes[i];
      const Shape& os = values[n.output].shape;
      bool inputs_local = !n.inputs.empty();
      for (int v : n.inputs) inputs_local = inputs_local && local[v];
      if (!inputs_local || os.size() != 2) continue;
      const Layer& layer = *n.layer;
      Kind k = Kind::kTail;
      if (conv_params(layer) && n.inputs.size() == 1) {
        k = Kind::kConv;
      } else if (layer.is_elementwise() && (is_activation(layer) || is_sum(layer, n))) {
        // Activations and sums of dynamic inputs do not depend on the position (an
        // affine map with per-element constants does, and stays in the tail).
        k = Kind::kElementwise;
        for (int v : n.inputs) k = values[v].shape == os ? k : Kind::kTail;
      } else if (n.inputs.size() == 1) {
        std::vector<IndexSource> src;
        float fill;
        const Shape& is = values[n.inputs[0]].shape;
        if (index_map_sources(layer, src, fill) && is.size() == 2 && is[0] == os[0]) {
          // A crop (or identity) on the last axis: out[c, j] = in[c, j + shift].
          const int64_t lo = os[1], li = is[1];
          const int64_t off = src.empty() ? 0 : src[0].index;
          bool ok = static_cast<int64_t>(src.size()) == os[0] * lo;
          for (int64_t c = 0; ok && c < os[0]; ++c)
            for (int64_t j = 0; ok && j < lo; ++j) {
              const IndexSource& s = src[c * lo + j];
              ok = s.input == 0 && s.index == c * li + j + off;
            }
          if (ok && off >= 0 && off + lo <= li) {
            k = Kind::kShift;
            shift[i] = off;
          }
        }
      }
      if (k == Kind::kTail) continue;
      kind[i] = k;
      local[n.output] = 1;
      channels[n.output] = os[0];
      length[n.output] = os[1];
      if (k != Kind::kShift) ++cone_nodes;
    }
    frontier.assign(values.size(), 0);
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (kind[i] == Kind::kTail)
        for (int v : nodes[i].inputs)
          if (local[v]) frontier[v] = 1;
    for (int v : model.outputs())
      if (local[v]) frontier[v] = 1;
    last_local_use.assign(values.size(), -1);
    const auto readers = model.readers();
    for (std::size_t v = 0; v < values.size(); ++v)
      for (int i : readers[v])
        if (kind[i] != Kind::kTail) last_local_use[v] = i;
    // Without a conv in the trunk nothing is gained.
    bool any_conv = false;
    for (Kind k : kind) any_conv = any_conv || k == Kind::kConv;
    if (!any_conv) cone_nodes = 0;
  }

  // Per-thread scratch of one block.
  struct Scratch {
    std::vector<std::vector<float>> mini;  // per value: [B, C, w] (local values)
    std::vector<Win> win;                  // per value
    std::vector<std::vector<float>> full;  // per value: [B, numel] (frontier + tail)
    std::vector<float> gather[4];
    std::vector<std::vector<float>> spare;  // buffers of values past their last reader
  };

  // Gives value v a buffer of at least n floats, reusing released ones.
  static float* take(Scratch& s, int v, int64_t n) {
    if (s.mini[v].empty() && !s.spare.empty()) {
      s.mini[v].swap(s.spare.back());
      s.spare.pop_back();
    }
    reserve(s.mini[v], n);
    return s.mini[v].data();
  }
  static void release(Scratch& s, int v) {
    if (s.mini[v].empty()) return;
    s.spare.emplace_back();
    s.spare.back().swap(s.mini[v]);
  }

  // Gathers positions [lo, hi) of local value v for every mutant: from the block's
  // window where it has one, else from the unmutated activations. out: [B, C, hi - lo].
  void gather(const Scratch& s, int v, const std::vector<float>& ref, int64_t B, int64_t lo,
              int64_t hi, float* out) const {
    const int64_t C = channels[v], Lv = length[v], w = hi - lo;
    const Win win = s.win[v];
    const int64_t ww = win.second - win.first;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t c = 0; c < C; ++c) {
        float* o = out + (b * C + c) * w;
        const float* r = ref.data() + c * Lv;
        const float* m = ww > 0 ? s.mini[v].data() + (b * C + c) * ww : nullptr;
        for (int64_t j = lo; j < hi; ++j)
          o[j - lo] = (j >= win.first && j < win.second) ? m[j - win.first] : r[j];
      }
  }

  static void reserve(std::vector<float>& buf, int64_t n) {
    if (static_cast<int64_t>(buf.size()) < n) buf.resize(n);
  }

  void run_block(const std::vector<std::vector<float>>& ref, const float* x, const Mutation* muts,
                 int64_t B, float* out, Scratch& s) const {
    const auto& values = model.values();
    const auto& nodes = model.nodes();
    const int in = model.input_value();
    const int64_t L = model.input_length();
    s.mini.resize(values.size());
    s.full.resize(values.size());
    s.win.assign(values.size(), Win{0, 0});
    // Only the values alive at once hold buffers (the last layers' windows are wide).
    for (std::size_t v = 0; v < values.size(); ++v) release(s, static_cast<int>(v));
    // The input: the block's mutated columns.
    const int64_t a = muts[0].pos, e = muts[B - 1].pos + 1;
    s.win[in] = {a, e};
    take(s, in, B * 4 * (e - a));
    for (int64_t b = 0; b < B; ++b) {
      float* m = s.mini[in].data() + b * 4 * (e - a);
      for (int c = 0; c < 4; ++c) std::memcpy(m + c * (e - a), x + c * L + a, (e - a) * 4);
      const int64_t j = muts[b].pos - a;
      for (int c = 0; c < 4; ++c) m[c * (e - a) + j] = c == muts[b].base ? 1.0f : 0.0f;
    }
    std::vector<const float*> ins;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const Node& n = nodes[i];
      if (kind[i] == Kind::kTail) continue;
      const int v = n.output;
      const int64_t C = channels[v], Lv = length[v];
      Win w{Lv, 0};
      if (kind[i] == Kind::kConv) {
        const ConvParams& p = *conv_params(*n.layer);
        const Win iw = s.win[n.inputs[0]];
        const int64_t span = p.dilation * (p.kernel - 1) + 1;
        if (iw.first < iw.second)
          w = {std::max<int64_t>(0, floor_div(iw.first + p.pad_left - span, p.stride) + 1),
               std::min<int64_t>(Lv, floor_div(iw.second - 1 + p.pad_left, p.stride) + 1)};
        if (w.first >= w.second) {
          s.win[v] = {0, 0};
          continue;
        }
        const int64_t need_lo = w.first * p.stride - p.pad_left,
                      need_hi = (w.second - 1) * p.stride - p.pad_left + span;
        const int64_t ilo = std::max<int64_t>(0, need_lo),
                      ihi = std::min<int64_t>(length[n.inputs[0]], need_hi);
        const float* input = s.mini[n.inputs[0]].data();
        if (ilo != iw.first || ihi != iw.second) {  // else the window is all it reads
          reserve(s.gather[0], B * p.in_channels * (ihi - ilo));
          gather(s, n.inputs[0], ref[n.inputs[0]], B, ilo, ihi, s.gather[0].data());
          input = s.gather[0].data();
        }
        const Layer& conv = conv_for(static_cast<int>(i), ihi - ilo, ilo - need_lo, need_hi - ihi);
        take(s, v, B * C * (w.second - w.first));
        ins.assign(1, input);
        conv.forward(ins, s.mini[v].data(), B);
      } else if (kind[i] == Kind::kShift) {
        const Win iw = s.win[n.inputs[0]];
        w = {std::max<int64_t>(0, iw.first - shift[i]),
             std::min<int64_t>(Lv, iw.second - shift[i])};
        if (w.first >= w.second) {
          s.win[v] = {0, 0};
          continue;
        }
        const int64_t ww = w.second - w.first, iww = iw.second - iw.first;
        take(s, v, B * C * ww);
        for (int64_t r = 0; r < B * C; ++r)
          std::memcpy(s.mini[v].data() + r * ww,
                      s.mini[n.inputs[0]].data() + r * iww + (w.first + shift[i] - iw.first),
                      ww * 4);
      } else {
        for (int u : n.inputs)
          if (s.win[u].first < s.win[u].second)
            w = {std::min(w.first, s.win[u].first), std::max(w.second, s.win[u].second)};
        if (w.first >= w.second) {
          s.win[v] = {0, 0};
          continue;
        }
        // The layer maps numel(shape) values per row: run it on [B, C, w] values laid
        // out in whole rows (it does not depend on the position).
        const int64_t n_out = numel(values[v].shape), count = B * C * (w.second - w.first);
        const int64_t rows = (count + n_out - 1) / n_out;
        ins.clear();
        for (std::size_t j = 0; j < n.inputs.size(); ++j) {
          auto& g = s.gather[std::min<std::size_t>(j, 3)];
          if (j > 3) throw ModelError("ISM: elementwise node '" + n.name + "' has > 4 inputs");
          reserve(g, rows * n_out);
          gather(s, n.inputs[j], ref[n.inputs[j]], B, w.first, w.second, g.data());
          ins.push_back(g.data());
        }
        take(s, v, rows * n_out);
        n.layer->forward(ins, s.mini[v].data(), rows);
      }
      s.win[v] = w;
      for (int u : n.inputs)
        if (last_local_use[u] == static_cast<int>(i) && !frontier[u]) release(s, u);
    }
    // Frontier values whole, then the tail nodes on whole tensors.
    for (std::size_t v = 0; v < values.size(); ++v) {
      if (!frontier[v]) continue;
      const int64_t C = channels[v], Lv = length[v];
      reserve(s.full[v], B * C * Lv);
      for (int64_t b = 0; b < B; ++b)
        std::memcpy(s.full[v].data() + b * C * Lv, ref[v].data(), C * Lv * 4);
      const Win w = s.win[v];
      const int64_t ww = w.second - w.first;
      if (ww <= 0) continue;
      for (int64_t r = 0; r < B * C; ++r)
        std::memcpy(s.full[v].data() + r * Lv + w.first, s.mini[v].data() + r * ww, ww * 4);
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (kind[i] != Kind::kTail) continue;
      const Node& n = nodes[i];
      ins.clear();
      for (int u : n.inputs) ins.push_back(s.full[u].data());
      reserve(s.full[n.output], B * numel(values[n.output].shape));
      n.layer->forward(ins, s.full[n.output].data(), B);
    }
    const int64_t total = model.output_size();
    for (int64_t b = 0; b < B; ++b) {
      int64_t at = 0;
      for (int v : model.outputs()) {
        const int64_t k = numel(values[v].shape);
        std::memcpy(out + b * total + at, s.full[v].data() + b * k, k * 4);
        at += k;
      }
    }
  }
};

MutantRunner::MutantRunner(const Model& model, bool cone, int64_t block)
    : impl_(std::make_unique<Impl>(model)) {
  if (block < 1) throw UsageError("ISM block must be positive");
  impl_->block = block;
  impl_->classify();
  impl_->cone = cone && impl_->cone_nodes > 0;
}

MutantRunner::~MutantRunner() = default;

int64_t MutantRunner::cone_nodes() const {
  return impl_->cone ? impl_->cone_nodes : 0;
}

std::vector<float> MutantRunner::run(const float* x, const std::vector<Mutation>& muts,
                                     int threads) const {
  const Model& model = impl_->model;
  const int64_t M = static_cast<int64_t>(muts.size()), L = model.input_length(),
                total = model.output_size(), B = impl_->block;
  for (int64_t i = 0; i < M; ++i)
    if (muts[i].pos < 0 || muts[i].pos >= L || muts[i].base < 0 || muts[i].base > 3 ||
        (i && muts[i].pos < muts[i - 1].pos))
      throw UsageError("ISM: mutations must be sorted, inside [0, " + std::to_string(L) +
                       ") with bases 0..3");
  std::vector<float> y(M * total);
  // Blocks of up to B mutants whose positions lie within B bases: their cones overlap.
  std::vector<int64_t> starts;
  for (int64_t i = 0; i < M; ++i)
    if (starts.empty() || i - starts.back() == B || muts[i].pos - muts[starts.back()].pos >= B)
      starts.push_back(i);
  const int64_t blocks = static_cast<int64_t>(starts.size());
  starts.push_back(M);
  std::vector<std::vector<float>> ref;
  if (impl_->cone) model.forward_all(x, 1, ref);
  std::string error;
#pragma omp parallel num_threads(threads)
  {
    Impl::Scratch scratch;
    std::vector<float> xb;
#pragma omp for schedule(dynamic)
    for (int64_t k = 0; k < blocks; ++k) {
      try {
        const int64_t b0 = starts[k], nb = starts[k + 1] - b0;
        if (impl_->cone) {
          impl_->run_block(ref, x, muts.data() + b0, nb, y.data() + b0 * total, scratch);
        } else {
          xb.resize(nb * 4 * L);
          for (int64_t b = 0; b < nb; ++b) {
            float* m = xb.data() + b * 4 * L;
            std::memcpy(m, x, 4 * L * sizeof(float));
            for (int c = 0; c < 4; ++c)
              m[c * L + muts[b0 + b].pos] = c == muts[b0 + b].base ? 1.0f : 0.0f;
          }
          auto part = model.predict(xb.data(), nb);
          std::memcpy(y.data() + b0 * total, part.data(), part.size() * sizeof(float));
        }
      } catch (const std::exception& e) {
#pragma omp critical
        if (error.empty()) error = e.what();
      }
    }
  }
  if (!error.empty()) throw InputError(error);
  return y;
}

}  // namespace seqlift
