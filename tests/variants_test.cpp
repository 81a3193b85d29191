// `seqlift variants`: allele windows, heads, JSD, and end-to-end runs on the motif world
// (planted motif instances destroyed by deletions and substitutions, background SNVs,
// indels, multi-allelic records, REF mismatches) checked against direct predictions.
#include <gtest/gtest.h>
#include <htslib/synced_bcf_reader.h>
#include <htslib/vcf.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/model.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/variants.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

const std::string kGenome = std::string(SEQLIFT_DATA) + "/example_genome.fa";
const std::string kModel = std::string(SEQLIFT_DATA) + "/example_model.onnx";

using Table = std::vector<std::map<std::string, std::string>>;

Table read_tsv(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> cols;
  Table rows;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, '\t')) f.push_back(x);
    if (cols.empty()) {
      cols = f;
      continue;
    }
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < cols.size() && i < f.size(); ++i) row[cols[i]] = f[i];
    rows.push_back(row);
  }
  return rows;
}

// The window as the test builds it independently: the chromosome string, cut by hand.
std::string window_by_hand(const std::string& chrom_seq, int64_t pos, const std::string& ref,
                           const std::string& allele, int64_t L) {
  std::string s;
  for (int64_t i = pos - L / 2; i < pos; ++i)
    s += i >= 0 && i < int64_t(chrom_seq.size()) ? chrom_seq[i] : 'N';
  s += allele;
  for (int64_t i = pos + int64_t(ref.size()); int64_t(s.size()) < L; ++i)
    s += i < int64_t(chrom_seq.size()) ? chrom_seq[i] : 'N';
  return s.substr(0, L);
}

double predict_one(const Model& m, const std::string& seq, int64_t index) {
  auto x = one_hot(seq);
  return m.predict(x.data(), 1)[index];
}

struct Instance {
  std::string chrom, name;
  int64_t start, end;
};

std::vector<Instance> instances(std::size_t n) {
  std::ifstream in(test::test_data("motif_world/instances.bed"));
  std::vector<Instance> v;
  Instance i;
  std::string score, strand;
  while (v.size() < n && in >> i.chrom >> i.start >> i.end >> i.name >> score >> strand)
    v.push_back(i);
  return v;
}

TEST(VariantWindow, AllelesStartAtTheCentre) {
  Genome g(kGenome);
  const std::string chr = g.fetch("chr1", 0, g.length("chr1"));
  const int64_t L = 1000;
  for (const auto& [pos, ref, alt] : std::vector<std::tuple<int64_t, std::string, std::string>>{
           {5000, chr.substr(5000, 1), "A"},
           {5000, chr.substr(5000, 6), chr.substr(5000, 1)},       // deletion of 5 bp
           {5000, chr.substr(5000, 1), chr.substr(5000, 1) + "GGTTAACC"},  // insertion
           {10, chr.substr(10, 1), "T"},                            // left edge: N padding
           {int64_t(chr.size()) - 3, chr.substr(chr.size() - 3, 3), "C"}}) {
    Variant v{"chr1", pos, "x", ref, alt, 1, 1};
    const std::string r = allele_window(g, v, ref, L), a = allele_window(g, v, alt, L);
    EXPECT_EQ(r, window_by_hand(chr, pos, ref, ref, L)) << pos;
    EXPECT_EQ(a, window_by_hand(chr, pos, ref, alt, L)) << pos << " " << alt;
    EXPECT_EQ(r.size(), std::size_t(L));
    EXPECT_EQ(a.substr(L / 2, std::min<std::size_t>(alt.size(), L / 2)),
              alt.substr(0, std::min<std::size_t>(alt.size(), L / 2)));
    EXPECT_EQ(r.substr(0, L / 2), a.substr(0, L / 2));  // shared left flank
  }
}

