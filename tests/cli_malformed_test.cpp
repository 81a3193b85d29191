// The malformed-input catalogue, part 1: broken input files (FASTA, BED, genomes and
// their .fai, references, models, npz) and bad options; each exits with its code and
// message and leaves no output (part 2, outputs: cli_malformed_outputs_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "malformed_cases.hpp"
#include "onnx_builder.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/npy.hpp"
#include "test_util.hpp"

namespace seqlift::malformed {
namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

std::vector<Case> input_cases() {
  const std::string& score = kScore;
  const std::string& gscore = kGenomeScore;
  return {
      {"truncated_gz_fasta", {}, score + "--fasta {T}/trunc.fa.gz", 2, "truncated or corrupt"},
      {"binary_garbage_fasta",
       {{"garbage.fa", std::string("\x89PNG\r\n\x1a\n\x00\x01\x02", 11)}},
       score + "--fasta {T}/garbage.fa",
       2,
       "garbage.fa line 1"},
      {"zero_length_sequence",
       {{"empty_rec.fa", ">a\n>b\nACGT\n"}},
       score + "--fasta {T}/empty_rec.fa",
       2,
       "'a' has no sequence"},
      {"empty_fasta", {{"empty.fa", ""}}, score + "--fasta {T}/empty.fa", 2, "no FASTA records"},
      {"duplicate_names",
       {{"dup.fa", ">a\nACGT\n>a\nACGT\n"}},
       score + "--fasta {T}/dup.fa",
       2,
       "duplicate record name 'a'"},
      {"invalid_base",
       {{"badbase.fa", ">a\nAC#T\n"}},
       score + "--fasta {T}/badbase.fa",
       2,
       "invalid base '#'"},
      {"sequence_length_vs_model",
       {{"short.fa", ">a\nACGTACGT\n"}},
       score + "--fasta {T}/short.fa",
       2,
       "has length 8 but the model reads 200 bp"},
      {"ten_mb_single_line_fasta",
       {{"big.fa", ">big\n" + seq(10000000) + "\n"}},
       score + "--fasta {T}/big.fa",
       2,
       "has length 10000000 but the model reads 200"},
      {"reference_lengths_differ",
       {{"in.fa", kZoo200}, {"refs_len.fa", ">r0\nACGT\n>r1\nACGT\n"}},
       score + "--fasta {T}/in.fa --references {T}/refs_len.fa",
       2,
       "has length 4 but region 'a' has length 200"},
      {"reference_count_wrong",
       {{"in.fa", kZoo200},
        {"refs3.fa", ">r0\n" + seq(200) + "\n>r1\n" + seq(200) + "\n>r2\n" + seq(200) + "\n"}},
       score + "--fasta {T}/in.fa --references {T}/refs3.fa",
       2,
       "3 reference records for 2 input regions"},
      {"reference_invalid_char",
       {{"in.fa", kZoo200}, {"refs_bad.fa", ">r0\n" + seq(199) + "!\n>r1\n" + seq(200) + "\n"}},
       score + "--fasta {T}/in.fa --references {T}/refs_bad.fa",
       2,
       "invalid base '!'"},
      {"missing_references_file",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --references {T}/nope.fa",
       2,
       "no such references file"},
      {"bed_end_before_start",
       {{"r1.bed", "chr1\t1000\t900\n"}},
       gscore + "--regions {T}/r1.bed",
       2,
       "r1.bed line 1: end 900 < start 1000"},
      {"bed_non_numeric",
       {{"r2.bed", "chr1\t10\t20\nchr1\tten\t900\n"}},
       gscore + "--regions {T}/r2.bed",
       2,
       "r2.bed line 2: start is not an integer: 'ten'"},
      {"bed_negative_summit",
       {{"r3.bed", "chr1\t0\t100\tp\t0\t.\t1\t1\t1\t-4\n"}},
       gscore + "--regions {T}/r3.bed",
       2,
       "r3.bed line 1: summit -4 is negative"},
      {"bed_summit_past_end",
       {{"r4.bed", "chr1\t0\t100\tp\t0\t.\t1\t1\t1\t100\n"}},
       gscore + "--regions {T}/r4.bed",
       2,
       "summit 100 is past the region end"},
      {"bed_too_few_columns",
       {{"r5.bed", "chr1\t100\n"}},
       gscore + "--regions {T}/r5.bed",
       2,
       "r5.bed line 1: expected at least 3 columns"},
      {"bed_empty", {{"r6.bed", "# nothing\n"}}, gscore + "--regions {T}/r6.bed", 2, "no regions"},
      {"bed_million_regions_missing_chromosome",
       {},
       gscore + "--regions {T}/million.bed",
       2,
       "million.bed line 1: chromosome 'chrZ' is not in the genome"},
      {"missing_genome",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       "score -m {D}/example_model.onnx --genome {T}/nogenome.fa --regions {T}/ok.bed --npz "
       "{O}/out.npz",
       2,
       "nogenome.fa: no such file"},
      {"gzip_genome_without_index",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       "score -m {D}/example_model.onnx --genome {T}/gz_genome.fa.gz --regions {T}/ok.bed --npz "
       "{O}/out.npz",
       2,
       "cannot build the FASTA index"},
      {"missing_model",
       {{"in.fa", kZoo200}},
       "score -m {T}/none.onnx --fasta {T}/in.fa --npz {O}/out.npz",
       2,
       "none.onnx: cannot open"},
      {"garbage_model",
       {{"in.fa", kZoo200}, {"garbage.onnx", "this is not protobuf at all"}},
       "score -m {T}/garbage.onnx --fasta {T}/in.fa --npz {O}/out.npz",
       2,
       "not a valid ONNX model"},
      {"truncated_model",
       {{"in.fa", kZoo200}},
       "score -m {T}/trunc.onnx --fasta {T}/in.fa --npz {O}/out.npz",
       2,
       "not a valid ONNX model"},
      {"model_with_nan_weights",
       {{"in.fa", kZoo200}},
       "score -m {T}/nan.onnx --fasta {T}/in.fa --npz {O}/out.npz",
       2,
       "holds NaN at element"},
      {"model_unsupported_op",
       {{"in.fa", kZoo200}},
       "score -m {T}/lppool.onnx --fasta {T}/in.fa --npz {O}/out.npz",
       2,
       "(op LpPool) is not supported"},
      {"unwritable_output_directory",
       {{"in.fa", kZoo200}},
       "score -m {M} --fasta {T}/in.fa --npz /nonexistent_dir/out.npz",
       2,
       "cannot open for writing"},
      {"target_out_of_range",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --target 9",
       1,
       "--target 9 is out of range: the model has 2 output elements (0..1)"},
      {"unknown_rule",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --rule fancy",
       1,
       "--rule must be"},
      {"bad_shard",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --shard 2/2",
       1,
       "--shard must be I/N"},
      {"bad_flat_reference",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --references flat:a,b,c,d",
       1,
       "flat:A,C,G,T"},
      {"zero_references",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --n-refs 0",
       1,
       "--n-refs"},
      {"bigwig_without_genome",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --bigwig {O}/out.bw",
       1,
       "--bigwig/--bedgraph need genome input"},
      {"fasta_and_genome",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --genome {D}/example_genome.fa",
       1,
       "cannot be combined"},
      {"seqlets_from_garbage_npz",
       {{"junk.npz", "PK junk junk junk junk junk"}},
       "seqlets --npz {T}/junk.npz -o {O}/s.bed",
       2,
       "junk.npz"},
      {"motifs_bad_meme",
       {{"bad.meme", "MEME version 4\nMOTIF a\nletter-probability matrix: w= 2\n1 0 0 0\n"},
        {"s.bed", ""}},
       "motifs --npz {T}/zoo.npz --seqlets {T}/s.bed --motifs {T}/bad.meme --out-dir {O}/m",
       2,
       "matrix ended after 1 of 2 rows"},
      {"motifs_unknown_region",
       {{"s2.bed", "chr1\t0\t10\tseqlet0\t1.0\t.\t0.01\tnot_a_region\n"}},
       "motifs --npz {T}/zoo.npz --seqlets {T}/s2.bed --motifs "
       "{D}/example_motifs.meme --out-dir {O}/m",
       2,
       "s2.bed line 1: region 'not_a_region' is not in"},
      // ---- .fai indexes that would crash htslib or give wrong bases ----
      {"fai_zero_line_length",
       {{"fz.fa", ">c\nACGTACGTAC\nACGT\n"},
        {"fz.fa.fai", "c\t14\t3\t0\t0\n"},
        {"c.bed", "c\t0\t10\n"}},
       "extract --genome {T}/fz.fa --regions {T}/c.bed -o {O}/x.fa",
       2,
       "fz.fa.fai line 1: line bases 0"},
      {"fai_zero_line_width",
       {{"fw.fa", ">c\nACGTACGTAC\nACGT\n"},
        {"fw.fa.fai", "c\t14\t3\t10\t0\n"},
        {"c.bed", "c\t0\t10\n"}},
       "extract --genome {T}/fw.fa --regions {T}/c.bed -o {O}/x.fa",
       2,
       "line width 0"},
      {"fai_non_numeric",
       {{"fn.fa", ">c\nACGT\n"}, {"fn.fa.fai", "c\tfour\t3\t4\t5\n"}, {"c.bed", "c\t0\t4\n"}},
       "extract --genome {T}/fn.fa --regions {T}/c.bed -o {O}/x.fa",
       2,
       "length is not a non-negative integer"},
      {"fai_negative_offset",
       {{"fo.fa", ">c\nACGT\n"}, {"fo.fa.fai", "c\t4\t-3\t4\t5\n"}, {"c.bed", "c\t0\t4\n"}},
       "extract --genome {T}/fo.fa --regions {T}/c.bed -o {O}/x.fa",
       2,
       "offset is not a non-negative integer"},
      {"fai_fastq_index",
       {{"fq.fa", ">c\nACGT\n"}, {"fq.fa.fai", "c\t4\t3\t4\t5\t10\n"}, {"c.bed", "c\t0\t4\n"}},
       "extract --genome {T}/fq.fa --regions {T}/c.bed -o {O}/x.fa",
       2,
       "FASTQ index"},
      {"fai_duplicate_name",
       {{"fd.fa", ">c\nACGT\n"},
        {"fd.fa.fai", "c\t4\t3\t4\t5\nc\t4\t3\t4\t5\n"},
        {"c.bed", "c\t0\t4\n"}},
       "extract --genome {T}/fd.fa --regions {T}/c.bed -o {O}/x.fa",
       2,
       "duplicate sequence name"},
      {"fai_stale_rewrapped",
       {{"fs.fa", ">c\nACGTACGTAC\nACGT\n"},
        {"fs.fa.fai", "c\t14\t3\t7\t8\n"},
        {"c.bed", "c\t0\t10\n"}},
       "extract --genome {T}/fs.fa --regions {T}/c.bed -o {O}/x.fa",
       2,
       "the index is stale"},
      {"fai_stale_shorter_lines",
       {{"fl.fa", ">c\nACGTA\nCGTAC\nACGT\n"},
        {"fl.fa.fai", "c\t14\t3\t10\t11\n"},
        {"c.bed", "c\t0\t10\n"}},
       "extract --genome {T}/fl.fa --regions {T}/c.bed -o {O}/x.fa",
       2,
       "the index is stale"},
      {"fai_past_end_of_file",
       {{"fp.fa", ">c\nACGT\n"}, {"fp.fa.fai", "c\t1000\t3\t4\t5\n"}, {"c.bed", "c\t0\t4\n"}},
       "extract --genome {T}/fp.fa --regions {T}/c.bed -o {O}/x.fa",
       2,
       "runs past the end of the file"},
      {"fai_names_another_sequence",
       {{"fx.fa", ">c\nACGT\n>d\nACGT\n"},
        {"fx.fa.fai", "d\t4\t3\t4\t5\nc\t4\t11\t4\t5\n"},
        {"c.bed", "c\t0\t4\n"}},
       "extract --genome {T}/fx.fa --regions {T}/c.bed -o {O}/x.fa",
       2,
       "is not preceded by its header '>d'"},
      {"genome_from_stdin",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       "extract --genome - --regions {T}/ok.bed -o {O}/x.fa",
       2,
       "must be a regular file"},
      // ---- regions that lie ----
      {"region_wholly_past_chromosome_end",
       {{"past.bed", "chr1\t500000\t501000\n"}},
       gscore + "--regions {T}/past.bed",
       2,
       "past.bed line 1: region chr1:500000-501000"},
      {"region_starting_at_chromosome_end",
       {{"past2.bed", "chrX\t150000\t151000\n"}},
       gscore + "--regions {T}/past2.bed",
       2,
       "lies wholly past the end of chrX"},
      {"references_of_another_region",
       {{"in.fa", kZoo200},
        {"refs_swapped.fa", ">b_ref0\n" + seq(200) + "\n>a_ref0\n" + seq(200) + "\n"}},
       score + "--fasta {T}/in.fa --references {T}/refs_swapped.fa",
       2,
       "reference record 'b_ref0' is not 'a_ref0'"},
      {"references_out_of_order_within_region",
       {{"in.fa", kZoo200},
        {"refs_k.fa", ">a_ref1\n" + seq(200) + "\n>a_ref0\n" + seq(200) + "\n>b_ref0\n" + seq(200) +
                          "\n>b_ref1\n" + seq(200) + "\n"}},
       score + "--fasta {T}/in.fa --references {T}/refs_k.fa",
       2,
       "is not 'a_ref0'"},
      // ---- numbers that would allocate without bound or saturate ----
      {"width_4294967296",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       gscore + "--regions {T}/ok.bed --width 4294967296",
       1,
       "--width must be"},
      {"extract_width_longer_than_genome",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       "extract --genome {D}/example_genome.fa --regions {T}/ok.bed --width 4294967296 -o {O}/x.fa",
       1,
       "longer than every chromosome"},
      {"width_disagrees_with_model",
       {{"ok.bed", "chr1\t0\t1000\n"}},
       gscore + "--regions {T}/ok.bed --width 500",
       1,
       "--width 500 but"},
      {"length_disagrees_with_model",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --length 500",
       1,
       "--length 500 but"},
      {"length_negative",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --length -5",
       1,
       "--length must be"},
      {"n_refs_2147483648",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --n-refs 2147483648",
       1,
       "--n-refs must be"},
      {"n_refs_beyond_memory",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --n-refs 2147483647 --threads 1",
       1,
       "the machine has"},
      {"seed_negative",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --seed -1",
       1,
       "--seed must be an integer"},
      {"seed_past_uint64",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --seed 18446744073709551616",
       1,
       "--seed must be an integer"},
      {"seed_not_a_number",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --seed 12abc",
       1,
       "--seed must be an integer"},
      {"shuffle_seed_past_uint64",
       {{"in.fa", kZoo200}},
       "shuffle --fasta {T}/in.fa --seed 99999999999999999999 -o {O}/r.fa",
       1,
       "--seed must be an integer"},
      {"shard_count_overflows",
       {{"in.fa", kZoo200}},
       score + "--fasta {T}/in.fa --shard 0/99999999999999999999",
       1,
       "--shard must be I/N"},
      {"symbolic_length_model_without_length",
       {{"in.fa", kZoo200}},
       "score -m {T}/dynamic.onnx --fasta {T}/in.fa --npz {O}/o.npz",
       2,
       "--length N"},
      {"merge_region_past_chromosome_end",
       {},
       "merge --genome {D}/example_genome.fa --bigwig {O}/m.bw {T}/pastend.npz",
       2,
       "lies wholly outside chr1"},
      {"merge_npz_without_coords",
       {},
       "merge --genome {D}/example_genome.fa --bigwig {O}/m.bw {T}/nocoords.npz",
       2,
       "nocoords.npz"},
  };
}

}  // namespace

