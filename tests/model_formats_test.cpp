// Model layouts of published genomics models (issue 17): Theano-era Keras (0.3, 1.x 'th'),
// keras_genomics RevCompConv1D with bytecode crop Lambdas and extra inputs, outputs of
// any shape addressed by name, extra inputs, PyTorch files, Kipoi folders. Truths come
// from tests/fixtures/make_legacy_fixtures.py (float64 numpy from the frameworks'
// documented semantics) and from direct evaluation.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "onnx_builder.hpp"
#include "seqlift/deeplift.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/extra_inputs.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/inspect.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/predict.hpp"
#include "seqlift/references.hpp"
#include "seqlift/score.hpp"
#include "seqlift/targets.hpp"
#include "test_util.hpp"
#include "writers/track.hpp"

namespace seqlift {
namespace {

std::string legacy(const std::string& f) {
  return test::test_data("legacy/" + f);
}

std::vector<std::vector<float>> onehots(const std::string& fa) {
  std::vector<std::vector<float>> x;
  for (auto& r : read_fasta(fa)) x.push_back(one_hot(r.sequence));
  return x;
}

// max |got - want| / max(1, |want|) over all rows, `extra` rows per sequence.
double predict_error(const Model& m, const std::vector<std::vector<float>>& x, const NpyArray& want,
                     const std::vector<float>& extra = {}) {
  double worst = 0;
  const int64_t t = m.output_size();
  EXPECT_EQ(want.shape[1], t);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto y =
        m.predict(x[i].data(), 1, extra.empty() ? nullptr : extra.data() + i * m.extra_size());
    for (int64_t j = 0; j < t; ++j) {
      const double w = want.values[i * t + j];
      worst = std::max(worst, std::fabs(y[j] - w) / std::max(1.0, std::fabs(w)));
    }
  }
  return worst;
}

// Dinucleotide-shuffled references and the worst summation-to-delta error relative to
// max(1, |delta|) over targets and references.
double worst_s2d(const Explainer& ex, const std::vector<float>& x, const float* extra,
                 int64_t length) {
  ReferenceOptions ro;
  ro.kind = "dinuc";
  ro.count = 5;
  auto refs = make_reference_source(ro);
  Region region;
  region.name = "r";
  region.sequence.resize(length);
  for (int64_t j = 0; j < length; ++j)
    for (int c = 0; c < 4; ++c)
      if (x[c * length + j] > 0) region.sequence[j] = "ACGT"[c];
  std::vector<float> r(5 * 4 * length);
  refs->make(region, r.data());
  const Explanation e = ex.explain(x.data(), r.data(), 5, extra);
  double worst = 0;
  for (std::size_t i = 0; i < e.delta.size(); ++i)
    worst = std::max(worst, e.delta_error[i] / std::max(1.0, std::fabs(e.delta[i])));
  return worst;
}

struct LegacyCase {
  const char* arch;
  const char* weights;  // "" = found beside the architecture
  const char* truth;
};

class TheanoKeras : public ::testing::TestWithParam<LegacyCase> {};

TEST_P(TheanoKeras, PredictLogitsAndSummationToDelta) {
  const auto& c = GetParam();
  const std::string w = *c.weights ? legacy(c.weights) : "";
  auto model = load_model(legacy(c.arch), 0, w);
  const auto x = onehots(legacy("x.fa"));
  EXPECT_LE(predict_error(*model, x, read_npy(legacy(std::string(c.truth) + "_y.npy"))), 1e-5);
  for (Rule rule : {Rule::kRescale, Rule::kGenomics, Rule::kRevealCancel}) {
    ExplainOptions o;
    o.rule = rule;
    Explainer ex(*model, o);
    for (const auto& xi : x) EXPECT_LE(worst_s2d(ex, xi, nullptr, 24), 1e-5);
  }
  auto logits = load_model(legacy(c.arch), 0, w);
  ASSERT_EQ(logits->use_pre_activation_outputs(), 1);
  EXPECT_LE(predict_error(*logits, x, read_npy(legacy(std::string(c.truth) + "_logits.npy"))),
            1e-5);
}

INSTANTIATE_TEST_SUITE_P(Legacy, TheanoKeras,
                         ::testing::Values(LegacyCase{"th03.arch.json", "th03.weights.hd5", "th03"},
                                           LegacyCase{"th03.arch.json", "",
                                                      "th03"},  // .weights.hd5 found
                                           LegacyCase{"th1Json.json", "th1Weights.h5", "th1"},
                                           LegacyCase{"th1Json.json", "", "th1"}),
                         [](const ::testing::TestParamInfo<LegacyCase>& i) {
                           return std::string(i.param.truth) +
                                  (*i.param.weights ? "_weights" : "_found");
                         });

TEST(TheanoKeras, TfOrderingIsRejected) {
  // Guards the flip: a copy of the Keras 0.3 JSON declaring 'tf' ordering is rejected
  // rather than silently read as a cross-correlation.
  std::string arch = test::slurp(legacy("th03.arch.json"));
  const auto at = arch.find("\"th\"");
  ASSERT_NE(at, std::string::npos);
  arch.replace(at, 4, "\"tf\"");
  const auto path = test::write_file("th03_tf.arch.json", arch);
  try {
    load_model(path, 0, legacy("th03.weights.hd5"));
    FAIL() << "loaded a 'tf' Convolution2D";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("dim_ordering 'th'"), std::string::npos) << e.what();
  }
}

