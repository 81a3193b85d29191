// The published models of ../shared/real_models (see its README), run as the acceptance
// check runs them: `predict` (and `predict --logits` for sigmoid-ended models) must equal
// the independently computed expected_pred.npy / expected_logits.npy to
// 1e-4 * max(1, |want|) for every column of every head, and `score --references dinuc
// --n-refs 4 --target T --npz` must give summation-to-delta within 1e-4 * max(1, |pred|)
// on every (sequence, target, reference). Extra inputs are held at zero
// (--extra-input NAME=zeros), the authors' own convention.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "seqlift/deeplift.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/targets.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

using Json = nlohmann::json;

std::string quote(const std::string& s) {
  return "'" + s + "'";
}

// "name\tv0\tv1...\n" rows -> values (header checked for `columns` names).
std::vector<std::vector<double>> parse_tsv(const std::string& text, std::vector<std::string>& hdr) {
  std::istringstream in(text);
  std::string line;
  std::vector<std::vector<double>> rows;
  bool first = true;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string cell;
    std::vector<std::string> cells;
    while (std::getline(f, cell, '\t')) cells.push_back(cell);
    if (first) {
      hdr.assign(cells.begin() + 1, cells.end());
      first = false;
      continue;
    }
    std::vector<double> r;
    for (std::size_t i = 1; i < cells.size(); ++i) r.push_back(std::stod(cells[i]));
    rows.push_back(r);
  }
  return rows;
}

double max_rel_error(const std::vector<std::vector<double>>& got, const NpyArray& want) {
  EXPECT_EQ(want.shape.size(), 2u);
  EXPECT_EQ(static_cast<int64_t>(got.size()), want.shape[0]);
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(static_cast<int64_t>(got[i].size()), want.shape[1]) << "row " << i;
    if (static_cast<int64_t>(got[i].size()) != want.shape[1]) return INFINITY;
    for (std::size_t j = 0; j < got[i].size(); ++j) {
      const double w = want.values[i * want.shape[1] + j];
      worst = std::max(worst, std::fabs(got[i][j] - w) / std::max(1.0, std::fabs(w)));
    }
  }
  return worst;
}

class RealModel : public ::testing::TestWithParam<const char*> {};

TEST_P(RealModel, PredictAndScoreMeetTheBars) {
  const std::string folder = std::string("real_models/") + GetParam();
  SEQLIFT_REQUIRE_SHARED(dir, folder + "/meta.json");
  const std::string root = dir.substr(0, dir.size() - 10);  // strip "/meta.json"
  const Json meta = Json::parse(test::slurp(dir));
  std::string args;
  const Json& pa = meta["seqlift"]["predict_args"];
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const std::string a = pa[i].get<std::string>();
    const bool path = i > 0 && (pa[i - 1] == "--model" || pa[i - 1] == "--weights");
    args += " " + quote(path ? root + "/" + a : a);
  }
  for (const auto& e : meta["extra_inputs"]) {
    const std::string spec = e["name"].get<std::string>() + "=zeros";
    if (args.find(spec) == std::string::npos) args += " --extra-input " + spec;
  }
  const std::string fasta = " --fasta " + quote(root + "/x.fa") + " --threads 2";

  auto r = test::run_cli("predict" + args + fasta);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> header;
  const auto pred = parse_tsv(r.out, header);
  const double pred_err = max_rel_error(pred, read_npy(root + "/expected_pred.npy"));
  EXPECT_LE(pred_err, 1e-4);
  // Columns are named after the heads when any head is not [N, T].
  int64_t total = 0;
  bool flat = true;
  for (const auto& o : meta["outputs"]) {
    flat = flat && o["shape"].size() == 1;
    total += o["columns"][1].get<int64_t>() - o["columns"][0].get<int64_t>();
  }
  ASSERT_EQ(static_cast<int64_t>(header.size()), total);
  if (!flat)
    for (const auto& o : meta["outputs"]) {
      const int64_t c0 = o["columns"][0].get<int64_t>();
      EXPECT_EQ(header[c0].rfind(o["name"].get<std::string>() + ".", 0), 0u) << header[c0];
    }
  double logit_err = 0;
  if (!meta["expected_logits"].is_null()) {
    r = test::run_cli("predict --logits" + args + fasta);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    logit_err = max_rel_error(parse_tsv(r.out, header),
                              read_npy(root + "/" + meta["expected_logits"].get<std::string>()));
    EXPECT_LE(logit_err, 1e-4);
  }

  const std::string npz =
      test::temp_dir() + "/real_" + std::to_string(std::hash<std::string>()(folder)) + ".npz";
  r = test::run_cli("score" + args + fasta + " --references dinuc --n-refs 4 --target " +
                    meta["seqlift"]["score_target"].get<std::string>() + " --npz " + npz);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  NpyArray delta, p;
  for (auto& [name, a] : read_npz(npz)) {
    if (name == "delta") delta = a;
    if (name == "pred") p = a;
  }
  ASSERT_EQ(delta.shape.size(), 3u);
  ASSERT_EQ(delta.shape[0], 4);
  ASSERT_EQ(delta.shape[2], 4);
  const int64_t T = delta.shape[1], K = delta.shape[2];
  double s2d = 0;
  for (int64_t n = 0; n < 4; ++n)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t k = 0; k < K; ++k)
        s2d = std::max(
            s2d, delta.values[(n * T + t) * K + k] / std::max(1.0, std::fabs(p.values[n * T + t])));
  EXPECT_LE(s2d, 1e-4);
  std::printf("[ real model ] %s: predict max rel %.1e, logits %.1e, worst s2d %.1e\n", GetParam(),
              pred_err, logit_err, s2d);
}

