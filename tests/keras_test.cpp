// Keras HDF5 models (tests/data/keras, made by tests/fixtures/make_keras_fixtures.py
// from a PyTorch interpreter of Keras semantics) and the DeepLIFT authors' own Keras
// 2.1.6 JSON + save_weights model: outputs, DeepLIFT equal to the ONNX twins, errors.
#include <gtest/gtest.h>

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

std::vector<std::vector<float>> read_onehot(const std::string& fa) {
  std::vector<std::vector<float>> x;
  for (auto& r : read_fasta(fa)) x.push_back(one_hot(r.sequence));
  return x;
}

std::string keras(const std::string& f) {
  return test::test_data("keras/" + f);
}
const std::string kBpnetX = "peer/bpnet/x.fa";

struct PredictCase {
  const char* model;
  const char* fasta;
};
void PrintTo(const PredictCase& c, std::ostream* os) {
  *os << c.model;
}
class KerasPredict : public ::testing::TestWithParam<PredictCase> {};

TEST_P(KerasPredict, MatchesTorchInterpreter) {
  const auto& c = GetParam();
  auto model = load_model(keras(std::string(c.model) + ".h5"));
  const NpyArray truth = read_npy(keras(std::string(c.model) + "_y.npy"));
  const auto x = read_onehot(test::test_data(c.fasta));
  ASSERT_EQ(int64_t(truth.shape[1]), model->output_size());
  double worst = 0, scale = 1;
  for (double v : truth.values) scale = std::max(scale, std::fabs(v));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto y = model->predict(x[i].data(), 1);
    for (int64_t j = 0; j < model->output_size(); ++j)
      worst = std::max(worst, std::fabs(y[j] - truth.values[i * truth.shape[1] + j]));
  }
  EXPECT_LE(worst, 1e-5 * scale);
  std::printf("[ metric ] keras %s predict: max|diff| / max(1,|y|) = %.3g\n", c.model,
              worst / scale);
}

INSTANTIATE_TEST_SUITE_P(Models, KerasPredict,
                         ::testing::Values(PredictCase{"bpnet", "peer/bpnet/x.fa"},
                                           PredictCase{"chrombpnet", "peer/bpnet/x.fa"},
                                           PredictCase{"zoo", "keras/zoo_x.fa"}),
                         [](const auto& info) { return std::string(info.param.model); });

TEST(Keras, OutputsCarryTheirLayerNames) {
  auto model = load_model(keras("chrombpnet.h5"));
  ASSERT_EQ(model->outputs().size(), 2u);
  EXPECT_EQ(model->values()[model->outputs()[0]].name, "logits_profile_predictions");
  EXPECT_EQ(model->values()[model->outputs()[1]].name, "logcount_predictions");
  EXPECT_EQ(model->input_length(), 2114);
  bool nested = false;
  for (const auto& n : model->nodes()) nested |= n.name == "model_1/bias_bpnet_1st_conv";
  EXPECT_TRUE(nested) << "nested model layers are named outer/inner";
}

// DeepLIFT on the .h5 equals DeepLIFT on the ONNX export of the same network.
void compare_with_twin(const std::string& name, ExplainOptions o, ExplainOptions o_twin) {
  auto h5 = load_model(keras(name + ".h5"));
  auto onnx = load_model(keras(name + "_twin.onnx"));
  const auto x = read_onehot(test::test_data(kBpnetX));
  const auto refs = read_onehot(test::test_data("peer/bpnet/refs.fa"));
  const int64_t k = int64_t(refs.size() / x.size());
  Explainer a(*h5, o), b(*onnx, o_twin);
  double worst = 0, scale = 0, s2d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::vector<float> r;
    for (int64_t j = 0; j < k; ++j)
      r.insert(r.end(), refs[i * k + j].begin(), refs[i * k + j].end());
    const Explanation ea = a.explain(x[i].data(), r.data(), k);
    const Explanation eb = b.explain(x[i].data(), r.data(), k);
    ASSERT_EQ(ea.hypothetical.size(), eb.hypothetical.size());
    for (std::size_t j = 0; j < ea.hypothetical.size(); ++j) {
      worst = std::max(worst, double(std::fabs(ea.hypothetical[j] - eb.hypothetical[j])));
      scale = std::max(scale, double(std::fabs(eb.hypothetical[j])));
    }
    for (std::size_t j = 0; j < ea.delta.size(); ++j)
      s2d = std::max(s2d, ea.delta_error[j] / std::max(0.01, std::fabs(ea.delta[j])));
  }
  EXPECT_GT(scale, 0);
  EXPECT_LE(worst, 1e-5 * scale) << name;
  EXPECT_LE(s2d, 1e-4) << name;
  std::printf("[ metric ] keras %s vs ONNX twin: hyp max|diff|/max = %.3g, s2d rel %.3g\n",
              name.c_str(), worst / scale, s2d);
}

