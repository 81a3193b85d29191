// Engine: ONNX import + forward pass against the PyTorch outputs of the peer fixtures,
// fast kernels against reference kernels, inspect totals checked by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/layers/layers.hpp"
#include "engine/onnx_importer.hpp"
#include "onnx_builder.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/inspect.hpp"
#include "seqlift/model.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/predict.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

std::vector<Region> fasta_regions(const std::string& path) {
  std::vector<Region> out;
  for (auto& r : read_fasta(path))
    out.push_back(Region{r.name, r.sequence, std::nullopt, out.size()});
  return out;
}

class PeerPredict : public ::testing::TestWithParam<const char*> {};

TEST_P(PeerPredict, MatchesPyTorchOutputs) {
  const std::string dir = test::test_data(std::string("peer/") + GetParam());
  auto model = load_model(dir + "/model.onnx");
  auto regions = fasta_regions(dir + "/x.fa");
  auto x = encode_batch(regions, model->input_length(), "x.fa");
  auto y = predict_batch(*model, x.data(), int64_t(regions.size()), 2);
  NpyArray expect = read_npy(dir + "/y.npy");
  ASSERT_EQ(expect.shape[0], int64_t(regions.size()));
  ASSERT_EQ(expect.shape[1], model->output_size());
  double worst = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double tol = 1e-5 * std::max(1.0, std::fabs(expect.values[i]));
    worst = std::max(worst, std::fabs(y[i] - expect.values[i]) / tol);
    EXPECT_NEAR(y[i], expect.values[i], tol) << GetParam() << " element " << i;
  }
  RecordProperty("worst_error_over_tolerance", std::to_string(worst));
}

TEST_P(PeerPredict, ReferencesMatchPyTorchOutputs) {
  const std::string dir = test::test_data(std::string("peer/") + GetParam());
  auto model = load_model(dir + "/model.onnx");
  auto regions = fasta_regions(dir + "/refs.fa");
  auto x = encode_batch(regions, model->input_length(), "refs.fa");
  auto y = predict_batch(*model, x.data(), int64_t(regions.size()), 1);
  NpyArray expect = read_npy(dir + "/y_refs.npy");
  ASSERT_EQ(expect.size(), int64_t(y.size()));
  for (std::size_t i = 0; i < y.size(); ++i)
    EXPECT_NEAR(y[i], expect.values[i], 1e-5 * std::max(1.0, std::fabs(expect.values[i]))) << i;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PeerPredict,
                         ::testing::Values("zoo", "zoo_overlap", "basset", "bpnet"));

TEST(Inspect, BassetFlopsByHand) {
  // models.py Basset: conv 4->64 k19 (L 600), pool 3, conv 64->64 k11 (L 200), pool 4,
  // conv 64->64 k7 (L 50), pool 4, dense 64*12 -> 128, dense 128 -> 3.
  auto model = load_model(test::test_data("peer/basset/model.onnx"));
  ModelSummary s = summarize(*model);
  int64_t conv_dense = 2 * 64 * 600 * 4 * 19 + 2 * 64 * 200 * 64 * 11 + 2 * 64 * 50 * 64 * 7 +
                       2 * 768 * 128 + 2 * 128 * 3;
  int64_t counted = 0, params = 0;
  for (const auto& n : s.nodes) {
    if (n.kind == "Conv" || n.kind == "Dense") counted += n.flops;
    params += n.parameters;
  }
  EXPECT_EQ(counted, conv_dense);
  // Parameters: convs (BN folded into their bias) + dense layers.
  EXPECT_EQ(params, (64 * 4 * 19 + 64) + (64 * 64 * 11 + 64) + (64 * 64 * 7 + 64) +
                        (768 * 128 + 128) + (128 * 3 + 3));
  EXPECT_EQ(s.parameters, params);
  EXPECT_EQ(s.receptive_field, 600);
}

TEST(Inspect, BpnetReceptiveFieldCoversInput) {
  auto model = load_model(test::test_data("peer/bpnet/model.onnx"));
  ModelSummary s = summarize(*model);
  EXPECT_EQ(s.receptive_field, 2114);
  int64_t convs = 0;
  for (const auto& n : s.nodes)
    if (n.kind == "Conv") ++convs;
  EXPECT_EQ(convs, 11);  // iconv + 9 dilated + fconv
}

TEST(Registry, HandlersSortedAndFound) {
  EXPECT_NE(find_onnx_parser("Conv"), nullptr);
  EXPECT_NE(find_onnx_parser("Unsqueeze"), nullptr);
  EXPECT_NE(find_onnx_parser("Add"), nullptr);
  EXPECT_EQ(find_onnx_parser("LpPool"), nullptr);
  const std::string list = supported_ops_list();
  EXPECT_NE(list.find("Conv"), std::string::npos);
}

// ---- conv: fast kernel vs reference, every parameter combination printed on failure ----
struct ConvCase {
  int64_t cin, cout, k, stride, dil, pl, pr, groups, len;
};
std::ostream& operator<<(std::ostream& os, const ConvCase& c) {
  return os << "cin=" << c.cin << " cout=" << c.cout << " k=" << c.k << " stride=" << c.stride
            << " dil=" << c.dil << " pad=" << c.pl << "/" << c.pr << " groups=" << c.groups
            << " L=" << c.len;
}