TEST(VariantHeads, RuleAndOverrides) {
  auto m = load_model(test::test_data("keras/chrombpnet.h5"));
  auto heads = classify_heads(*m, {}, {});
  ASSERT_EQ(heads.size(), 2u);
  std::map<std::string, Head> by;
  for (const auto& h : heads) by[h.name] = h;
  EXPECT_TRUE(by["logits_profile_predictions"].profile);
  EXPECT_EQ(by["logits_profile_predictions"].size, 1000);
  EXPECT_TRUE(by["logcount_predictions"].counts);
  EXPECT_FALSE(by["logcount_predictions"].profile);
  auto forced = classify_heads(*m, {"logits_profile_predictions"}, {});
  for (const auto& h : forced) EXPECT_FALSE(h.profile) << h.name;
  EXPECT_THROW(classify_heads(*m, {"nope"}, {}), UsageError);
  EXPECT_THROW(classify_heads(*m, {}, {"logcount_predictions"}), UsageError);  // 1 value
  auto onnx = load_model(kModel);
  auto h1 = classify_heads(*onnx, {}, {});
  ASSERT_EQ(h1.size(), 1u);
  EXPECT_FALSE(h1[0].profile);
  EXPECT_FALSE(h1[0].counts);
  EXPECT_EQ(head_label("a/b:c"), "a_b_c");
}

TEST(VariantHeads, JensenShannonDistance) {
  std::vector<float> a{0.1f, 2.0f, -1.0f, 0.5f}, b{1.5f, -0.3f, 0.2f, 0.0f};
  EXPECT_NEAR(jensen_shannon_distance(a.data(), a.data(), 4), 0.0, 1e-7);
  // Independent formula: JS = H(m) - (H(p) + H(q)) / 2, natural log.
  auto softmax = [](const std::vector<float>& l) {
    std::vector<double> p(l.size());
    double s = 0;
    for (std::size_t i = 0; i < l.size(); ++i) s += p[i] = std::exp(double(l[i]));
    for (auto& v : p) v /= s;
    return p;
  };
  auto H = [](const std::vector<double>& p) {
    double h = 0;
    for (double v : p) h -= v > 0 ? v * std::log(v) : 0;
    return h;
  };
  auto p = softmax(a), q = softmax(b);
  std::vector<double> mid(4);
  for (int i = 0; i < 4; ++i) mid[i] = 0.5 * (p[i] + q[i]);
  const double js = H(mid) - 0.5 * (H(p) + H(q));
  EXPECT_NEAR(jensen_shannon_distance(a.data(), b.data(), 4), std::sqrt(js), 1e-9);
  // Disjoint supports: the maximum, sqrt(ln 2).
  std::vector<float> x{60.0f, -60.0f}, y{-60.0f, 60.0f};
  EXPECT_NEAR(jensen_shannon_distance(x.data(), y.data(), 2), std::sqrt(std::log(2.0)), 1e-9);
}

// A VCF on the motif world: each of the first planted instances deleted (anchor base
// kept) and replaced base by base (A<->G, C<->T); background SNVs far from any
// instance; a multi-allelic record; an insertion; a REF mismatch; a symbolic allele.
struct World {
  std::string vcf;
  std::map<std::string, std::string> chroms;
};

