#include "seqlift/genome.hpp"

#include <htslib/faidx.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "io/fai_check.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "util/cleanup.hpp"

namespace seqlift {

struct Genome::Impl {
  faidx_t* fai = nullptr;
  ~Impl() {
    if (fai) fai_destroy(fai);
  }
};

static bool file_exists(const std::string& p) {
  return access(p.c_str(), F_OK) == 0;
}

Genome::Genome(const std::string& path) : path_(path), impl_(new Impl) {
  struct stat st;
  if (path != "-" && ::stat(path.c_str(), &st) != 0) throw IoError(path + ": no such file");
  if (path == "-" || !S_ISREG(st.st_mode))
    throw IoError(path +
                  ": the genome must be a regular file (it is read at random through its .fai "
                  "index; a pipe or stdin cannot be)");
  const std::string fai_path = path + ".fai";
  note_input(path);
  if (!file_exists(fai_path)) {
    std::string dir = path.substr(0, path.find_last_of('/') + 1);
    if (dir.empty()) dir = ".";
    if (access(dir.c_str(), W_OK) != 0)
      throw IoError(path + ": index " + fai_path +
                    " is missing and the directory is not writable; create it with "
                    "'samtools faidx " +
                    path + "'");
    if (fai_build3(path.c_str(), nullptr, nullptr) != 0)
      throw IoError(path + ": cannot build the FASTA index " + fai_path +
                    " (a gzip file must be bgzip-compressed; lines of a record must have "
                    "equal length)");
  }
  note_input(fai_path);
  note_input(path + ".gzi");
  validate_fai(path, fai_path);  // htslib would divide by zero or read the wrong bases
  impl_->fai = fai_load3(path.c_str(), nullptr, nullptr, 0);
  if (!impl_->fai) throw IoError(path + ": cannot load the FASTA index " + fai_path);
  const int n = faidx_nseq(impl_->fai);
  names_.reserve(n);
  for (int i = 0; i < n; ++i) {
    names_.emplace_back(faidx_iseq(impl_->fai, i));
    lengths_[names_.back()] = faidx_seq_len(impl_->fai, names_.back().c_str());
  }
}

Genome::~Genome() = default;

bool Genome::has(const std::string& chrom) const {
  return lengths_.count(chrom) > 0;
}

int64_t Genome::length(const std::string& chrom) const {
  auto it = lengths_.find(chrom);
  if (it == lengths_.end())
    throw InputError(path_ + ": chromosome '" + chrom + "' is not in the genome");
  return it->second;
}

std::string Genome::fetch(const std::string& chrom, int64_t start, int64_t end) const {
  const int64_t chrom_len = length(chrom);
  std::string out(static_cast<std::size_t>(std::max<int64_t>(0, end - start)), 'N');
  const int64_t lo = std::max<int64_t>(start, 0), hi = std::min(end, chrom_len);
  if (lo >= hi) return out;
  hts_pos_t got = 0;
  char* seq = faidx_fetch_seq64(impl_->fai, chrom.c_str(), lo, hi - 1, &got);
  if (!seq || got != hi - lo) {
    std::free(seq);
    throw IoError(path_ + ": cannot read " + chrom + ":" + std::to_string(lo) + "-" +
                  std::to_string(hi));
  }
  const std::string norm = normalize_sequence(std::string_view(seq, got));
  std::free(seq);
  std::copy(norm.begin(), norm.end(), out.begin() + (lo - start));
  return out;
}

}  // namespace seqlift
