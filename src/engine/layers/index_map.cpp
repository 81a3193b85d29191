// Data movement as an index map: output element j copies input source[j] (or a fill
// value). Covers Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Slice, Gather, Concat,
// Pad, Identity, Dropout. Linear: multipliers scatter-add back to their sources.
#include <cstring>

#include "engine/layers/layers.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

class IndexMap final : public Layer {
 public:
  IndexMap(const std::string& kind, std::vector<Shape> inputs, Shape output, std::vector<IndexSource> source,
           float fill)
      : Layer(kind, std::move(inputs)), source_(std::move(source)), fill_(fill) {
    output_shape_ = std::move(output);
    if (static_cast<int64_t>(source_.size()) != numel(output_shape_))
      throw ModelError(kind + ": index map size mismatch");
  }
  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    const int64_t n = numel(output_shape_);
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t j = 0; j < n; ++j) {
        const IndexSource& src = source_[j];
        out[b * n + j] = src.input < 0 ? fill_ : in[src.input][b * numel(input_shapes_[src.input]) + src.index];
      }
  }
  RuleKind rule_kind() const override { return RuleKind::kLinear; }
  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_);
    for (int64_t s = 0; s < ctx.streams; ++s)
      for (int64_t j = 0; j < n; ++j) {
        const IndexSource& src = source_[j];
        if (src.input >= 0)
          in_mult[src.input][s * numel(input_shapes_[src.input]) + src.index] += ctx.out_mult[s * n + j];
      }
  }
  int64_t flops() const override { return 0; }

 private:
  std::vector<IndexSource> source_;
  float fill_;
};

// Same elements, new shape: a copy forward, an add backward.
class Reshape final : public Layer {
 public:
  Reshape(const std::string& kind, const Shape& input, const Shape& output) : Layer(kind, {input}) {
    if (numel(input) != numel(output))
      throw ModelError(kind + ": cannot reshape " + shape_string(input) + " to " + shape_string(output));
    output_shape_ = output;
  }
  void forward(const std::vector<const float*>& in, float* out, int64_t batch) const override {
    std::memcpy(out, in[0], sizeof(float) * numel(output_shape_) * batch);
  }
  RuleKind rule_kind() const override { return RuleKind::kLinear; }
  void backward(const BackwardContext& ctx, const std::vector<float*>& in_mult) const override {
    const int64_t n = numel(output_shape_) * ctx.streams;
    for (int64_t i = 0; i < n; ++i) in_mult[0][i] += ctx.out_mult[i];
  }
  int64_t flops() const override { return 0; }
};

}  // namespace

std::unique_ptr<Layer> make_index_map(const std::string& kind, std::vector<Shape> inputs, Shape output,
                                      std::vector<IndexSource> source, float fill) {
  return std::make_unique<IndexMap>(kind, std::move(inputs), std::move(output), std::move(source), fill);
}

std::unique_ptr<Layer> make_reshape(const std::string& kind, const Shape& input, const Shape& output) {
  return std::make_unique<Reshape>(kind, input, output);
}

}  // namespace seqlift
