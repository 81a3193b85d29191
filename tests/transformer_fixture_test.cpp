// Exact DeepLIFT through attention and gated blocks as PyTorch 1.13 exports them, held to
// the float64 truth of ../shared/fixtures/transformer (RULES.md): T1 (conv + 2 pre-norm
// nn.TransformerEncoderLayer, opsets 13 and 17) and T4 (GLU + product of conv branches).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <fstream>

#include "seqlift/deeplift.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/npy.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

struct Case {
  std::vector<std::vector<float>> x, refs;
  int64_t k = 0;
};

Case load_case(const std::string& dir) {
  Case c;
  for (auto& r : read_fasta(dir + "/x.fa")) c.x.push_back(one_hot(r.sequence));
  auto refs = read_fasta(dir + "/refs.fa");
  c.k = static_cast<int64_t>(refs.size() / c.x.size());
  for (std::size_t i = 0; i < c.x.size(); ++i) {
    std::vector<float> block;
    for (int64_t k = 0; k < c.k; ++k) {
      auto oh = one_hot(refs[i * c.k + k].sequence);
      block.insert(block.end(), oh.begin(), oh.end());
    }
    c.refs.push_back(block);
  }
  return c;
}

std::vector<Explanation> explain_all(const std::string& model_path, const Case& c) {
  auto model = load_model(model_path);
  Explainer ex(*model, ExplainOptions{});
  std::vector<Explanation> out;
  for (std::size_t i = 0; i < c.x.size(); ++i)
    out.push_back(ex.explain(c.x[i].data(), c.refs[i].data(), c.k));
  return out;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

// RULES.md acceptance: hyp within 1e-4 of max|truth|, summation-to-delta within 1e-5 of
// S = max |f(X) - f(R)| on every pair (per-pair and on the averaged projection), pred
// within 1e-4 max(1, |y|).
void check_against_truth(const std::string& dir, const std::string& model_file) {
  const Case c = load_case(dir);
  const auto es = explain_all(dir + "/" + model_file, c);
  const NpyArray y = read_npy(dir + "/y.npy"), dy = read_npy(dir + "/delta_y.npy");
  const int64_t n = y.shape[0], T = y.shape[1], K = c.k, n_in = c.x[0].size();
  ASSERT_EQ(static_cast<int64_t>(es.size()), n);
  for (int64_t t = 0; t < T; ++t) {
    const NpyArray truth = read_npy(dir + "/hyp_t" + std::to_string(t) + ".npy");
    double worst = 0, s = 0, s2d = 0, proj = 0, pred = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < K; ++k) s = std::max(s, std::fabs(dy.values[(i * T + t) * K + k]));
    for (int64_t i = 0; i < n; ++i) {
      const Explanation& e = es[i];
      for (int64_t j = 0; j < n_in; ++j)
        worst = std::max(worst,
                         std::fabs(e.hypothetical[t * n_in + j] - truth.values[i * n_in + j]));
      double sum_proj = 0, mean_delta = 0;
      for (int64_t j = 0; j < n_in; ++j) sum_proj += e.projected[t * n_in + j];
      for (int64_t k = 0; k < K; ++k) {
        s2d = std::max(s2d, e.delta_error[t * K + k]);
        mean_delta += dy.values[(i * T + t) * K + k] / double(K);
        EXPECT_NEAR(e.delta[t * K + k], dy.values[(i * T + t) * K + k], 1e-4 * s);
      }
      proj = std::max(proj, std::fabs(sum_proj - mean_delta));
      const double yv = y.values[i * T + t];
      pred = std::max(pred, std::fabs(e.prediction[t] - yv) / std::max(1.0, std::fabs(yv)));
    }
    const double m = max_abs(truth.values);
    EXPECT_LE(worst, 1e-4 * m) << model_file << " target " << t;
    EXPECT_LE(s2d, 1e-5 * s) << model_file << " target " << t;
    EXPECT_LE(proj, 1e-5 * s) << model_file << " target " << t;
    EXPECT_LE(pred, 1e-4) << model_file << " target " << t;
    std::printf(
        "[ metric ] %s/%s target %lld: max|hyp - truth| / max|truth| = %.3g, s2d / S = %.3g, "
        "|sum proj - mean delta| / S = %.3g, pred rel %.3g\n",
        dir.substr(dir.rfind('/') + 1).c_str(), model_file.c_str(), (long long)t, worst / m,
        s2d / s, proj / s, pred);
  }
}

TEST(TransformerFixture, T4GatedBlockMatchesTruth) {
  SEQLIFT_REQUIRE_SHARED(dir, "fixtures/transformer/T4");
  check_against_truth(dir, "model.onnx");
}