// bpnet-lite's BPNet from its native ONNX export (rank-3 profile head, no flattening):
// DeepLIFT-SHAP of the counts head and of the profile target equal tangermeme's
// deep_lift_shap on the same references (float64 truth from
// tests/fixtures/tangermeme_bpnet_truth.py).
TEST(BpnetLiteTangermeme, CountsAndProfileEqualDeepLiftShap) {
  SEQLIFT_REQUIRE_SHARED(onnx_path, "real_models/bpnetlite_bpnet/bpnet.onnx");
  SEQLIFT_REQUIRE_SHARED(fasta, "real_models/bpnetlite_bpnet/x.fa");
  auto model = load_model(onnx_path);
  const std::string data = test::test_data("tangermeme_bpnet/");
  const auto refs = read_fasta(data + "refs.fa");
  const auto seqs = read_fasta(fasta);
  ASSERT_EQ(refs.size(), 4 * seqs.size());
  for (const char* target : {"counts", "profile"}) {
    ExplainOptions o;
    if (std::string(target) == "profile")
      o.profile_output = "profile";
    else
      o.targets = {resolve_targets("counts", *model).at(0).index};
    Explainer ex(*model, o);
    const NpyArray truth = read_npy(data + target + "_hyp.npy");
    const int64_t n_in = 4 * 2114;
    double worst = 0, scale = 0;
    for (double v : truth.values) scale = std::max(scale, std::fabs(v));
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      const auto x = one_hot(seqs[i].sequence);
      std::vector<float> r;
      for (int k = 0; k < 4; ++k) {
        const auto rk = one_hot(refs[4 * i + k].sequence);
        r.insert(r.end(), rk.begin(), rk.end());
      }
      const Explanation e = ex.explain(x.data(), r.data(), 4);
      ASSERT_EQ(static_cast<int64_t>(e.hypothetical.size()), n_in);
      for (int64_t j = 0; j < n_in; ++j)
        worst = std::max(worst, std::fabs(e.hypothetical[j] - truth.values[i * n_in + j]));
    }
    EXPECT_LE(worst, 1e-5 * scale) << target;
    std::printf("[ metric ] bpnet-lite %s vs tangermeme: max|diff| / max|truth| = %.2e\n", target,
                worst / scale);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shared, RealModel,
    ::testing::Values("mpra_dragonn_convmodel", "bpnetlite_bpnet", "bpnetlite_rbpnet",
                      "dragonn/one_filter_dragonn", "dragonn/multi_filter_dragonn",
                      "dragonn/multi_layer_dragonn", "dragonn/regularized_multi_layer_dragonn",
                      "dragonn/in_vivo_ctcf", "dragonn/in_vivo_six5", "dragonn/in_vivo_znf143",
                      "tfmodisco_tal_gata_keras1", "pho4_bpnet/reb1_chipexo",
                      "pho4_bpnet/a5_tseries_model_2hr", "pho4_bpnet/a5_tseries_model_2hr_big",
                      "pho4_bpnet/big_cbf1_pbexo_model", "xpresso_human"),
    [](const ::testing::TestParamInfo<const char*>& info) {
      std::string n = info.param;
      std::replace(n.begin(), n.end(), '/', '_');
      return n;
    });

}  // namespace
}  // namespace seqlift
