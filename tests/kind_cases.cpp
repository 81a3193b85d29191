// One row per registered kind: see kind_cases.hpp and kinds_test.cpp.
#include "kind_cases.hpp"

#include <algorithm>
#include <cmath>

namespace seqlift::test {
namespace {

double sigmoid(double x) {
  return 1 / (1 + std::exp(-x));
}
double softplus(double x) {
  return std::log1p(std::exp(x));
}

// ---- helpers for the formulas (engine layout) ----
Vec onnx_conv_w() {  // [3, 4, 3]
  Vec w(36);
  for (int i = 0; i < 36; ++i) w[i] = std::sin(1.3 * i + 0.2);
  return w;
}
Vec conv_forward(const Vec& x) {  // 4 -> 3 channels, kernel 3, pad 1, bias 0.1 * o
  const Vec w = onnx_conv_w();
  Vec y(3 * L, 0.0);
  for (int o = 0; o < 3; ++o)
    for (int64_t l = 0; l < L; ++l) {
      double s = 0.1 * o;
      for (int c = 0; c < 4; ++c)
        for (int t = 0; t < 3; ++t) {
          const int64_t p = l + t - 1;
          if (p >= 0 && p < L) s += w[(o * 4 + c) * 3 + t] * at(x, c, p);
        }
      y[o * L + l] = s;
    }
  return y;
}
// Pools over the length axis: kernel k, stride s (no padding).
Vec pool(const Vec& x, int64_t k, int64_t s, bool max) {
  const int64_t lo = (L - k) / s + 1;
  Vec y(4 * lo);
  for (int c = 0; c < 4; ++c)
    for (int64_t j = 0; j < lo; ++j) {
      double acc = max ? -1e300 : 0;
      for (int64_t t = 0; t < k; ++t)
        acc = max ? std::max(acc, at(x, c, j * s + t)) : acc + at(x, c, j * s + t) / k;
      y[c * lo + j] = acc;
    }
  return y;
}
Vec softmax_channels(const Vec& x, bool log) {
  Vec y(4 * L);
  for (int64_t l = 0; l < L; ++l) {
    double z = 0;
    for (int c = 0; c < 4; ++c) z += std::exp(at(x, c, l));
    for (int c = 0; c < 4; ++c)
      y[c * L + l] = log ? at(x, c, l) - std::log(z) : std::exp(at(x, c, l)) / z;
  }
  return y;
}
// x read in Keras' (L, 4) order, flattened.
Vec keras_flat(const Vec& x) {
  Vec y(4 * L);
  for (int64_t l = 0; l < L; ++l)
    for (int c = 0; c < 4; ++c) y[l * 4 + c] = at(x, c, l);
  return y;
}

std::string pool_node(Onnx& b, const char* op, int64_t kernel, int64_t stride) {
  auto* n = b.node(op, {"x"}, "y");
  Onnx::attr(n, "kernel_shape", std::vector<int64_t>{kernel});
  Onnx::attr(n, "strides", std::vector<int64_t>{stride});
  return "y";
}
std::string act(Onnx& b, const char* op) {
  b.node(op, {"x"}, "y");
  return "y";
}
template <typename T>
std::string act_attr(Onnx& b, const char* op, const char* name, T v) {
  Onnx::attr(b.node(op, {"x"}, "y"), name, v);
  return "y";
}

}  // namespace

const std::vector<KindCase>& kind_cases() {
  static const std::vector<KindCase> c = {
      {"Conv",
       [](Onnx& b) {
         auto* n = b.node("Conv",
                          {"x", b.init("w", {3, 4, 3}, to_float(onnx_conv_w())),
                           b.init("b", {3}, {0.0f, 0.1f, 0.2f})},
                          "y");
         Onnx::attr(n, "pads", std::vector<int64_t>{1, 1});
         return "y";
       },
       conv_forward, nullptr, R"({"class_name": "Conv1D", "config": {"filters": 3,
         "kernel_size": [3], "padding": "same"}})",
       [] {  // (k, in, out) from the ONNX [out, in, k]
         const Vec w = onnx_conv_w();
         std::vector<float> k(36);
         for (int o = 0; o < 3; ++o)
           for (int c = 0; c < 4; ++c)
             for (int t = 0; t < 3; ++t) k[(t * 4 + c) * 3 + o] = float(w[(o * 4 + c) * 3 + t]);
         return std::vector<test::KerasWeight>{{"kernel", {3, 4, 3}, k},
                                               {"bias", {3}, {0.0f, 0.1f, 0.2f}}};
       }()},
      {"Dense",
       [](Onnx& b) {
         b.node("MatMul", {"x", b.init("w", {L, 5}, to_float(dense_w()))}, "y");
         return "y";
       },
       [](const Vec& x) {
         const Vec w = dense_w();
         Vec y(4 * 5, 0.0);
         for (int c = 0; c < 4; ++c)
           for (int o = 0; o < 5; ++o)
             for (int64_t l = 0; l < L; ++l) y[c * 5 + o] += at(x, c, l) * w[l * 5 + o];
         return y;
       },
       nullptr,
       R"({"class_name": "Dense", "config": {"units": 2}})",
       {{"kernel", {4, 2}, {0.5f, -1, 2, 0.25f, -0.75f, 1.5f, 1, -2}},
        {"bias", {2}, {0.1f, -0.2f}}},
       1,
       [](const Vec& x) {  // over the channels at each position: engine [2, L]
         const double k[4][2] = {{0.5, -1}, {2, 0.25}, {-0.75, 1.5}, {1, -2}};
         Vec y(2 * L);
         for (int o = 0; o < 2; ++o)
           for (int64_t l = 0; l < L; ++l) {
             double s = o == 0 ? 0.1 : -0.2;
             for (int c = 0; c < 4; ++c) s += k[c][o] * at(x, c, l);
             y[o * L + l] = s;
           }
         return y;
       }},
      {"BatchNorm",
       [](Onnx& b) {
         b.node("BatchNormalization",
                {"x", b.init("g", {4}, {1, 2, 0.5f, -1}), b.init("be", {4}, {0, 0.5f, -1, 2}),
                 b.init("m", {4}, {0.1f, -0.2f, 0.3f, 0}), b.init("v", {4}, {1, 4, 0.25f, 2})},
                "y");
         return "y";
       },
       [](const Vec& x) {
         const double g[] = {1, 2, 0.5, -1}, be[] = {0, 0.5, -1, 2}, m[] = {0.1, -0.2, 0.3, 0},
                      v[] = {1, 4, 0.25, 2};
         Vec y(4 * L);
         for (int c = 0; c < 4; ++c)
           for (int64_t l = 0; l < L; ++l)
             y[c * L + l] = g[c] * (at(x, c, l) - m[c]) / std::sqrt(v[c] + 1e-5) + be[c];
         return y;
       },
       nullptr,
       R"({"class_name": "BatchNormalization", "config": {"epsilon": 1e-5}})",
       {{"gamma", {4}, {1, 2, 0.5f, -1}},
        {"beta", {4}, {0, 0.5f, -1, 2}},
        {"moving_mean", {4}, {0.1f, -0.2f, 0.3f, 0}},
        {"moving_variance", {4}, {1, 4, 0.25f, 2}}}},
      {"Affine",
       [](Onnx& b) {
         b.node("Mul", {"x", b.init("c", {4, 1}, {2, -1, 0.5f, 3})}, "y");
         return "y";
       },
       [](const Vec& x) {
         const double c[] = {2, -1, 0.5, 3};
         Vec y(x.size());
         for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * c[i / L];
         return y;
       }},
      {"Sum",
       [](Onnx& b) {
         b.node("Mul", {"x", b.init("c", {1}, {-3})}, "t");
         b.node("Add", {"x", "t"}, "y");
         return "y";
       },
       [](const Vec& x) {
         Vec y(x.size());
         for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] - 3 * x[i];
         return y;
       },
       nullptr,
       R"({"class_name": "Add", "config": {}})",
       {},
       2,
       [](const Vec& x) {
         Vec y(x.size());
         for (std::size_t i = 0; i < x.size(); ++i) y[i] = 2 * x[i];
         return y;
       }},
      {"Relu", [](Onnx& b) { return act(b, "Relu"); }, nullptr,
       [](double x) { return x > 0 ? x : 0; }, R"({"class_name": "ReLU", "config": {}})"},
      {"LeakyRelu", [](Onnx& b) { return act_attr(b, "LeakyRelu", "alpha", 0.2f); }, nullptr,
       [](double x) { return x > 0 ? x : 0.2 * x; },
       R"({"class_name": "LeakyReLU", "config": {"alpha": 0.2}})"},
      {"Elu", [](Onnx& b) { return act_attr(b, "Elu", "alpha", 0.7f); }, nullptr,
       [](double x) { return x > 0 ? x : 0.7 * (std::exp(x) - 1); },
       R"({"class_name": "ELU", "config": {"alpha": 0.7}})"},
      {"Sigmoid", [](Onnx& b) { return act(b, "Sigmoid"); }, nullptr, sigmoid,
       R"({"class_name": "Activation", "config": {"activation": "sigmoid"}})"},
      {"Tanh", [](Onnx& b) { return act(b, "Tanh"); }, nullptr,
       [](double x) { return std::tanh(x); },
       R"({"class_name": "Activation", "config": {"activation": "tanh"}})"},
      {"Softplus", [](Onnx& b) { return act(b, "Softplus"); }, nullptr, softplus,
       R"({"class_name": "Activation", "config": {"activation": "softplus"}})"},
      {"Gelu", [](Onnx& b) { return act(b, "Gelu"); }, nullptr,
       [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); },
       R"({"class_name": "Activation", "config": {"activation": "gelu"}})"},
      {"Silu",
       [](Onnx& b) {  // PyTorch's export: Sigmoid, Mul
         b.node("Sigmoid", {"x"}, "s");
         b.node("Mul", {"x", "s"}, "y");
         return "y";
       },
       nullptr, [](double x) { return x * sigmoid(x); },
       R"({"class_name": "Activation", "config": {"activation": "swish"}})"},
      {"Mish",
       [](Onnx& b) { return act(b, "Mish"); },
       nullptr,  // the opset 18 op
       [](double x) { return x * std::tanh(std::log1p(std::exp(x))); },
       "",
       {},
       1,
       nullptr,
       -3,
       3,
       18},
      {"Exp", [](Onnx& b) { return act(b, "Exp"); }, nullptr, [](double x) { return std::exp(x); },
       R"({"class_name": "Activation", "config": {"activation": "exponential"}})"},
      {"Log",
       [](Onnx& b) { return act(b, "Log"); },
       nullptr,
       [](double x) { return std::log(x); },
       "",
       {},
       1,
       nullptr,
       0.2,
       3},
      {"Softmax", [](Onnx& b) { return act_attr(b, "Softmax", "axis", int64_t(1)); },
       [](const Vec& x) { return softmax_channels(x, false); }, nullptr,
       R"({"class_name": "Softmax", "config": {"axis": -1}})"},
      {"LogSoftmax", [](Onnx& b) { return act_attr(b, "LogSoftmax", "axis", int64_t(1)); },
       [](const Vec& x) { return softmax_channels(x, true); }},
      {"MaxPool", [](Onnx& b) { return pool_node(b, "MaxPool", 3, 2); },
       [](const Vec& x) { return pool(x, 3, 2, true); }, nullptr,
       R"({"class_name": "MaxPooling1D", "config": {"pool_size": [3], "strides": [2]}})"},
      {"AveragePool", [](Onnx& b) { return pool_node(b, "AveragePool", 2, 2); },
       [](const Vec& x) { return pool(x, 2, 2, false); }, nullptr,
       R"({"class_name": "AveragePooling1D", "config": {"pool_size": [2]}})"},
      {"ReduceMean",
       [](Onnx& b) {
         auto* n = b.node("ReduceMean", {"x"}, "y");
         Onnx::attr(n, "axes", std::vector<int64_t>{2});
         Onnx::attr(n, "keepdims", int64_t(0));
         return "y";
       },
       [](const Vec& x) { return pool(x, L, 1, false); }, nullptr,
       R"({"class_name": "GlobalAveragePooling1D", "config": {}})"},
      {"ReduceSum",
       [](Onnx& b) {
         b.node("ReduceSum", {"x", b.init_ints("ax", {1})}, "y");
         return "y";
       },
       [](const Vec& x) {
         Vec y(L, 0.0);
         for (int c = 0; c < 4; ++c)
           for (int64_t l = 0; l < L; ++l) y[l] += at(x, c, l);
         return y;
       }},
      {"ReduceLogSumExp",
       [](Onnx& b) {
         Onnx::attr(b.node("ReduceLogSumExp", {"x"}, "y"), "axes", std::vector<int64_t>{1});
         return "y";
       },
       [](const Vec& x) {
         Vec y(L, 0.0);
         for (int64_t l = 0; l < L; ++l) {
           for (int c = 0; c < 4; ++c) y[l] += std::exp(at(x, c, l));
           y[l] = std::log(y[l]);
         }
         return y;
       },
       nullptr, R"({"class_name": "Lambda", "config": {"function": "reduce_logsumexp"}})"},
      {"Transpose",
       [](Onnx& b) {
         return act_attr(b, "Transpose", "perm", std::vector<int64_t>{0, 2, 1});
       },
       keras_flat},
      {"Slice",
       [](Onnx& b) {
         b.node("Slice", {"x", b.init_ints("s", {2}), b.init_ints("e", {7}), b.init_ints("a", {2})},
                "y");
         return "y";
       },
       [](const Vec& x) {
         Vec y;
         for (int c = 0; c < 4; ++c)
           for (int64_t l = 2; l < 7; ++l) y.push_back(at(x, c, l));
         return y;
       },
       nullptr, R"({"class_name": "Cropping1D", "config": {"cropping": [2, 1]}})"},
      {"Gather",
       [](Onnx& b) {
         Onnx::attr(b.node("Gather", {"x", b.init_ints("i", {3, 0, 2})}, "y"), "axis", int64_t(1));
         return "y";
       },
       [](const Vec& x) {
         Vec y;
         for (int c : {3, 0, 2})
           for (int64_t l = 0; l < L; ++l) y.push_back(at(x, c, l));
         return y;
       }},
      {"Concat",
       [](Onnx& b) {
         b.node("Sigmoid", {"x"}, "s");
         Onnx::attr(b.node("Concat", {"x", "s"}, "y"), "axis", int64_t(1));
         return "y";
       },
       [](const Vec& x) {
         Vec y = x;
         for (double v : x) y.push_back(sigmoid(v));
         return y;
       },
       nullptr,
       R"({"class_name": "Concatenate", "config": {"axis": -1}})",
       {},
       2,
       [](const Vec& x) {
         Vec y = x;
         y.insert(y.end(), x.begin(), x.end());
         return y;
       }},
      {"Pad",
       [](Onnx& b) {
         b.node("Pad", {"x", b.init_ints("p", {0, 0, 1, 0, 0, 2}), b.init("v", {}, {0.5f})}, "y");
         return "y";
       },
       [](const Vec& x) {
         Vec y;
         for (int c = 0; c < 4; ++c) {
           y.push_back(0.5);
           for (int64_t l = 0; l < L; ++l) y.push_back(at(x, c, l));
           y.push_back(0.5), y.push_back(0.5);
         }
         return y;
       }},
      {"Flatten",
       [](Onnx& b) { return act(b, "Flatten"); },
       [](const Vec& x) { return x; },
       nullptr,
       R"({"class_name": "Flatten", "config": {}})",
       {},
       1,
       keras_flat},
      {"Reshape",
       [](Onnx& b) {
         b.node("Reshape", {"x", b.init_ints("s", {0, 8, 4})}, "y");
         return "y";
       },
       [](const Vec& x) { return x; },
       nullptr,
       R"({"class_name": "Reshape", "config": {"target_shape": [32]}})",
       {},
       1,
       keras_flat},
      {"Identity",
       [](Onnx& b) {
         b.node("Dropout", {"x"}, "d");
         b.node("Relu", {"d"}, "y");  // an output must be computed by a node
         return "y";
       },
       nullptr,
       [](double x) { return x > 0 ? x : 0; },
       R"({"class_name": "Dropout", "config": {"rate": 0.5}})",
       {},
       1,
       [](const Vec& x) { return x; }},
      // ---- attention and gated blocks (RULES.md of the transformer fixtures) ----
      {"Product",  // x * mean over channels: a broadcast product of two computed tensors
       [](Onnx& b) {
         Onnx::attr(b.node("ReduceMean", {"x"}, "m"), "axes", std::vector<int64_t>{1});
         b.node("Mul", {"x", "m"}, "y");
         return "y";
       },
       [](const Vec& x) {
         Vec y(4 * L);
         for (int64_t l = 0; l < L; ++l) {
           double m = 0;
           for (int c = 0; c < 4; ++c) m += at(x, c, l) / 4;
           for (int c = 0; c < 4; ++c) y[c * L + l] = at(x, c, l) * m;
         }
         return y;
       },
       nullptr,
       R"({"class_name": "Multiply", "config": {}})",
       {},
       2,
       [](const Vec& x) {
         Vec y(x.size());
         for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * x[i];
         return y;
       }},
      {"MatMul",  // Einsum of two computed tensors: y[c, d] = sum_l x[c, l] x[d, l]
       [](Onnx& b) {
         auto* n = b.node("Einsum", {"x", "x"}, "y");
         auto* a = n->add_attribute();
         a->set_name("equation");
         a->set_type(onnx::AttributeProto_AttributeType_STRING);
         a->set_s("bcl,bdl->bcd");
         return "y";
       },
       [](const Vec& x) {
         Vec y(16, 0.0);
         for (int c = 0; c < 4; ++c)
           for (int d = 0; d < 4; ++d)
             for (int64_t l = 0; l < L; ++l) y[c * 4 + d] += at(x, c, l) * at(x, d, l);
         return y;
       }},
      {"Sqrt",
       [](Onnx& b) { return act(b, "Sqrt"); },
       nullptr,
       [](double x) { return std::sqrt(x); },
       "",
       {},
       1,
       nullptr,
       0.2,
       2},
      {"Reciprocal",
       [](Onnx& b) { return act(b, "Reciprocal"); },
       nullptr,
       [](double x) { return 1 / x; },
       "",
       {},
       1,
       nullptr,
       0.5,
       2},
      {"Pow",
       [](Onnx& b) {
         b.node("Pow", {"x", b.init("e", {}, {1.5f})}, "y");
         return "y";
       },
       nullptr,
       [](double x) { return std::pow(x, 1.5); },
       "",
       {},
       1,
       nullptr,
       0.2,
       2},
      {"Erf", [](Onnx& b) { return act(b, "Erf"); }, nullptr, [](double x) { return std::erf(x); }},
      {"LayerNorm",  // opset 17, over the length axis per channel, with scale and bias
       [](Onnx& b) {
         std::vector<float> g(L), be(L);
         for (int64_t l = 0; l < L; ++l) g[l] = 1 + 0.1f * l, be[l] = 0.05f * l - 0.2f;
         b.node("LayerNormalization", {"x", b.init("g", {L}, g), b.init("be", {L}, be)}, "y");
         return "y";
       },
       [](const Vec& x) {
         Vec y(4 * L);
         for (int c = 0; c < 4; ++c) {
           double m = 0, v = 0;
           for (int64_t l = 0; l < L; ++l) m += at(x, c, l) / L;
           for (int64_t l = 0; l < L; ++l) v += (at(x, c, l) - m) * (at(x, c, l) - m) / L;
           for (int64_t l = 0; l < L; ++l)
             y[c * L + l] =
                 (at(x, c, l) - m) / std::sqrt(v + 1e-5) * (1 + 0.1 * l) + (0.05 * l - 0.2);
         }
         return y;
       },
       nullptr,
       R"({"class_name": "LayerNormalization", "config": {"axis": [2], "epsilon": 0.001}})",
       {{"gamma", {4}, {1, 2, 0.5f, -1}}, {"beta", {4}, {0, 0.5f, -1, 2}}},
       1,
       [](const Vec& x) {  // Keras: over the channels at each position
         const double g[] = {1, 2, 0.5, -1}, be[] = {0, 0.5, -1, 2};
         Vec y(4 * L);
         for (int64_t l = 0; l < L; ++l) {
           double m = 0, v = 0;
           for (int c = 0; c < 4; ++c) m += at(x, c, l) / 4;
           for (int c = 0; c < 4; ++c) v += (at(x, c, l) - m) * (at(x, c, l) - m) / 4;
           for (int c = 0; c < 4; ++c)
             y[c * L + l] = (at(x, c, l) - m) / std::sqrt(v + 1e-3) * g[c] + be[c];
         }
         return y;
       },
       -2,
       2,
       17},
      {"Split",  // channels [1, 3]: the second part
       [](Onnx& b) {
         auto* n = b.node("Split", {"x", b.init_ints("sp", {1, 3})}, "y1");
         n->add_output("y");
         Onnx::attr(n, "axis", int64_t(1));
         return "y";
       },
       [](const Vec& x) { return Vec(x.begin() + L, x.end()); }},
      {"Where",  // a constant mask choosing between x and sigmoid(x)
       [](Onnx& b) {
         b.node("Sigmoid", {"x"}, "s");
         b.node("Where", {b.init_ints("m", {1, 0, 0, 1, 1, 0, 1, 0}), "x", "s"}, "y");
         return "y";
       },
       [](const Vec& x) {
         const int m[] = {1, 0, 0, 1, 1, 0, 1, 0};
         Vec y(x.size());
         for (std::size_t i = 0; i < x.size(); ++i) y[i] = m[i % L] ? x[i] : sigmoid(x[i]);
         return y;
       }},
      {"Expand",  // the mean over channels copied to 4 channels
       [](Onnx& b) {
         Onnx::attr(b.node("ReduceMean", {"x"}, "m"), "axes", std::vector<int64_t>{1});
         b.node("Expand", {"m", b.init_ints("sh", {1, 4, L})}, "y");
         return "y";
       },
       [](const Vec& x) {
         Vec y(4 * L);
         for (int64_t l = 0; l < L; ++l) {
           double m = 0;
           for (int c = 0; c < 4; ++c) m += at(x, c, l) / 4;
           for (int c = 0; c < 4; ++c) y[c * L + l] = m;
         }
         return y;
       }},
  };
  return c;
}

}  // namespace seqlift::test