std::vector<float> rcbpnet_extra(const Model& m) {
  const NpyArray count = read_npy(legacy("rcbpnet_count.npy"));
  const NpyArray prof = read_npy(legacy("rcbpnet_profile.npy"));
  const int64_t n = count.shape[0], pc = numel(prof.shape) / n;
  EXPECT_EQ(m.extra_size(), 1 + pc);
  std::vector<float> e;
  for (int64_t i = 0; i < n; ++i) {
    e.push_back(static_cast<float>(count.values[i]));
    for (int64_t j = 0; j < pc; ++j) e.push_back(static_cast<float>(prof.values[i * pc + j]));
  }
  return e;
}

TEST(RevCompBpnet, PredictWithExtraInputsMatchesNumpy) {
  auto model = load_model(legacy("rcbpnet.h5"));
  ASSERT_EQ(model->extra_inputs().size(), 2u);
  EXPECT_EQ(model->values()[model->extra_inputs()[0]].name, "control_logcount");
  EXPECT_EQ(model->values()[model->extra_inputs()[1]].shape, (Shape{11, 2}));  // Keras layout
  EXPECT_EQ(model->values()[model->outputs()[1]].shape, (Shape{11, 2}));
  const auto x = onehots(legacy("rc_x.fa"));
  const auto extra = rcbpnet_extra(*model);
  EXPECT_LE(predict_error(*model, x, read_npy(legacy("rcbpnet_y.npy")), extra), 1e-5);
  // predict_batch over several sequences carries each one's extra row.
  std::vector<float> xs;
  for (const auto& xi : x) xs.insert(xs.end(), xi.begin(), xi.end());
  const auto y = predict_batch(*model, xs.data(), 3, 2, extra.data());
  const NpyArray want = read_npy(legacy("rcbpnet_y.npy"));
  for (std::size_t i = 0; i < y.size(); ++i)
    EXPECT_NEAR(y[i], want.values[i], 1e-5 * std::max(1.0, std::fabs(want.values[i])));
  const auto cols = output_columns(*model);
  EXPECT_EQ(cols[0], "logcount.0");
  EXPECT_EQ(cols[2 + 2 * 3 + 1], "profile.3.1");  // position-major, as Keras flattens
}