void Malformed::SetUpTestSuite() {
  const std::string t = test::temp_dir() + "/catalogue";
  ASSERT_EQ(std::system(("mkdir -p " + t).c_str()), 0);
  const std::string plain = t + "/trunc_src.fa";
  std::ofstream(plain) << ">a\n" << seq(40000) << "\n";
  ASSERT_EQ(std::system(("gzip -c " + plain + " | head -c 300 > " + t + "/trunc.fa.gz").c_str()),
            0);
  std::ofstream(t + "/gz_src.fa") << ">c\nACGTACGT\n";
  ASSERT_EQ(std::system(("gzip -c " + t + "/gz_src.fa > " + t + "/gz_genome.fa.gz").c_str()), 0);
  {
    std::ofstream bed(t + "/million.bed");
    for (int i = 0; i < 1000000; ++i) bed << "chrZ\t" << i << "\t" << i + 1000 << "\n";
  }
  const std::string zoo = test::slurp(test::test_data("peer/zoo/model.onnx"));
  std::ofstream(t + "/trunc.onnx", std::ios::binary) << zoo.substr(0, zoo.size() / 3);
  // Issue 19: a copy of the example genome (with its index), a model copy, links, and a
  // model whose input length is symbolic.
  std::ofstream(t + "/cg.fa") << test::slurp(std::string(SEQLIFT_DATA) + "/example_genome.fa");
  { Genome g(t + "/cg.fa"); }
  std::ofstream(t + "/zoo_copy.onnx", std::ios::binary) << zoo;
  std::system(("ln -sf in.fa " + t + "/link_to_in.fa").c_str());
  std::system(("ln -sf no/such/dir/x.npz " + t + "/dangling_link").c_str());
  std::system(("ln -sfn loop_b " + t + "/loop_a && ln -sfn loop_a " + t + "/loop_b").c_str());
  {  // a score-like npz whose window lies past the end of chr1 (400 kb)
    NpzWriter w(t + "/pastend.npz");
    const int proj = w.declare("proj", "<f4", {1, 1, 4, 2});
    const int chrom = w.declare("coords_chrom", "<U4", {1});
    const int start = w.declare("coords_start", "<i8", {1});
    const int end = w.declare("coords_end", "<i8", {1});
    const float v[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    const int64_t s0 = 10000000, e0 = 10000002;
    w.append(proj, v, sizeof v);
    w.append_strings(chrom, {"chr1"});
    w.append(start, &s0, 8);
    w.append(end, &e0, 8);
    w.commit();
  }
  {
    test::OnnxBuilder dyn(200);
    dyn.node("Conv", {"x", dyn.init("w", {1, 4, 3}, std::vector<float>(12, 0.1f))}, "c");
    dyn.node("GlobalAveragePool", {"c"}, "p");
    dyn.node("Flatten", {"p"}, "y");
    dyn.output("y");
    dyn.symbolic_length();
    dyn.save(t + "/dynamic.onnx");
  }
  test::OnnxBuilder nan(200);
  auto* c = nan.node(
      "Conv", {"x", nan.init("w", {1, 4, 3}, {0, 0, 0, 0, std::nanf(""), 0, 0, 0, 0, 0, 0, 0})},
      "c");
  (void)c;
  nan.node("Flatten", {"c"}, "y");
  nan.output("y");
  nan.save(t + "/nan.onnx");
  test::OnnxBuilder lp(200);
  lp.node("LpPool", {"x"}, "y");
  lp.output("y");
  lp.save(t + "/lppool.onnx");
  {  // an npz with a proj array but no coords, for merge
    NpzWriter w(t + "/nocoords.npz");
    const int id = w.declare("proj", "<f4", {1, 1, 4, 2});
    const float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    w.append(id, v, sizeof v);
    w.commit();
  }
  // A genuine score npz for the motifs cases.
  auto r = test::run_cli("score -m " + test::test_data("peer/zoo/model.onnx") + " --fasta " +
                         test::test_data("peer/zoo/x.fa") + " --n-refs 2 --npz " + t + "/zoo.npz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST_P(Malformed, ExitCodeMessageAndNoOutput) {
  const Case& c = GetParam();
  const std::string t = test::temp_dir() + "/catalogue", out = t + "/out_" + c.name;
  ASSERT_EQ(std::system(("mkdir -p " + out).c_str()), 0);
  for (const auto& [name, content] : c.files) {
    std::ofstream(t + "/" + name, std::ios::binary) << content;
  }
  std::string args = c.args;
  args = replace_all(args, "{T}", t);
  args = replace_all(args, "{O}", out);
  args = replace_all(args, "{D}", SEQLIFT_DATA);
  args = replace_all(args, "{M}", test::test_data("peer/zoo/model.onnx"));
  auto r = test::run_cli(args);
  EXPECT_EQ(r.exit_code, c.exit_code) << c.name << ": " << r.err;
  EXPECT_NE(r.err.find(c.fragment), std::string::npos) << c.name << ": " << r.err;
  // One error line (info/warning logs are tagged "[seqlift:...]").
  std::size_t errors = 0;
  for (std::size_t p = r.err.find("seqlift: "); p != std::string::npos;
       p = r.err.find("seqlift: ", p + 1))
    ++errors;
  EXPECT_EQ(errors, 1u) << c.name << ": " << r.err;
  EXPECT_TRUE(dir_empty(out)) << c.name << ": output left behind in " << out;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, Malformed, ::testing::ValuesIn(input_cases()), case_name);

}  // namespace seqlift::malformed