TEST(Keras, BpnetCountsAndProfileEqualOnnxTwin) {
  ExplainOptions counts;
  counts.targets = {1000};  // log counts (after the 1000 profile logits)
  compare_with_twin("bpnet", counts, counts);
  ExplainOptions profile, profile_twin;
  profile.profile_output = "logits_profile_predictions";  // by Keras layer name
  profile_twin.profile_output = "0";                      // the twin's first output
  compare_with_twin("bpnet", profile, profile_twin);
}

// Rescale only: torch's export puts a Transpose between each Conv and its ReLU, so
// RevealCancel (which needs the linear layer right before) applies to the .h5 alone.
TEST(Keras, ChromBpnetEqualsOnnxTwin) {
  ExplainOptions o;
  o.targets = {1000, 500};  // logsumexp counts; the centre profile logit
  compare_with_twin("chrombpnet", o, o);
}

TEST(Keras, ZooSummationToDeltaForEveryRule) {
  auto model = load_model(keras("zoo.h5"));
  const auto x = read_onehot(keras("zoo_x.fa"));
  for (Rule rule : {Rule::kRescale, Rule::kRevealCancel, Rule::kGenomics}) {
    ExplainOptions o;
    o.rule = rule;
    Explainer ex(*model, o);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const auto& r = x[(i + 1) % x.size()];
      const Explanation e = ex.explain(x[i].data(), r.data(), 1);
      for (std::size_t j = 0; j < e.delta.size(); ++j)  // float32 scale: |f(X)|, |f(R)|
        EXPECT_LE(e.delta_error[j], 1e-5 * std::max({0.01, std::fabs(double(e.explained[j])),
                                                     std::fabs(e.explained[j] - e.delta[j])}))
            << rule_string(rule) << " sequence " << i << " target " << j;
    }
  }
}

// The DeepLIFT paper's model as published: Keras 2.1.6 to_json + save_weights.
// Read from the shared folder (files from other projects are not in the repository).
const std::string kPaperJson = "/keras2_conv1d_record_5_model_PQzyq_modelJson.json";
const std::string kPaperWeights = "/keras2_conv1d_record_5_model_PQzyq_modelWeights.h5";

TEST(KerasPaper, PredictEqualsLogitsAndSigmoid) {
  SEQLIFT_REQUIRE_SHARED(paper, "fixtures/deeplift_paper");
  auto model = load_model(paper + kPaperJson);  // weights found beside it
  const NpyArray logits = read_npy(paper + "/logits.npy");
  const auto x = read_onehot(paper + "/x.fa");
  auto pre = load_model(paper + kPaperJson, 0, paper + kPaperWeights);
  EXPECT_EQ(pre->use_pre_activation_outputs(), 1);
  double worst_logit = 0, worst_sigmoid = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto y = model->predict(x[i].data(), 1);
    const auto l = pre->predict(x[i].data(), 1);
    for (int t = 0; t < 3; ++t) {
      const double truth = logits.values[i * 3 + t];
      worst_logit =
          std::max(worst_logit, std::fabs(l[t] - truth) / std::max(1.0, std::fabs(truth)));
      worst_sigmoid = std::max(worst_sigmoid, std::fabs(y[t] - 1.0 / (1.0 + std::exp(-truth))));
    }
  }
  EXPECT_LE(worst_logit, 1e-5);
  EXPECT_LE(worst_sigmoid, 1e-6);
}