// Flattened indices of resolved index targets (-1 for a profile target).
std::vector<int64_t> indices(const std::string& spec, const Model& model) {
  std::vector<int64_t> out;
  for (const auto& t : resolve_targets(spec, model)) out.push_back(t.index);
  return out;
}

TEST(RevCompBpnet, TargetsByNameAndSummationToDelta) {
  auto model = load_model(legacy("rcbpnet.h5"));
  EXPECT_EQ(indices("logcount", *model), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(indices("profile.3.1", *model), (std::vector<int64_t>{9}));  // predict's column
  EXPECT_EQ(indices("logcount:1,0", *model), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(indices("profile", *model), (std::vector<int64_t>{-1}));  // profile target
  EXPECT_THROW(indices("profil", *model), UsageError);
  EXPECT_THROW(indices("profile.11.0", *model), UsageError);
  EXPECT_THROW(indices("profile.3", *model), UsageError);
  EXPECT_THROW(indices("24", *model), UsageError);
  const auto x = onehots(legacy("rc_x.fa"));
  const auto extra = rcbpnet_extra(*model);
  for (const char* target : {"logcount", "profile.5.0", "profile:profile"}) {
    ExplainOptions o;
    if (std::string(target).rfind("profile:", 0) == 0)
      o.profile_output = "profile";
    else
      o.targets = indices(target, *model);
    Explainer ex(*model, o);
    for (std::size_t i = 0; i < x.size(); ++i)
      EXPECT_LE(worst_s2d(ex, x[i], extra.data() + i * model->extra_size(), 30), 1e-5) << target;
  }
  // The extra inputs take part in the forward pass (X and references alike): the
  // explained logcount of X equals predict with the same extra row, not with zeros.
  ExplainOptions o;
  o.targets = {0};
  Explainer ex(*model, o);
  const Explanation e = ex.explain(x[0].data(), x[1].data(), 1, extra.data());
  const auto y = model->predict(x[0].data(), 1, extra.data());
  const auto y0 = model->predict(x[0].data(), 1);
  EXPECT_NEAR(e.prediction[0], y[0], 1e-6);
  EXPECT_GT(std::fabs(y[0] - y0[0]), 1e-3);
}

TEST(RevCompBpnet, LambdasDeclaredWhenTheBytecodeIsNotDecoded) {
  // rcbpnet_newpy.h5: the same model, its lambdas marshalled by Python 3.11.
  const std::string path = legacy("rcbpnet_newpy.h5");
  try {
    load_model(path);
    FAIL() << "loaded undecodable lambdas";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("Lambda layers hold Python code"), std::string::npos)
        << e.what();
  }
  const LambdaDeclarations lambdas = parse_lambda_declarations(
      {"crop1=x[:, 2:-2]", "crop2=x[:,4:-4]", "crop3=lambda x: x[:, 4:-4]", "rev_count=x[:, ::-1]",
       "rev_profile=x[:, :, ::-1]"});
  auto model = load_model(path, 0, "", lambdas);
  EXPECT_LE(predict_error(*model, onehots(legacy("rc_x.fa")), read_npy(legacy("rcbpnet_y.npy")),
                          rcbpnet_extra(*model)),
            1e-5);
  EXPECT_THROW(load_model(path, 0, "", {{"crop1", "x[:, 2]"}}), ModelError);
  EXPECT_THROW(load_model(legacy("rcbpnet.h5"), 0, "", {{"nope", "x[:, 1:]"}}), UsageError);
  EXPECT_THROW(parse_lambda_declarations({"crop1"}), UsageError);
}

TEST(ExtraInputs, SpecsAndErrors) {
  auto model = load_model(legacy("rcbpnet.h5"));
  try {
    ExtraInputs none(*model, {});
    FAIL();
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("control_logcount [N, 1]"), std::string::npos) << m;
    EXPECT_NE(m.find("control_profile [N, 11, 2]"), std::string::npos) << m;
  }
  EXPECT_THROW(ExtraInputs(*model, {"control_logcount=zeros", "control_profile=zeros", "x=1"}),
               UsageError);
  EXPECT_THROW(ExtraInputs(*model, {"control_logcount", "control_profile=zeros"}), UsageError);
  EXPECT_THROW(ExtraInputs(*model, {"control_logcount=zeros", "control_profile=abc"}), UsageError);
  EXPECT_THROW(ExtraInputs(*model, {"control_logcount=" + legacy("rcbpnet_profile.npy"),
                                    "control_profile=zeros"}),
               InputError);
  ExtraInputs ok(*model,
                 {"control_logcount=2.5", "control_profile=" + legacy("rcbpnet_profile.npy")});
  ASSERT_EQ(ok.size(), 23);
  Region r;
  r.index = 2;
  std::vector<float> out(23);
  ok.fill(r, out.data());
  EXPECT_EQ(out[0], 2.5f);
  const NpyArray prof = read_npy(legacy("rcbpnet_profile.npy"));
  for (int j = 0; j < 22; ++j) EXPECT_FLOAT_EQ(out[1 + j], float(prof.values[2 * 22 + j]));
  r.index = 3;  // past the array's rows
  EXPECT_THROW(ok.fill(r, out.data()), InputError);
  r.index = 0;
  ExtraInputs bw(*model, {"control_logcount=zeros", "control_profile=zeros"});
  bw.fill(r, out.data());
  for (float v : out) EXPECT_EQ(v, 0.0f);
}

