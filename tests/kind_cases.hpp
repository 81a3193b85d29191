// The table of kinds_test: one KindCase per registered layer kind (kinds.def), with an
// ONNX graph, an optional Keras layer and an independent forward formula.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "model_files.hpp"
#include "onnx_builder.hpp"

namespace seqlift::test {

using Vec = std::vector<double>;
constexpr int64_t L = 8;  // input [4, L], engine layout c * L + l

using Onnx = test::OnnxBuilder;
struct KindCase {
  const char* kind;
  /// Adds the kind's node(s) reading "x"; returns the output name.
  std::function<std::string(Onnx&)> onnx;
  /// Independent forward over the engine input [4, L] -> the flattened output.
  std::function<Vec(const Vec&)> forward;
  /// Elementwise kinds: the scalar function (forward is derived from it).
  std::function<double(double)> f = nullptr;
  /// Keras layer JSON ("" = none), its weights, inputs and forward (null = `forward`).
  std::string keras = "";
  std::vector<test::KerasWeight> keras_weights = {};
  int keras_inputs = 1;
  std::function<Vec(const Vec&)> keras_forward = nullptr;
  double lo = -2, hi = 2;  ///< input range
  int opset = 13;
};
inline void PrintTo(const KindCase& c, std::ostream* os) {
  *os << c.kind;
}

/// Every case, one per registered kind.
const std::vector<KindCase>& kind_cases();
/// Helpers shared with the tests (engine layout [4, L]: element c * L + l).
inline double at(const Vec& x, int64_t c, int64_t l) {
  return x[c * L + l];
}
inline Vec dense_w() {  // [L, 5] for MatMul over the length axis
  Vec w(L * 5);
  for (int i = 0; i < L * 5; ++i) w[i] = std::cos(0.7 * i + 0.3);
  return w;
}
inline std::vector<float> to_float(const Vec& v) {
  return std::vector<float>(v.begin(), v.end());
}

}  // namespace seqlift::test