TEST(KerasPaper, CliPredictLogitsAndScoreGenomicsFlat) {
  SEQLIFT_REQUIRE_SHARED(paper, "fixtures/deeplift_paper");
  const std::string dir = test::temp_dir();
  auto r = test::run_cli("predict --logits -m " + paper + kPaperJson + " --weights " +
                         paper + kPaperWeights + " --fasta " +
                         (paper + "/x.fa") + " -o " + dir + "/p.tsv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const NpyArray logits = read_npy(paper + "/logits.npy");
  std::ifstream in(dir + "/p.tsv");
  std::string header, name;
  std::getline(in, header);
  for (int64_t i = 0; i < logits.shape[0]; ++i) {
    ASSERT_TRUE(in >> name);
    for (int t = 0; t < 3; ++t) {
      double v;
      in >> v;
      EXPECT_NEAR(v, logits.values[i * 3 + t], 1e-5 * std::max(1.0, std::fabs(v)));
    }
  }
  // score on the JSON model equals score on the ONNX twin (same bytes in the npz arrays).
  for (const char* m : {"keras", "onnx"}) {
    const std::string model = std::string(m) == "keras"
                                  ? paper + kPaperJson
                                  : (paper + "/paper_logits.onnx");
    r = test::run_cli("score -m " + model + " --fasta " + (paper + "/x.fa") +
                      " --references flat:0.3,0.2,0.2,0.3 --rule genomics --target all --npz " +
                      dir + "/" + m + ".npz");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto a = NpzReader(dir + "/keras.npz").read_all("hyp");
  const auto b = NpzReader(dir + "/onnx.npz").read_all("hyp");
  ASSERT_EQ(a.size(), b.size());
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::fabs(a[i] - b[i]));
    scale = std::max(scale, std::fabs(b[i]));
  }
  EXPECT_LE(worst, 1e-5 * scale);
}

// ---- malformed and unsupported files: each a clear ModelError naming what is wrong ----

std::string paper_json_with(const std::string& paper, const std::string& from,
                            const std::string& to) {
  std::string text = test::slurp(paper + kPaperJson);
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  text.replace(pos, from.size(), to);
  return test::write_file("arch.json", text);
}

struct ErrorCase {
  const char* name;
  const char* from;
  const char* to;
  const char* message;
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << c.name;
}
class KerasErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(KerasErrors, ClearMessage) {
  SEQLIFT_REQUIRE_SHARED(paper, "fixtures/deeplift_paper");
  const auto& c = GetParam();
  const std::string arch = paper_json_with(paper, c.from, c.to);
  try {
    load_model(arch, 0, paper + kPaperWeights);
    FAIL() << "loaded";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, KerasErrors,
    ::testing::Values(
        ErrorCase{"UnsupportedLayer", "\"class_name\": \"AveragePooling1D\"",
                  "\"class_name\": \"LSTM\"", "layer class 'LSTM' is not supported; supported:"},
        ErrorCase{"OtherLambda", "\"class_name\": \"Flatten\"", "\"class_name\": \"Lambda\"",
                  "lambdas that only index their input"},
        ErrorCase{"MissingWeights", "\"name\": \"dense_2\"", "\"name\": \"dense_9\"",
                  "weight 'kernel' not found"},
        ErrorCase{"WrongKernelShape", "\"filters\": 50", "\"filters\": 40",
                  "has shape (11, 4, 50), expected (11, 4, 40)"},
        ErrorCase{"ChannelsFirst", "[null, 200, 4]", "[null, 4, 200]", "is channels-first"},
        ErrorCase{"UnknownActivation", "\"activation\": \"relu\"", "\"activation\": \"mish\"",
                  "activation 'mish' is not supported"},
        ErrorCase{"BadPadding", "\"padding\": \"valid\"", "\"padding\": \"full\"",
                  "padding 'full' is not supported"},
        ErrorCase{"NotJson", "{", "{{", "is not valid JSON"},
        ErrorCase{"NotAModel", "\"class_name\": \"Sequential\"", "\"class_name\": \"Conv1D\"",
                  "not a Keras Functional/Model/Sequential"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(KerasFiles, BrokenFilesAreModelErrors) {
  const std::string good = test::slurp(keras("zoo.h5"));
  const std::string cases[][2] = {
      {"truncated.h5", good.substr(0, good.size() / 2)},
      {"garbage.h5", std::string(4096, '\x5a')},
      {"empty.h5", ""},
  };
  for (const auto& c : cases) {
    const std::string path = test::write_file(c[0], c[1]);
    EXPECT_THROW(load_model(path), ModelError) << c[0];
  }
  EXPECT_THROW(load_model(test::write_file("alone.json", "{}")), UsageError);
  EXPECT_THROW(load_model(test::write_file("m.keras", "PK")), ModelError);
  // A save_weights file given as the model says what to do instead.
  SEQLIFT_REQUIRE_SHARED(paper, "fixtures/deeplift_paper");
  try {
    load_model(paper + kPaperWeights);
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("holds only weights"), std::string::npos) << e.what();
  }
}

TEST(KerasFiles, CliExitCodes) {
  auto r = test::run_cli("inspect -m " + keras("chrombpnet.h5"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("logcount_predictions\tLambda\tReduceLogSumExp"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("model_wo_bias/wo_bias_bpnet_8conv\tConv1D\tConv"), std::string::npos);
  r = test::run_cli("inspect -m " + test::write_file("bad.h5", "not hdf5"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.h5: not an HDF5 file"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace seqlift