TEST(ExtraInputs, BigWigControlTracksAtRegionAndStrand) {
  // chr1 of 40 bp: plus strand value = position + 1, minus strand = -(101 + position)
  // (stored negated, as some pipelines do: read as absolute values).
  const std::string dir = test::temp_dir();
  for (int strand = 0; strand < 2; ++strand) {
    TrackAssembler t({{"chr1", 40}});
    std::vector<float> v(40);
    for (int i = 0; i < 40; ++i) v[i] = strand == 0 ? float(i + 1) : -float(101 + i);
    t.add("chr1", 0, 40, v.data());
    write_bigwig(dir + (strand == 0 ? "/plus.bw" : "/minus.bw"), t);
  }
  test::OnnxBuilder b(10);
  b.input("ctl", {2, 4});    // strand-major [2, P]
  b.input("ctl_t", {4, 2});  // position-major [P, 2]
  b.input("cnt", {1});
  b.input("cnt2", {2});
  b.init("w", {1, 4, 3}, std::vector<float>(12, 0.5f));
  b.node("Conv", {"x", "w"}, "y");
  b.output("y");
  auto model = load_model(b.save(dir + "/ctl.onnx"));
  ASSERT_EQ(model->extra_inputs().size(), 4u);
  const std::string bw = "bigwig:" + dir + "/plus.bw," + dir + "/minus.bw";
  ExtraInputs ex(*model, {"ctl=" + bw, "ctl_t=" + bw, "cnt=" + bw, "cnt2=" + bw});
  ASSERT_EQ(ex.size(), 8 + 8 + 1 + 2);
  Region r;
  r.name = "w";
  r.window = Window{"chr1", 10, 20, '+', "w"};  // central 4 of 10 bases: 13..16
  std::vector<float> out(19);
  ex.fill(r, out.data());
  for (int p = 0; p < 4; ++p) {
    EXPECT_EQ(out[p], 14 + p);           // ctl[0, p]: plus at 13 + p
    EXPECT_EQ(out[4 + p], 114 + p);      // ctl[1, p]: minus
    EXPECT_EQ(out[8 + 2 * p], 14 + p);   // ctl_t[p, 0]
    EXPECT_EQ(out[9 + 2 * p], 114 + p);  // ctl_t[p, 1]
  }
  EXPECT_FLOAT_EQ(out[16], std::log1p(14 + 15 + 16 + 17 + 114 + 115 + 116 + 117.0));
  EXPECT_FLOAT_EQ(out[17], std::log1p(14 + 15 + 16 + 17.0));
  EXPECT_FLOAT_EQ(out[18], std::log1p(114 + 115 + 116 + 117.0));
  r.window->strand = '-';  // the sequence is reverse-complemented: so are the tracks
  ex.fill(r, out.data());
  for (int p = 0; p < 4; ++p) {
    EXPECT_EQ(out[p], 117 - p);     // + strand of the - view: minus reversed
    EXPECT_EQ(out[4 + p], 17 - p);  // - strand of the - view: plus reversed
  }
  EXPECT_FLOAT_EQ(out[17], std::log1p(114 + 115 + 116 + 117.0));
  Region fasta_only;
  fasta_only.name = "f";
  EXPECT_THROW(ex.fill(fasta_only, out.data()), UsageError);
}