World make_world() {
  World w;
  Genome g(kGenome);
  for (const auto& c : g.chromosomes()) w.chroms[c] = g.fetch(c, 0, g.length(c));
  const std::string& c1 = w.chroms["chr1"];
  std::vector<std::tuple<int64_t, std::string, std::string, std::string>> recs;  // pos0, id, ref, alt
  for (const auto& in : instances(8)) {
    if (in.chrom != "chr1") continue;
    const std::string tag = in.name + "_" + std::to_string(in.start);
    recs.emplace_back(in.start - 1, "del_" + tag, c1.substr(in.start - 1, in.end - in.start + 1),
                      c1.substr(in.start - 1, 1));
    std::string ref = c1.substr(in.start, in.end - in.start), alt;
    for (char b : ref) alt += "ACGT"[(base_index(b) + 2) % 4];
    recs.emplace_back(in.start, "mnv_" + tag, ref, alt);
  }
  auto other = [](char b, int k) { return std::string(1, "ACGT"[(base_index(b) + k) % 4]); };
  for (int64_t p : {2000, 2500, 3000, 3500})  // no instance within 5 kb
    recs.emplace_back(p, "bg_" + std::to_string(p), c1.substr(p, 1), other(c1[p], 1));
  recs.emplace_back(4000, "multi", c1.substr(4000, 1),
                    other(c1[4000], 1) + "," + other(c1[4000], 2) + "," + other(c1[4000], 3));
  recs.emplace_back(4200, ".", c1.substr(4200, 1), c1.substr(4200, 1) + "GATTACA");
  recs.emplace_back(4400, "mismatch", other(c1[4400], 1) + c1.substr(4401, 1), "A");
  recs.emplace_back(4600, "symbolic", c1.substr(4600, 1), "<DEL>");
  std::sort(recs.begin(), recs.end());
  std::string text = "##fileformat=VCFv4.2\n";
  for (const auto& [c, s] : w.chroms)
    text += "##contig=<ID=" + c + ",length=" + std::to_string(s.size()) + ">\n";
  text += "##contig=<ID=chrZ,length=1000>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
  for (const auto& [pos, id, ref, alt] : recs)
    text += "chr1\t" + std::to_string(pos + 1) + "\t" + id + "\t" + ref + "\t" + alt + "\t.\t.\t.\n";
  text += "chrZ\t100\tunknown\tA\tC\t.\t.\t.\n";  // not in the genome
  w.vcf = test::write_file("world.vcf", text);
  return w;
}

