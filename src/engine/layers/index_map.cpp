// Data movement as an index map: output element j copies input source[j] (or a fill
// value). Covers Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Slice, Gather, Concat,
// Pad, Identity, Dropout. Linear: multipliers scatter-add back to their sources.
#include <algorithm>
#include <cstring>

#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

class IndexMap final : public Layer {
 public:
  IndexMap(const std::string& kind, std::vector<Shape> inputs, Shape output,
           std::vector<IndexSource> source, float fill)
      : Layer(kind, std::move(inputs)), fill_(fill) {
    output_shape_ = std::move(output);
    if (static_cast<int64_t>(source.size()) != numel(output_shape_))
      throw ModelError(kind + ": index map size mismatch");
    for (const auto& s : input_shapes_) input_size_.push_back(numel(s));
    // Runs: consecutive outputs copying consecutive elements of one input (or the fill).
    for (std::size_t j = 0; j < source.size(); ++j) {
      if (!runs_.empty()) {
        Run& r = runs_.back();
        const bool same_fill = r.input < 0 && source[j].input < 0;
        const bool next =
            r.input >= 0 && source[j].input == r.input && source[j].index == r.src + r.length;
        if (same_fill || next) {
          ++r.length;
          continue;
        }
      }
      runs_.push_back({source[j].input, source[j].index, static_cast<int64_t>(j), 1});
    }
  }
  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n = numel(output_shape_);
    for (int64_t b = 0; b < batch; ++b)
      for (const Run& r : runs_) {
        float* dst = out + b * n + r.dst;
        if (r.input < 0)
          std::fill(dst, dst + r.length, fill_);
        else
          std::memcpy(dst, in[r.input] + b * input_size_[r.input] + r.src,
                      r.length * sizeof(float));
      }
  }
  const char* rule_name() const override { return "linear"; }
  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_);
    for (int64_t s = 0; s < ctx.streams; ++s)
      for (const Run& r : runs_) {
        if (r.input < 0) continue;
        const float* m = ctx.out_mult + s * n + r.dst;
        float* mi = in_mult[r.input] + s * input_size_[r.input] + r.src;
        for (int64_t i = 0; i < r.length; ++i) mi[i] += m[i];
      }
  }
  int64_t flops() const override { return 0; }
  // The span of input j's last axis that output positions in `out` copy from.
  AxisWindow input_window(std::size_t j, AxisWindow out) const override {
    const Shape& in = input_shapes_[j];
    const int64_t li = in.empty() ? 1 : in.back();
    const int64_t lo = output_shape_.empty() ? 1 : output_shape_.back();
    AxisWindow w{li, 0};
    for (const Run& r : runs_) {
      if (r.input != static_cast<int32_t>(j)) continue;
      for (int64_t i = 0; i < r.length; ++i) {
        const int64_t pos = (r.dst + i) % lo;
        if (pos < out.first || pos >= out.second) continue;
        w.first = std::min(w.first, (r.src + i) % li);
        w.second = std::max(w.second, (r.src + i) % li + 1);
      }
    }
    return w;
  }

  std::vector<IndexSource> sources() const {
    std::vector<IndexSource> out(static_cast<std::size_t>(numel(output_shape_)));
    for (const Run& r : runs_)
      for (int64_t i = 0; i < r.length; ++i)
        out[r.dst + i] = {r.input, r.input < 0 ? 0 : r.src + i};
    return out;
  }
  float fill() const { return fill_; }

 private:
  struct Run {
    int32_t input;
    int64_t src, dst, length;
  };
  std::vector<Run> runs_;
  std::vector<int64_t> input_size_;
  float fill_;
};

// Same elements, new shape: a copy forward, an add backward.
class Reshape final : public Layer {
 public:
  Reshape(const std::string& kind, const Shape& input, const Shape& output) : Layer(kind, {input}) {
    if (numel(input) != numel(output))
      throw ModelError(kind + ": cannot reshape " + shape_string(input) + " to " +
                       shape_string(output));
    output_shape_ = output;
  }
  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    std::memcpy(out, in[0], sizeof(float) * numel(output_shape_) * batch);
  }
  const char* rule_name() const override { return "linear"; }
  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_) * ctx.streams;
    for (int64_t i = 0; i < n; ++i) in_mult[0][i] += ctx.out_mult[i];
  }
  int64_t flops() const override { return 0; }
};

}  // namespace

std::unique_ptr<Layer> make_index_map(const std::string& kind, std::vector<Shape> inputs,
                                      Shape output, std::vector<IndexSource> source, float fill) {
  return std::make_unique<IndexMap>(kind, std::move(inputs), std::move(output), std::move(source),
                                    fill);
}

bool index_map_sources(const Layer& layer, std::vector<IndexSource>& sources, float& fill) {
  const auto* map = dynamic_cast<const IndexMap*>(&layer);
  if (!map) return false;
  sources = map->sources();
  fill = map->fill();
  return true;
}

std::unique_ptr<Layer> make_reshape(const std::string& kind, const Shape& input,
                                    const Shape& output) {
  return std::make_unique<Reshape>(kind, input, output);
}

}  // namespace seqlift