TEST(ExtraInputs, CliPredictAndScore) {
  const std::string m = " --model " + legacy("rcbpnet.h5") + " --fasta " + legacy("rc_x.fa");
  auto r = test::run_cli("predict" + m);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing control_logcount [N, 1], control_profile [N, 11, 2]"),
            std::string::npos)
      << r.err;
  const std::string extra = " --extra-input control_logcount=" + legacy("rcbpnet_count.npy") +
                            " --extra-input control_profile=" + legacy("rcbpnet_profile.npy");
  r = test::run_cli("predict" + m + extra + " --outputs profile,logcount");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("name\tprofile.0.0\tprofile.0.1\t", 0), 0u) << r.out.substr(0, 80);
  EXPECT_NE(r.out.find("\tlogcount.1\n"), std::string::npos);
  r = test::run_cli("predict" + m + extra + " --outputs counts");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("outputs: logcount, profile"), std::string::npos) << r.err;
  const std::string npz = test::temp_dir() + "/rc_score.npz";
  r = test::run_cli("score" + m + extra + " --target logcount,profile.3.1 --n-refs 3 --npz " + npz);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  NpyArray targets;
  for (auto& [name, a] : read_npz(npz))
    if (name == "targets") targets = a;
  EXPECT_EQ(targets.values, (std::vector<double>{0, 1, 9}));
  r = test::run_cli("score" + m + extra + " --target nope --n-refs 3 --npz " + npz);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Outputs: logcount (2 elements"), std::string::npos) << r.err;
}

TEST(OnnxShapes, RankThreeOutputAndExtraInput) {
  // profile [N, 2, 4] = Conv(x) + control; counts [N, 2] = ReduceSum(profile, axis 2).
  test::OnnxBuilder b(6);
  b.input("control", {2, 4});
  std::vector<float> w(2 * 4 * 3);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(float(i)) * 0.7f;
  b.init("w", {2, 4, 3}, w);
  b.node("Conv", {"x", "w"}, "c");
  b.node("Relu", {"c"}, "r");
  b.node("Add", {"r", "control"}, "profile");
  auto* rs = b.node("ReduceSum", {"profile", b.init_ints("axes", {2})}, "counts");
  test::OnnxBuilder::attr(rs, "keepdims", int64_t(0));
  b.output("profile");
  b.output("counts");
  auto model = load_model(b.save(test::temp_dir() + "/rank3.onnx"));
  ASSERT_EQ(model->extra_inputs().size(), 1u);
  EXPECT_EQ(model->values()[model->outputs()[0]].name, "profile");
  EXPECT_EQ(model->values()[model->outputs()[0]].shape, (Shape{2, 4}));
  const auto cols = output_columns(*model);
  ASSERT_EQ(cols.size(), 10u);
  EXPECT_EQ(cols[5], "profile.1.1");
  EXPECT_EQ(cols[9], "counts.1");
  const std::vector<float> x = one_hot("ACGTTG");
  std::vector<float> control(8);
  for (int i = 0; i < 8; ++i) control[i] = 0.25f * i - 1;
  const auto y = model->predict(x.data(), 1, control.data());
  for (int s = 0; s < 2; ++s) {
    double sum = 0;
    for (int p = 0; p < 4; ++p) {
      double acc = 0;
      for (int c = 0; c < 4; ++c)
        for (int k = 0; k < 3; ++k) acc += w[(s * 4 + c) * 3 + k] * x[c * 6 + p + k];
      const double want = std::max(acc, 0.0) + control[s * 4 + p];
      EXPECT_NEAR(y[s * 4 + p], want, 1e-5);
      sum += want;
    }
    EXPECT_NEAR(y[8 + s], sum, 1e-5);
  }
  ExplainOptions o;
  o.profile_output = "profile";
  Explainer ex(*model, o);
  EXPECT_LE(worst_s2d(ex, x, control.data(), 6), 1e-5);
}