TEST(CliVariants, MotifWorldEffectsEqualDirectPredictions) {
  const World w = make_world();
  const std::string dir = test::temp_dir();
  const std::string tsv = dir + "/v.tsv", vout = dir + "/v.vcf.gz", npz = dir + "/v.npz";
  auto r = test::run_cli("variants -m " + kModel + " --genome " + kGenome + " --vcf " + w.vcf +
                         " -o " + tsv + " --vcf-out " + vout + " --npz " + npz +
                         " --n-refs 8 --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("does not match the genome"), std::string::npos) << r.err;  // mismatch reported, not fatal
  const Table rows = read_tsv(tsv);
  auto model = load_model(kModel);
  const int64_t L = model->input_length();
  const std::string& c1 = w.chroms.at("chr1");
  double min_motif = 1e9, max_bg = 0;
  int multi = 0, checked = 0;
  for (const auto& row : rows) {
    const std::string id = row.at("id"), st = row.at("status");
    if (id == "mismatch" || id == "symbolic" || id == "unknown") {
      EXPECT_EQ(st, id == "mismatch" ? "ref_mismatch" : id == "symbolic" ? "symbolic" : "unknown_chrom");
      EXPECT_EQ(row.at("logfc_y"), "NA");
      continue;
    }
    ASSERT_EQ(st, "ok") << id;
    const int64_t pos = std::stoll(row.at("pos")) - 1;
    const std::string ref = row.at("ref"), alt = row.at("alt");
    // Every number equals a direct prediction of the edited sequence.
    const double pr = predict_one(*model, window_by_hand(c1, pos, ref, ref, L), 0);
    const double pa = predict_one(*model, window_by_hand(c1, pos, ref, alt, L), 0);
    EXPECT_NEAR(std::stod(row.at("ref_y")), pr, 1e-5 * std::fabs(pr)) << id;
    EXPECT_NEAR(std::stod(row.at("alt_y")), pa, 1e-5 * std::fabs(pa)) << id;
    const double lfc = std::stod(row.at("logfc_y"));
    EXPECT_NEAR(lfc, pa - pr, 1e-5 * std::max(std::fabs(pr), 1e-3)) << id;
    ++checked;
    if (id.rfind("del_", 0) == 0 || id.rfind("mnv_", 0) == 0) {
      EXPECT_LT(lfc, -0.1) << id;  // destroying a planted motif lowers the output
      min_motif = std::min(min_motif, -lfc);
    }
    if (id.rfind("bg_", 0) == 0) max_bg = std::max(max_bg, std::fabs(lfc));
    if (id == "multi") {
      ++multi;
      EXPECT_EQ(row.at("allele"), std::to_string(multi));
    }
    if (alt.size() > 1 && ref.size() == 1) {
      EXPECT_EQ(id, "chr1:4201:" + ref + ":" + alt);
    }
  }
  EXPECT_EQ(multi, 3);
  EXPECT_GE(checked, 20);
  EXPECT_LT(max_bg, 0.1 * min_motif) << max_bg << " vs " << min_motif;

  // Contributions: the difference concentrates on the replaced motif bases.
  std::map<std::string, NpyArray> z;
  for (auto& [k, v] : read_npz(npz)) z[k] = v;
  ASSERT_EQ(z["diff"].shape, (std::vector<int64_t>{int64_t(rows.size()), 4, L}));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(z["ids"].strings[i], rows[i].at("id"));
    EXPECT_EQ(z["index"].values[i], L / 2);
    if (rows[i].at("id").rfind("mnv_", 0) != 0) continue;
    const int64_t len = rows[i].at("ref").size();
    double in = 0, all = 0, sum_ref = 0;
    for (int c = 0; c < 4; ++c)
      for (int64_t j = 0; j < L; ++j) {
        const double d = std::fabs(z["diff"].values[(i * 4 + c) * L + j]);
        all += d;
        if (j >= L / 2 && j < L / 2 + len) in += d;
        if (j >= L / 2 && j < L / 2 + len) sum_ref += z["ref"].values[(i * 4 + c) * L + j];
        EXPECT_FLOAT_EQ(z["diff"].values[(i * 4 + c) * L + j],
                        z["alt"].values[(i * 4 + c) * L + j] - z["ref"].values[(i * 4 + c) * L + j]);
      }
    EXPECT_GT(in / all, 0.8) << rows[i].at("id");
    EXPECT_NEAR(std::stod(rows[i].at("contrib_ref")), sum_ref, 1e-4 * std::fabs(sum_ref) + 1e-6);
    EXPECT_GT(sum_ref, 0.1);  // the motif's own bases carry the effect
  }

  // The annotated VCF reads back with HTSlib, through its index too.
  ASSERT_TRUE(test::file_exists(vout + ".tbi"));
  htsFile* fp = hts_open(vout.c_str(), "r");
  ASSERT_NE(fp, nullptr);
  bcf_hdr_t* hdr = bcf_hdr_read(fp);
  bcf1_t* rec = bcf_init();
  std::map<std::string, std::vector<float>> info;
  int n_rec = 0;
  while (bcf_read(fp, hdr, rec) == 0) {
    bcf_unpack(rec, BCF_UN_ALL);
    float* vals = nullptr;
    int n = 0;
    const int got = bcf_get_info_float(hdr, rec, "logfc_y", &vals, &n);
    ASSERT_EQ(got, rec->n_allele - 1) << rec->d.id;
    info[rec->d.id].assign(vals, vals + got);
    free(vals);
    ++n_rec;
  }
  int lines = 0;
  for (char c : test::slurp(w.vcf)) lines += c == '\n';
  EXPECT_EQ(n_rec, lines - 1 - int(w.chroms.size() + 1) - 1);
  for (const auto& row : rows) {
    const int a = std::stoi(row.at("allele")) - 1;
    const std::string key = row.at("id").rfind("chr1:", 0) == 0 ? "." : row.at("id");
    const float v = info[key][a];
    if (row.at("status") != "ok") {
      EXPECT_TRUE(bcf_float_is_missing(v)) << key;
    } else {
      EXPECT_NEAR(v, std::stod(row.at("logfc_y")), 1e-5) << key;
    }
  }
  bcf_destroy(rec);
  bcf_srs_t* sr = bcf_sr_init();
  bcf_sr_set_opt(sr, BCF_SR_REQUIRE_IDX);
  ASSERT_EQ(bcf_sr_set_regions(sr, "chr1:3990-4010", 0), 0);
  ASSERT_EQ(bcf_sr_add_reader(sr, vout.c_str()), 1) << bcf_sr_strerror(sr->errnum);
  int hits = 0;
  while (bcf_sr_next_line(sr)) ++hits;
  EXPECT_EQ(hits, 1);
  bcf_sr_destroy(sr);
  bcf_hdr_destroy(hdr);
  hts_close(fp);
  if (std::system("bcftools --version > /dev/null 2>&1") == 0) {
    const std::string q = dir + "/q.txt";
    ASSERT_EQ(std::system(("bcftools view -H -i 'INFO/logfc_y < -0.1' " + vout + " | cut -f3 > " + q)
                              .c_str()),
              0);
    const std::string ids = test::slurp(q);
    EXPECT_NE(ids.find("mnv_"), std::string::npos);
    EXPECT_EQ(ids.find("bg_"), std::string::npos);
  }
}

