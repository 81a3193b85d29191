// ReduceSum / ReduceMean / GlobalAveragePool-like reductions over axes. Linear.
#include <algorithm>

#include "engine/layers/layers.hpp"
#include "engine/layers/reduce_map.hpp"
#include "seqlift/error.hpp"

namespace seqlift {

ReduceMap make_reduce_map(const Shape& input, const std::vector<int64_t>& axes_in, bool keepdims) {
  std::vector<int64_t> axes = axes_in;
  if (axes.empty())
    for (std::size_t a = 0; a < input.size(); ++a) axes.push_back(static_cast<int64_t>(a));
  std::vector<bool> reduced(input.size(), false);
  for (auto a : axes) {
    if (a < 0 || a >= static_cast<int64_t>(input.size()))
      throw ModelError("reduction axis " + std::to_string(a + 1) + " out of range for " +
                       shape_string(input));
    reduced[a] = true;
  }
  ReduceMap map;
  Shape kept;  // output shape with reduced axes of size 1
  for (std::size_t a = 0; a < input.size(); ++a) {
    kept.push_back(reduced[a] ? 1 : input[a]);
    if (reduced[a]) map.group_size *= input[a];
    if (!reduced[a])
      map.output.push_back(input[a]);
    else if (keepdims)
      map.output.push_back(1);
  }
  const int64_t n = numel(input);
  map.out_index.resize(n);
  std::vector<int64_t> idx(input.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (std::size_t a = 0; a < input.size(); ++a) o = o * kept[a] + (reduced[a] ? 0 : idx[a]);
    map.out_index[i] = static_cast<int32_t>(o);
    for (int64_t a = static_cast<int64_t>(input.size()) - 1; a >= 0; --a) {
      if (++idx[a] < input[a]) break;
      idx[a] = 0;
    }
  }
  return map;
}

namespace {

class Reduce final : public Layer {
 public:
  Reduce(const std::string& kind, const Shape& input, const std::vector<int64_t>& axes,
         bool keepdims, bool mean)
      : Layer(kind, {input}), map_(make_reduce_map(input, axes, keepdims)) {
    output_shape_ = map_.output;
    scale_ = mean ? 1.0f / static_cast<float>(map_.group_size) : 1.0f;
    // Reducing the length axis of a [C, L] value makes the result depend on every position.
    global_ = input.size() >= 2 &&
              std::find(axes.begin(), axes.end(), int64_t(input.size()) - 1) != axes.end();
    global_ = global_ || axes.empty();
    contiguous_ = true;  // each output sums one contiguous block (reduction over trailing axes)
    for (std::size_t i = 0; i < map_.out_index.size() && contiguous_; ++i)
      contiguous_ = map_.out_index[i] == static_cast<int32_t>(i / map_.group_size);
  }
  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n_in = numel(input_shapes_[0]), n_out = numel(output_shape_);
    if (contiguous_) {
      const int64_t g = map_.group_size;
      for (int64_t row = 0; row < batch * n_out; ++row) {
        const float* x = in[0] + row * g;
        double acc = 0.0;
        for (int64_t i = 0; i < g; ++i) acc += x[i];
        out[row] = static_cast<float>(acc * scale_);
      }
      return;
    }
    std::vector<double> acc(n_out);
    for (int64_t b = 0; b < batch; ++b) {
      std::fill(acc.begin(), acc.end(), 0.0);
      const float* x = in[0] + b * n_in;
      for (int64_t i = 0; i < n_in; ++i) acc[map_.out_index[i]] += x[i];
      for (int64_t o = 0; o < n_out; ++o) out[b * n_out + o] = static_cast<float>(acc[o] * scale_);
    }
  }
  const char* rule_name() const override { return "linear"; }
  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n_in = numel(input_shapes_[0]), n_out = numel(output_shape_);
    for (int64_t s = 0; s < ctx.streams; ++s) {
      const float* m = ctx.out_mult + s * n_out;
      float* mi = in_mult[0] + s * n_in;
      for (int64_t i = 0; i < n_in; ++i) mi[i] += m[map_.out_index[i]] * scale_;
    }
  }
  int64_t flops() const override { return numel(input_shapes_[0]); }
  ReceptiveField receptive_field(const std::vector<ReceptiveField>& in) const override {
    ReceptiveField rf = in[0];
    rf.global = rf.global || global_;
    return rf;
  }

 private:
  ReduceMap map_;
  float scale_ = 1.0f;
  bool global_ = false;
  bool contiguous_ = false;
};

}  // namespace

std::unique_ptr<Layer> make_reduce(const std::string& kind, const Shape& input,
                                   std::vector<int64_t> axes, bool keepdims, bool mean) {
  return std::make_unique<Reduce>(kind, input, axes, keepdims, mean);
}

}  // namespace seqlift