TEST(OnnxExport, PaddingChainSoftmaxInsideReduceMax) {
  // PyTorch 1.13 export (tests/fixtures/make_onnx_export_fixtures.py): the asymmetric
  // 'same' pads come from a ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast chain.
  const std::string path = test::test_data("onnx_export/tf_same_softmax.onnx");
  auto model = load_model(path);
  const auto x = onehots(test::test_data("onnx_export/x.fa"));
  EXPECT_LE(predict_error(*model, x, read_npy(test::test_data("onnx_export/y.npy"))), 1e-5);
  for (bool activated : {false, true})
    for (Rule rule : {Rule::kRescale, Rule::kGenomics, Rule::kRevealCancel}) {
      ExplainOptions o;
      o.rule = rule;
      o.explain_activated = activated;  // a final Softmax explained through its rule
      Explainer ex(*model, o);
      EXPECT_EQ(ex.explains_logits(), !activated);
      for (const auto& xi : x) EXPECT_LE(worst_s2d(ex, xi, nullptr, 20), 1e-5);
    }
  auto logits = load_model(path);
  ASSERT_EQ(logits->use_pre_activation_outputs(), 1);
  EXPECT_LE(predict_error(*logits, x, read_npy(test::test_data("onnx_export/logits.npy"))), 1e-5);
  const auto r = test::run_cli(
      "score --model " + path + " --fasta " + test::test_data("onnx_export/x.fa") +
      " --target all --explain-activated --n-refs 3 --npz " + test::temp_dir() + "/act.npz");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(ModelFiles, KipoiFolderFindsPretrainedWeights) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(test::temp_dir()) / "kipoi_model";
  fs::create_directories(dir);
  fs::copy_file(legacy("th03.arch.json"), dir / "model.json", fs::copy_options::overwrite_existing);
  fs::copy_file(legacy("th03.weights.hd5"), dir / "pretrained.hdf5",
                fs::copy_options::overwrite_existing);
  auto model = load_model((dir / "model.json").string());
  EXPECT_LE(predict_error(*model, onehots(legacy("x.fa")), read_npy(legacy("th03_y.npy"))), 1e-5);
  // A weights file with an unusual extension is read as HDF5 by its content.
  fs::copy_file(legacy("rcbpnet.h5"), dir / "rcbpnet.keras2", fs::copy_options::overwrite_existing);
  EXPECT_EQ(load_model((dir / "rcbpnet.keras2").string())->extra_inputs().size(), 2u);
}

TEST(ModelFiles, InspectCountsBatchNormAsStored) {
  // Keras counts gamma, beta, moving mean and variance (4 per channel), not per position.
  SEQLIFT_REQUIRE_SHARED(arch, "real_models/mpra_dragonn_convmodel/model.json");
  auto model = load_model(arch);  // pretrained.hdf5 found beside model.json (Kipoi)
  EXPECT_EQ(summarize(*model).parameters, 339732);
}

}  // namespace
}  // namespace seqlift