class ConvKernel : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvKernel, FastMatchesReference) {
  const ConvCase c = GetParam();
  ConvParams p;
  p.in_channels = c.cin;
  p.out_channels = c.cout;
  p.kernel = c.k;
  p.stride = c.stride;
  p.dilation = c.dil;
  p.pad_left = c.pl;
  p.pad_right = c.pr;
  p.groups = c.groups;
  p.length_in = c.len;
  std::mt19937 rng(42);
  std::normal_distribution<float> nd;
  p.weight.resize(c.cout * (c.cin / c.groups) * c.k);
  for (auto& w : p.weight) w = nd(rng);
  p.bias.resize(c.cout);
  for (auto& b : p.bias) b = nd(rng);
  const int64_t batch = 3;
  std::vector<float> x(batch * c.cin * c.len);
  for (auto& v : x) v = nd(rng);
  auto layer = make_conv(p);
  const int64_t lo = p.length_out();
  std::vector<float> fast(batch * c.cout * lo), ref(fast.size());
  layer->forward({x.data()}, fast.data(), batch);
  conv1d_reference(p, x.data(), ref.data(), batch);
  for (std::size_t i = 0; i < ref.size(); ++i)
    ASSERT_NEAR(fast[i], ref[i], 1e-4) << c << " at " << i;
  // Transpose: <W x, m> == <x, W^T m> for random m.
  std::vector<float> m(fast.size()), back(x.size(), 0.0f), wx(fast.size());
  for (auto& v : m) v = nd(rng);
  layer->apply(WeightedLinearLayer::Weights::kAll, x.data(), wx.data(), batch);
  layer->apply_transpose(WeightedLinearLayer::Weights::kAll, m.data(), back.data(), batch);
  double lhs = 0, rhs = 0;
  for (std::size_t i = 0; i < m.size(); ++i) lhs += double(wx[i]) * m[i];
  for (std::size_t i = 0; i < x.size(); ++i) rhs += double(x[i]) * back[i];
  EXPECT_NEAR(lhs, rhs, 1e-3 * std::max(1.0, std::fabs(lhs))) << c;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConvKernel,
    ::testing::Values(ConvCase{4, 8, 5, 1, 1, 2, 2, 1, 30}, ConvCase{4, 8, 5, 1, 1, 0, 0, 1, 30},
                      ConvCase{6, 4, 3, 2, 1, 1, 1, 1, 31}, ConvCase{6, 6, 3, 1, 4, 4, 4, 1, 40},
                      ConvCase{6, 6, 3, 3, 2, 0, 5, 2, 41}, ConvCase{8, 4, 7, 1, 1, 3, 3, 4, 20},
                      ConvCase{4, 4, 1, 1, 1, 0, 0, 1, 9}, ConvCase{3, 5, 9, 4, 3, 7, 1, 1, 64},
                      ConvCase{16, 8, 3, 2, 1, 1, 1, 1, 33}, ConvCase{20, 6, 5, 1, 2, 4, 4, 1, 40},
                      ConvCase{16, 4, 3, 1, 1, -2, -3, 1, 30}));

// ---- bad model files ----
TEST(OnnxErrors, MissingFileIsIoError) {
  EXPECT_THROW(load_model(test::temp_dir() + "/nope.onnx"), IoError);
}

TEST(OnnxErrors, GarbageIsModelError) {
  const auto path =
      test::write_file("garbage.onnx", std::string("\x08\x07\xff\xff\xff garbage", 13));
  EXPECT_THROW(load_model(path), ModelError);
  const auto empty = test::write_file("empty.onnx", "");
  EXPECT_THROW(load_model(empty), ModelError);
}

TEST(OnnxErrors, TruncatedModelIsModelError) {
  const std::string bytes = test::slurp(test::test_data("peer/zoo/model.onnx"));
  const auto path = test::write_file("trunc.onnx", bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(load_model(path), ModelError);
}

}  // namespace
}  // namespace seqlift

namespace seqlift {
namespace {

TEST(OnnxErrors, UnsupportedOpNamesNodeAndListsSupported) {
  test::OnnxBuilder b(10);
  auto* n = b.node("LpPool", {"x"}, "y");
  test::OnnxBuilder::attr(n, "kernel_shape", std::vector<int64_t>{2});
  b.output("y");
  const auto path = b.save(test::temp_dir() + "/lppool.onnx");
  try {
    load_model(path);
    FAIL() << "no error";
  } catch (const ModelError& e) {
    const std::string msg = e.what();
    EXPECT_NE(
        msg.find("lppool.onnx: node 'y_node' (op LpPool) is not supported; supported ops: Add"),
        std::string::npos)
        << msg;
  }
}

TEST(OnnxErrors, WrongChannelsAndRank) {
  test::OnnxBuilder b(10, 5);
  b.node("Relu", {"x"}, "y");
  b.output("y");
  try {
    load_model(b.save(test::temp_dir() + "/ch5.onnx"));
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("neither axis has 4 channels"), std::string::npos)
        << e.what();
  }
}

TEST(Onnx, ChannelsLastInputIsTransposed) {
  // Model reads [N, L, 4]; Transpose to [N, 4, L]; ReduceSum over L -> [N, 4].
  test::OnnxBuilder b(6, 4, true);
  auto* t = b.node("Transpose", {"x"}, "t");
  test::OnnxBuilder::attr(t, "perm", std::vector<int64_t>{0, 2, 1});
  auto* r = b.node("ReduceSum", {"t", b.init_ints("axes", {2})}, "y");
  test::OnnxBuilder::attr(r, "keepdims", int64_t(0));
  b.output("y");
  auto model = load_model(b.save(test::temp_dir() + "/nlc.onnx"));
  auto x = one_hot("AACGTT");
  auto y = model->predict(x.data(), 1);
  ASSERT_EQ(y.size(), 4u);
  EXPECT_FLOAT_EQ(y[0], 2);
  EXPECT_FLOAT_EQ(y[1], 1);
  EXPECT_FLOAT_EQ(y[2], 1);
  EXPECT_FLOAT_EQ(y[3], 2);
}

}  // namespace
}  // namespace seqlift