TEST(CliVariants, ChrombpnetProfileJsdAndCounts) {
  Genome g(kGenome);
  const std::string c1 = g.fetch("chr1", 0, g.length("chr1"));
  const auto in = instances(1).front();
  std::string ref = c1.substr(in.start, in.end - in.start), alt;
  for (char b : ref) alt += "ACGT"[(base_index(b) + 2) % 4];
  const std::string vcf = test::write_file(
      "cbp.vcf", "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=400000>\n"
                 "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t" +
                     std::to_string(in.start + 1) + "\tm\t" + ref + "\t" + alt +
                     "\t.\t.\t.\nchr1\t3001\tb\t" + c1.substr(3000, 1) + "\t" +
                     (c1[3000] == 'A' ? "C" : "A") + "\t.\t.\t.\n");
  const std::string model_path = test::test_data("keras/chrombpnet.h5");
  auto model = load_model(model_path);
  const int64_t L = model->input_length(), T = model->output_size();
  for (bool rc : {false, true}) {
    const std::string tsv = test::temp_dir() + "/cbp" + std::to_string(rc) + ".tsv";
    auto r = test::run_cli("variants -m " + model_path + " --genome " + kGenome + " --vcf " +
                           vcf + " -o " + tsv + (rc ? " --revcomp-average" : "") +
                           " --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Table rows = read_tsv(tsv);
    ASSERT_EQ(rows.size(), 2u);
    for (const auto& row : rows) {
      const int64_t pos = std::stoll(row.at("pos")) - 1;
      std::vector<float> y[2];
      const std::string alleles[2] = {row.at("ref"), row.at("alt")};
      for (int k = 0; k < 2; ++k) {
        auto x = one_hot(window_by_hand(c1, pos, alleles[0], alleles[k], L));
        y[k] = model->predict(x.data(), 1);
        if (rc) {  // average with the reverse complement, its profile reversed
          std::vector<float> xr(x.size());
          reverse_complement_4xl(x.data(), L, xr.data());
          auto yr = model->predict(xr.data(), 1);
          for (int64_t i = 0; i < 1000; ++i) y[k][i] = 0.5f * (y[k][i] + yr[999 - i]);
          y[k][1000] = 0.5f * (y[k][1000] + yr[1000]);
        }
        ASSERT_EQ(int64_t(y[k].size()), T);
      }
      const double jsd = jensen_shannon_distance(y[0].data(), y[1].data(), 1000);
      EXPECT_NEAR(std::stod(row.at("jsd_logits_profile_predictions")), jsd, 1e-5 * jsd + 1e-7);
      EXPECT_NEAR(std::stod(row.at("logfc_logcount_predictions")), y[1][1000] - y[0][1000],
                  1e-5 * std::fabs(y[0][1000]));
      EXPECT_NEAR(std::stod(row.at("ref_logcount_predictions")), y[0][1000],
                  1e-5 * std::fabs(y[0][1000]));
    }
  }
}

TEST(CliVariants, UsageAndDataErrors) {
  auto r = test::run_cli("variants -m " + kModel + " --genome " + kGenome);
  EXPECT_EQ(r.exit_code, 1);
  const std::string bad = test::write_file("bad.vcf", "not a vcf\n");
  r = test::run_cli("variants -m " + kModel + " --genome " + kGenome + " --vcf " + bad +
                    " -o " + test::temp_dir() + "/x.tsv");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = test::run_cli("variants -m " + kModel + " --genome " + kGenome + " --vcf " + bad +
                    " --counts-heads nope -o -");
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace seqlift
