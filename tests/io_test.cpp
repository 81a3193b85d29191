// Sequence input: FASTA, genome (faidx), BED/narrowPeak and windows, with malformed inputs.
#include <gtest/gtest.h>

#include <cstdlib>

#include "seqlift/error.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/regions.hpp"
#include "seqlift/sequences.hpp"
#include "test_util.hpp"

namespace seqlift {
namespace {

using test::write_file;

// Expects `fn` to throw exactly E with a message containing every fragment.
template <typename E, typename F>
void expect_error(F&& fn, std::initializer_list<const char*> fragments) {
  try {
    fn();
    ADD_FAILURE() << "no exception thrown";
  } catch (const E& e) {
    for (const char* f : fragments)
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
  }
}

TEST(Fasta, MultiLineLowercaseAndIupac) {
  auto path = write_file("a.fa", ">r1 description\nacgt\nACGTN\n\n>r2\nRYKM\nTT\n");
  FastaReader reader(path);
  FastaRecord rec;
  ASSERT_TRUE(reader.next(rec));
  EXPECT_EQ(rec.name, "r1");
  EXPECT_EQ(rec.sequence, "ACGTACGTN");
  ASSERT_TRUE(reader.next(rec));
  EXPECT_EQ(rec.name, "r2");
  EXPECT_EQ(rec.sequence, "NNNNTT");
  EXPECT_FALSE(reader.next(rec));
  EXPECT_EQ(reader.ambiguous_bases(), 4u);
}

TEST(Fasta, CrlfLineEndings) {
  auto recs = read_fasta(write_file("crlf.fa", ">r1\r\nAC\r\nGT\r\n>r2\r\nNN\r\n"));
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].sequence, "ACGT");
  EXPECT_EQ(recs[1].sequence, "NN");
}

TEST(Fasta, GzipAndBgzip) {
  auto plain = write_file("z.fa", ">r1\nACGTACGT\n>r2\nGGCC\n");
  ASSERT_EQ(std::system(("gzip -c " + plain + " > " + plain + ".gz").c_str()), 0);
  ASSERT_EQ(std::system(("bgzip -c " + plain + " > " + plain + ".bgz").c_str()), 0);
  for (auto p : {plain + ".gz", plain + ".bgz"}) {
    auto recs = read_fasta(p);
    ASSERT_EQ(recs.size(), 2u) << p;
    EXPECT_EQ(recs[1].sequence, "GGCC");
  }
}

TEST(Fasta, TruncatedGzipIsParseError) {
  std::string seq;
  uint32_t state = 7;
  for (int i = 0; i < 20000; ++i) seq += "ACGT"[(state = state * 1103515245u + 12345u) >> 30];
  auto plain = write_file("t.fa", ">r1\n" + seq + "\n>r2\nACGT\n");
  ASSERT_EQ(std::system(("gzip -c " + plain + " | head -c 200 > " + plain + ".gz").c_str()), 0);
  expect_error<ParseError>([&] { read_fasta(plain + ".gz"); }, {"t.fa.gz", "truncated or corrupt"});
}

TEST(Fasta, EmptyRecordNamesRecordAndLine) {
  auto path = write_file("e.fa", ">r1\nACGT\n>r2\n>r3\nAC\n");
  expect_error<ParseError>([&] { read_fasta(path); }, {"e.fa line 3", "'r2' has no sequence"});
}

TEST(Fasta, TruncatedFinalRecord) {
  auto path = write_file("tr.fa", ">r1\nACGT\n>r2");
  expect_error<ParseError>([&] { read_fasta(path); }, {"line 3", "'r2' has no sequence"});
}

TEST(Fasta, DuplicateName) {
  auto path = write_file("d.fa", ">r1\nACGT\n>r1\nAC\n");
  expect_error<ParseError>([&] { read_fasta(path); }, {"line 3", "duplicate record name 'r1'"});
}