TEST(TransformerFixture, T1EncoderOpset13MatchesTruth) {
  SEQLIFT_REQUIRE_SHARED(dir, "fixtures/transformer/T1");
  check_against_truth(dir, "model.onnx");
}

TEST(TransformerFixture, T1EncoderOpset17MatchesTruth) {
  SEQLIFT_REQUIRE_SHARED(dir, "fixtures/transformer/T1");
  check_against_truth(dir, "model_opset17.onnx");
}

}  // namespace
}  // namespace seqlift

namespace seqlift {
namespace {

// Max |a - b| over every target's hypothetical contributions, relative to max |a|.
double relative_gap(const std::vector<Explanation>& a, const std::vector<Explanation>& b) {
  double gap = 0, m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < a[i].hypothetical.size(); ++j) {
      gap = std::max(gap, double(std::fabs(a[i].hypothetical[j] - b[i].hypothetical[j])));
      m = std::max(m, double(std::fabs(a[i].hypothetical[j])));
    }
  return gap / m;
}

onnx::ModelProto read_proto(const std::string& path) {
  onnx::ModelProto p;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(p.ParseFromIstream(&in)) << path;
  return p;
}

std::string write_proto(const onnx::ModelProto& p, const std::string& name) {
  const std::string path = test::temp_dir() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  p.SerializeToOstream(&out);
  return path;
}

// Rewrites every Softmax(axis -1) as Exp / ReduceSum(keepdims) / Div, and breaks the
// GELU pattern with an Identity after Erf so it is imported op by op.
onnx::ModelProto decompose(onnx::ModelProto p) {
  auto* g = p.mutable_graph();
  auto* axes = g->add_initializer();
  axes->set_name("decomposed_axes");
  axes->set_data_type(onnx::TensorProto_DataType_INT64);
  axes->add_dims(1);
  axes->add_int64_data(-1);
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (const auto& n : g->node()) {
    if (n.op_type() == "Softmax") {
      const std::string x = n.input(0), y = n.output(0);
      auto* e = nodes.Add();
      e->set_op_type("Exp");
      e->add_input(x);
      e->add_output(y + "_exp");
      auto* s = nodes.Add();
      s->set_op_type("ReduceSum");
      s->add_input(y + "_exp");
      s->add_input("decomposed_axes");
      s->add_output(y + "_sum");
      auto* d = nodes.Add();
      d->set_op_type("Div");
      d->add_input(y + "_exp");
      d->add_input(y + "_sum");
      d->add_output(y);
    } else if (n.op_type() == "Erf") {
      auto* e = nodes.Add();
      *e = n;
      e->set_output(0, n.output(0) + "_pre");
      auto* id = nodes.Add();
      id->set_op_type("Identity");
      id->add_input(n.output(0) + "_pre");
      id->add_output(n.output(0));
    } else {
      *nodes.Add() = n;
    }
  }
  g->mutable_node()->Swap(&nodes);
  return p;
}

// RULES.md: a fused op and its decomposition give the same contributions (1e-5 of max|hyp|):
// LayerNormalization (opset 17) vs ReduceMean/Sub/Pow/Sqrt/Div (opset 13), Softmax vs
// Exp/ReduceSum/Div, GELU vs Div/Erf/Add/Mul/Mul.
TEST(TransformerFixture, FusedAndDecomposedGraphsAgree) {
  SEQLIFT_REQUIRE_SHARED(dir, "fixtures/transformer/T1");
  const Case c = load_case(dir);
  const auto op13 = explain_all(dir + "/model.onnx", c);
  const auto op17 = explain_all(dir + "/model_opset17.onnx", c);
  const double ln = relative_gap(op13, op17);
  EXPECT_LE(ln, 1e-5);
  const std::string dec = write_proto(decompose(read_proto(dir + "/model.onnx")), "t1_dec.onnx");
  const auto model = load_model(dec);
  int exps = 0, products = 0;
  for (const auto& node : model->nodes()) {
    exps += node.layer->kind() == "Exp";
    products += node.layer->kind() == "Product";
  }
  EXPECT_EQ(exps, 2);  // both softmaxes written out
  EXPECT_GE(products, 2 + 1 + 4);  // softmax divisions, GELU x * phi, layer-norm divisions
  const double sm = relative_gap(op13, explain_all(dec, c));
  EXPECT_LE(sm, 1e-5);
  std::printf("[ metric ] T1 fused vs decomposed: LayerNorm %.3g, Softmax+GELU %.3g of max|hyp|\n",
              ln, sm);
}

}  // namespace
}  // namespace seqlift
