// Issue 19 unit tests: the output transaction and cleanup table, .fai validation,
// regions past a chromosome, NAME_refK references, option bounds.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "io/fai_check.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/output.hpp"
#include "seqlift/references.hpp"
#include "seqlift/regions.hpp"
#include "seqlift/score.hpp"
#include "test_util.hpp"
#include "util/cleanup.hpp"

namespace seqlift {
namespace {

bool exists(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0;
}

std::string dir(const std::string& name) {
  const std::string d = test::temp_dir() + "/" + name;
  EXPECT_EQ(std::system(("rm -rf " + d + " && mkdir -p " + d).c_str()), 0);
  return d;
}

void write(const std::string& path, const std::string& text) {
  OutputFile f(path);
  std::fputs(text.c_str(), f.get());
  f.commit();
}

TEST(OutputTransaction, OutputsAppearOnlyAtCommit) {
  const std::string d = dir("tx_commit");
  {
    OutputTransaction tx;
    write(d + "/a.txt", "a");
    write(d + "/b.txt", "b");
    EXPECT_FALSE(exists(d + "/a.txt"));
    EXPECT_FALSE(exists(d + "/b.txt"));
    tx.commit();
  }
  EXPECT_EQ(test::slurp(d + "/a.txt"), "a");
  EXPECT_EQ(test::slurp(d + "/b.txt"), "b");
}

TEST(OutputTransaction, FailureLeavesNothingAndOldFilesUntouched) {
  const std::string d = dir("tx_fail");
  std::ofstream(d + "/a.txt") << "old";
  try {
    OutputTransaction tx;
    write(d + "/a.txt", "new");
    write(d + "/b.txt", "b");
    throw IoError("later output failed");
  } catch (const IoError&) {
  }
  EXPECT_EQ(test::slurp(d + "/a.txt"), "old");
  EXPECT_FALSE(exists(d + "/b.txt"));
  EXPECT_NE(std::system(("ls " + d + " | grep -q tmp").c_str()), 0);  // no temporary left
}

TEST(OutputTransaction, NestedJoinsTheOuter) {
  const std::string d = dir("tx_nested");
  {
    OutputTransaction outer;
    {
      OutputTransaction inner;
      write(d + "/a.txt", "a");
      inner.commit();
    }
    EXPECT_FALSE(exists(d + "/a.txt"));
    outer.commit();
  }
  EXPECT_TRUE(exists(d + "/a.txt"));
}

TEST(OutputTransaction, OutputEqualToInputOrAnotherOutputIsAUsageError) {
  const std::string d = dir("tx_conflict");
  std::ofstream(d + "/in.txt") << "input";
  ASSERT_EQ(std::system(("ln -s in.txt " + d + "/link.txt").c_str()), 0);
  OutputTransaction tx;
  note_input(d + "/in.txt");
  EXPECT_THROW(OutputFile(d + "/in.txt"), UsageError);
  EXPECT_THROW(OutputFile(d + "/./in.txt"), UsageError);
  EXPECT_THROW(OutputFile(d + "/link.txt"), UsageError);
  EXPECT_THROW(claim_outputs({d + "/x", d + "/../tx_conflict/x"}), UsageError);
  OutputFile a(d + "/y");
  EXPECT_THROW(OutputFile(d + "/y"), UsageError);
  // Character devices never conflict: /dev/null may take several outputs.
  OutputFile n1("/dev/null"), n2("/dev/null");
  EXPECT_EQ(test::slurp(d + "/in.txt"), "input");
}

TEST(OutputTransaction, OutsideATransactionOutputsCommitImmediately) {
  const std::string d = dir("tx_none");
  write(d + "/a.txt", "a");
  EXPECT_EQ(test::slurp(d + "/a.txt"), "a");
}

// A child registers more temporaries than the old fixed table held and is killed.
TEST(CleanupTable, MoreThan256TemporariesAreAllRemovedOnSignal) {
  const std::string d = dir("many_tmps");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    install_signal_cleanup();
    for (int i = 0; i < 600; ++i) {
      const std::string p = d + "/t" + std::to_string(i);
      std::ofstream(p) << i;
      register_temp_file(p);
    }
    raise(SIGTERM);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  for (int i = 0; i < 600; ++i) EXPECT_FALSE(exists(d + "/t" + std::to_string(i))) << i;
}

// During the commit phase a signal waits until every output is in place.
TEST(CleanupTable, SignalDuringCommitIsDeferred) {
  const std::string d = dir("hold");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    install_signal_cleanup();
    begin_signal_hold();
    raise(SIGUSR1);
    std::ofstream(d + "/still_alive") << 1;
    end_signal_hold();  // re-raises: the process dies here
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGUSR1);
  EXPECT_TRUE(exists(d + "/still_alive"));
}

TEST(FaiCheck, HtslibIndexesOfUnusualLayoutsPass) {
  const std::string d = dir("fai_ok");
  // CRLF, descriptions, an empty record, no final newline, one-line sequences.
  std::ofstream(d + "/a.fa") << ">a desc\r\nACGTACGT\r\nACG\r\n>empty\r\n>b\r\nAAAA\r\nCC";
  std::ofstream(d + "/b.fa") << ">x\n" << std::string(5000, 'A') << "\n>y\nAC\n";
  for (const char* f : {"/a.fa", "/b.fa"}) {
    Genome g(d + f);  // builds the index with htslib, then validates it
    EXPECT_NO_THROW(validate_fai(d + f, d + f + std::string(".fai"))) << f;
  }
  Genome a(d + "/a.fa");
  EXPECT_EQ(a.fetch("a", 6, 10), "GTAC");
  EXPECT_EQ(a.fetch("b", 2, 6), "AACC");
}

TEST(FaiCheck, BrokenOrStaleIndexesAreRefused) {
  const std::string d = dir("fai_bad");
  std::ofstream(d + "/g.fa") << ">c\nACGTACGTAC\nACGT\n";
  auto check = [&](const std::string& fai) {
    std::ofstream(d + "/g.fa.fai") << fai;
    validate_fai(d + "/g.fa", d + "/g.fa.fai");
  };
  EXPECT_NO_THROW(check("c\t14\t3\t10\t11\n"));
  EXPECT_THROW(check("c\t14\t3\t0\t0\n"), ParseError);  // htslib: SIGFPE
  EXPECT_THROW(check("c\t14\t3\t10\t0\n"), ParseError);
  EXPECT_THROW(check("c\t14\t3\t10\t20\n"), ParseError);
  EXPECT_THROW(check("c\t14\t3\t10\n"), ParseError);
  EXPECT_THROW(check("c\t1e3\t3\t10\t11\n"), ParseError);
  EXPECT_THROW(check(""), ParseError);
  EXPECT_THROW(check("c\t14\t3\t7\t8\n"), InputError);  // re-wrapped at 10
  EXPECT_THROW(check("c\t14\t3\t12\t13\n"), InputError);
  EXPECT_THROW(check("c\t20\t3\t10\t11\n"), InputError);     // longer than the record
  EXPECT_THROW(check("c\t14\t4\t10\t11\n"), InputError);     // shifted offset
  EXPECT_THROW(check("d\t14\t3\t10\t11\n"), InputError);     // another name
  EXPECT_THROW(check("c\t14\t9999\t10\t11\n"), InputError);  // past the file
  // Through Genome: the error comes before htslib sees the index.
  std::ofstream(d + "/g.fa.fai") << "c\t14\t3\t0\t0\n";
  EXPECT_THROW(Genome(d + "/g.fa"), ParseError);
}

TEST(Regions, WindowWhollyPastTheChromosomeIsAnError) {
  Genome g(std::string(SEQLIFT_DATA) + "/example_genome.fa");  // chrX: 150000 bp
  BedRecord rec;
  rec.chrom = "chrX";
  rec.line = 7;
  WindowOptions w;
  rec.start = 149900;
  rec.end = 150100;  // runs off: padded
  EXPECT_TRUE(make_window(rec, g, w, "r.bed").has_value());
  rec.start = 150000;
  rec.end = 150200;
  EXPECT_THROW(make_window(rec, g, w, "r.bed"), ParseError);
  w.edge = EdgeMode::kSkip;
  EXPECT_THROW(make_window(rec, g, w, "r.bed"), ParseError);
}

Region region(const std::string& name, const std::string& seq) {
  Region r;
  r.name = name;
  r.sequence = seq;
  return r;
}

TEST(References, FastaRecordNamesMustMatchTheRegion) {
  const std::string d = dir("ref_names");
  std::ofstream(d + "/r.fa") << ">a_ref0\nACGT\n>a_ref1\nACGT\n>b_ref0\nACGT\n>b_ref1\nACGT\n";
  std::ofstream(d + "/p.fa") << ">r0\nACGT\n>r1\nACGT\n>r2\nACGT\n>r3\nACGT\n";
  {
    auto refs = make_fasta_references(d + "/r.fa", 2);
    EXPECT_EQ(refs->sequences(region("a", "ACGT")).size(), 2u);
    EXPECT_EQ(refs->sequences(region("b", "ACGT")).size(), 2u);
  }
  {
    auto refs = make_fasta_references(d + "/r.fa", 2);
    EXPECT_THROW(refs->sequences(region("b", "ACGT")), InputError);  // reordered input
  }
  {
    auto refs = make_fasta_references(d + "/r.fa", 2);
    EXPECT_THROW(refs->sequences(region("a_", "ACGT")), InputError);
  }
  {  // names without _refK are positional, as before
    auto refs = make_fasta_references(d + "/p.fa", 2);
    EXPECT_EQ(refs->sequences(region("x", "ACGT")).size(), 2u);
  }
}

TEST(Options, SeedIsParsedWithoutSaturating) {
  EXPECT_EQ(parse_seed("0"), 0u);
  EXPECT_EQ(parse_seed("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "-1", "18446744073709551616", "1e3", " 5", "5x", "+5", "0x10"})
    EXPECT_THROW(parse_seed(bad), UsageError) << bad;
}

TEST(Options, ThreadsAreCappedAtCoresAndWork) {
  EXPECT_EQ(effective_threads(100000, 0), effective_threads(0, 0));
  EXPECT_EQ(effective_threads(0, 1), 1);
  EXPECT_GE(effective_threads(1, 0), 1);
}

}  // namespace
}  // namespace seqlift