TEST(Fasta, InvalidCharacter) {
  auto path = write_file("bad.fa", ">r1\nACGT\nAC-T\n");
  expect_error<ParseError>([&] { read_fasta(path); }, {"bad.fa line 3", "invalid base '-'"});
}

TEST(Fasta, TextBeforeHeader) {
  auto path = write_file("nohdr.fa", "ACGT\n>r1\nAC\n");
  expect_error<ParseError>([&] { read_fasta(path); }, {"line 1", "expected a '>' header"});
}

TEST(Fasta, EmptyFileAndMissingFile) {
  auto path = write_file("empty.fa", "");
  expect_error<ParseError>([&] { read_fasta(path); }, {"empty.fa", "no FASTA records"});
  expect_error<IoError>([&] { read_fasta(test::temp_dir() + "/missing.fa"); },
                        {"missing.fa", "cannot open"});
}

// ---- genome + regions ----
std::string genome_path() {
  static std::string p =
      write_file("genome.fa", ">chr1\nAAAACCCCGGGGTTTTACGT\n>chr2\nacgtacgtNN\n");
  return p;
}

TEST(Genome, FetchBuildsIndexAndPads) {
  Genome g(genome_path());
  EXPECT_TRUE(test::file_exists(genome_path() + ".fai"));
  EXPECT_EQ(g.length("chr1"), 20);
  EXPECT_EQ(g.fetch("chr1", 2, 6), "AACC");
  EXPECT_EQ(g.fetch("chr2", 0, 4), "ACGT");  // upper-cased
  EXPECT_EQ(g.fetch("chr1", -2, 2), "NNAA");
  EXPECT_EQ(g.fetch("chr1", 18, 22), "GTNN");
  EXPECT_THROW(g.length("chrZ"), InputError);
}

TEST(Genome, UnwritableDirectoryWithoutIndex) {
  const std::string dir = test::temp_dir() + "/ro";
  ASSERT_EQ(std::system(("mkdir -p " + dir + " && printf '>c\\nACGT\\n' > " + dir +
                         "/g.fa && chmod 555 " + dir)
                            .c_str()),
            0);
  if (geteuid() == 0) GTEST_SKIP() << "root can write anywhere";
  expect_error<IoError>([&] { Genome g(dir + "/g.fa"); }, {"not writable", "samtools faidx"});
}

TEST(Genome, PlainGzipGenomeCannotBeIndexed) {
  const auto plain = write_file("gz_genome.fa", ">c\nACGTACGT\n");
  ASSERT_EQ(std::system(("gzip -c " + plain + " > " + plain + ".gz").c_str()), 0);
  expect_error<IoError>([&] { Genome g(plain + ".gz"); },
                        {"gz_genome.fa.gz", "cannot build the FASTA index", "bgzip"});
}

std::vector<BedRecord> read_bed(const std::string& path) {
  BedReader r(path);
  std::vector<BedRecord> out;
  BedRecord rec;
  while (r.next(rec)) out.push_back(rec);
  return out;
}

TEST(Bed, Bed3Bed6NarrowPeakAndHeaders) {
  auto path = write_file("r.bed",
                         "track name=x\n#comment\nchr1\t2\t6\n\nchr1\t4\t10\tpeakA\t0\t-\r\n"
                         "chr2\t0\t8\tnp\t0\t.\t1\t2\t3\t5\n");
  auto recs = read_bed(path);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].line, 3);
  EXPECT_EQ(recs[0].name, "");
  EXPECT_EQ(recs[1].strand, '-');
  EXPECT_EQ(recs[1].name, "peakA");
  EXPECT_EQ(recs[2].summit, 5);
}

struct BadBed {
  const char* content;
  const char* fragment;
};
class BedErrors : public ::testing::TestWithParam<BadBed> {};
TEST_P(BedErrors, ParseErrorNamesLine) {
  auto path = write_file("bad.bed", std::string("chr1\t0\t5\n") + GetParam().content);
  expect_error<ParseError>([&] { read_bed(path); }, {"bad.bed line 2", GetParam().fragment});
}
INSTANTIATE_TEST_SUITE_P(
    Table, BedErrors,
    ::testing::Values(BadBed{"chr1\t1000\t900\n", "end 900 < start 1000"},
                      BadBed{"chr1\tabc\t900\n", "start is not an integer: 'abc'"},
                      BadBed{"chr1\t10\t9x\n", "end is not an integer: '9x'"},
                      BadBed{"chr1\t10\n", "at least 3 columns"},
                      BadBed{"chr1\t-5\t10\n", "start -5 is negative"},
                      BadBed{"chr1\t0\t10\tn\t0\t+\t1\t2\t3\t-7\n", "summit -7 is negative"},
                      BadBed{"chr1\t0\t10\tn\t0\t+\t1\t2\t3\t10\n",
                             "summit 10 is past the region end"},
                      BadBed{"chr1\t0\t10\tn\t0\tx\n", "strand must be"}));

TEST(Windows, CentredOnSummitOrMidpointAndPadded) {
  Genome g(genome_path());
  BedRecord r;
  r.chrom = "chr1";
  r.start = 4;
  r.end = 10;
  r.line = 7;
  WindowOptions o;
  o.width = 4;
  auto w = make_window(r, g, o, "x.bed");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->start, 5);  // midpoint 7
  EXPECT_EQ(w->end, 9);
  EXPECT_EQ(w->name, "chr1:5-9");
  r.summit = 0;
  w = make_window(r, g, o, "x.bed");
  EXPECT_EQ(w->start, 2);
  r.start = 0;
  r.end = 2;
  r.summit = -1;
  w = make_window(r, g, o, "x.bed");  // centre 1 -> [-1, 3): padded
  ASSERT_TRUE(w);
  EXPECT_EQ(window_sequence(*w, g), "NAAA");
  o.edge = EdgeMode::kSkip;
  EXPECT_FALSE(make_window(r, g, o, "x.bed"));
}

TEST(Windows, MinusStrandIsReverseComplement) {
  Genome g(genome_path());
  BedRecord r;
  r.chrom = "chr1";
  r.start = 0;
  r.end = 6;
  r.strand = '-';
  r.name = "m";
  auto w = make_window(r, g, {}, "x.bed");
  EXPECT_EQ(window_sequence(*w, g), "GGTTTT");
}

TEST(Windows, MissingChromosomeNamesLine) {
  Genome g(genome_path());
  BedRecord r;
  r.chrom = "chrUn";
  r.start = 0;
  r.end = 6;
  r.line = 17;
  expect_error<ParseError>([&] { make_window(r, g, {}, "peaks.bed"); },
                           {"peaks.bed line 17", "'chrUn'"});
}

TEST(Sequences, FromBedWithWidth) {
  auto bed = write_file("s.bed", "chr1\t0\t8\ta\nchr1\t8\t12\tb\t0\t-\n");
  SequenceSourceOptions o;
  o.genome = genome_path();
  o.regions = bed;
  o.window.width = 4;
  SequenceSource src(o);
  Region r;
  ASSERT_TRUE(src.next(r));
  EXPECT_EQ(r.name, "a");
  EXPECT_EQ(r.sequence, "AACC");
  ASSERT_TRUE(src.next(r));
  EXPECT_EQ(r.sequence, "CCCC");  // GGGG reverse-complemented
  EXPECT_FALSE(src.next(r));
}

TEST(Sequences, EmptyBedIsError) {
  SequenceSourceOptions o;
  o.genome = genome_path();
  o.regions = write_file("empty.bed", "");
  SequenceSource src(o);
  Region r;
  expect_error<ParseError>([&] { src.next(r); }, {"empty.bed", "no regions"});
}

}  // namespace
}  // namespace seqlift
