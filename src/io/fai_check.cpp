#include "io/fai_check.hpp"

#include <fcntl.h>
#include <htslib/bgzf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "io/line_reader.hpp"
#include "seqlift/error.hpp"

namespace seqlift {
namespace {

struct FaiRecord {
  std::string name;
  int64_t length, offset, line_bases, line_width;
  long line;
};

int64_t field(const std::string& text, const std::string& fai, long line, const char* what) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno == ERANGE || v < 0)
    throw ParseError(fai, line,
                     std::string(what) + " is not a non-negative integer: '" + text + "'");
  if (v > (int64_t(1) << 48))  // 256 TB: keeps the offset arithmetic from overflowing
    throw ParseError(fai, line, std::string(what) + " " + text + " is too large");
  return v;
}

// Bytes of the (uncompressed) FASTA at fai offsets: pread on a plain file, the .gzi
// index on a bgzipped one.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return;
    unsigned char magic[2] = {0, 0};
    if (::pread(fd_, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      bgzf_ = bgzf_open(path.c_str(), "r");
      if (!bgzf_ || bgzf_index_load(bgzf_, path.c_str(), ".gzi") != 0) {
        if (bgzf_) bgzf_close(bgzf_);
        bgzf_ = nullptr;
        gz_without_index_ = true;
      }
    } else {
      struct stat st;
      if (::fstat(fd_, &st) == 0) size_ = st.st_size;
    }
  }
  ~Reader() {
    if (bgzf_) bgzf_close(bgzf_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  /// A gzip file htslib cannot seek in: only the fields are checked (it fails later).
  bool unchecked() const { return gz_without_index_; }
  bool compressed() const { return bgzf_ != nullptr; }
  int64_t size() const { return size_; }
  std::string at(int64_t offset, int64_t n) const {
    std::string s(static_cast<std::size_t>(std::max<int64_t>(n, 0)), '\0');
    ssize_t got = 0;
    if (bgzf_) {
      got = bgzf_useek(bgzf_, offset, SEEK_SET) == 0 ? bgzf_read(bgzf_, s.data(), s.size()) : 0;
    } else {
      got = ::pread(fd_, s.data(), s.size(), offset);
    }
    s.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    return s;
  }

 private:
  std::string path_;
  int fd_ = -1;
  BGZF* bgzf_ = nullptr;
  bool gz_without_index_ = false;
  int64_t size_ = INT64_MAX;  // unknown for bgzip: short reads tell
};

bool has_line_break(const std::string& s) {
  return s.find_first_of("\r\n>") != std::string::npos;
}

}  // namespace

void validate_fai(const std::string& fasta, const std::string& fai) {
  std::vector<FaiRecord> recs;
  std::set<std::string> names;
  {
    LineReader lines(fai);
    std::string text;
    while (lines.next(text)) {
      const long ln = lines.line_number();
      std::vector<std::string> f;
      for (std::size_t pos = 0;;) {
        const auto tab = text.find('\t', pos);
        f.push_back(text.substr(pos, tab - pos));
        if (tab == std::string::npos) break;
        pos = tab + 1;
      }
      if (f.size() == 6) throw ParseError(fai, ln, "is a FASTQ index; the genome must be FASTA");
      if (f.size() != 5)
        throw ParseError(fai, ln,
                         "expected 5 tab-separated fields (name length offset linebases "
                         "linewidth), found " +
                             std::to_string(f.size()));
      FaiRecord r{f[0],
                  field(f[1], fai, ln, "length"),
                  field(f[2], fai, ln, "offset"),
                  field(f[3], fai, ln, "line bases"),
                  field(f[4], fai, ln, "line width"),
                  ln};
      if (r.name.empty()) throw ParseError(fai, ln, "empty sequence name");
      if (!names.insert(r.name).second)
        throw ParseError(fai, ln, "duplicate sequence name '" + r.name + "'");
      if (r.length > 0 &&
          (r.line_bases < 1 || r.line_width < r.line_bases || r.line_width > r.line_bases + 2))
        throw ParseError(fai, ln,
                         "line bases " + f[3] + " / line width " + f[4] +
                             " are impossible (bases >= 1, width = bases + 1 or + 2)");
      recs.push_back(std::move(r));
    }
  }
  if (recs.empty()) throw ParseError(fai, 1, "empty FASTA index");
  Reader in(fasta);
  if (!in.ok()) throw IoError(fasta + ": cannot open for reading: " + std::strerror(errno));
  if (in.unchecked()) return;
  const int64_t size = in.size();
  const std::string rebuild =
      " (the index is stale: was the genome edited or re-wrapped after indexing? Delete " + fai +
      " to rebuild it, or run 'samtools faidx " + fasta + "')";
  // Layout checks cost a few small reads per record (a block decompression each when
  // bgzipped): assemblies with many scaffolds get an even sample, first and last
  // included. A re-wrapped or edited genome shows in every record after the change.
  const std::size_t cap = in.compressed() ? 64 : 4096;
  const std::size_t n = recs.size();
  for (std::size_t k = 0, m = std::min(n, cap); k < m; ++k) {
    const FaiRecord& r = recs[m == n ? k : k * (n - 1) / (m - 1)];
    auto stale = [&](const std::string& what) {
      throw InputError(fai + " line " + std::to_string(r.line) + ": sequence '" + r.name + "' " +
                       what + rebuild);
    };
    // The header line before the sequence names it.
    if (r.offset < 1 || r.offset > size)
      stale("starts at offset " + std::to_string(r.offset) + ", outside the file");
    // Long enough for the name and a typical description; a longer header is skipped.
    const int64_t back = std::min<int64_t>(r.offset, static_cast<int64_t>(r.name.size()) + 1024);
    const std::string before = in.at(r.offset - back, back);
    if (before.size() != static_cast<std::size_t>(back)) stale("starts past the end of the file");
    if (before.empty() || before.back() != '\n') stale("does not start after a header line");
    const auto prev = before.find_last_of('\n', before.size() >= 2 ? before.size() - 2 : 0);
    if (prev != std::string::npos || back == r.offset) {
      const std::string header =
          before.substr(prev == std::string::npos || before.size() < 2 ? 0 : prev + 1);
      const bool named = header.size() > r.name.size() + 1 && header[0] == '>' &&
                         header.compare(1, r.name.size(), r.name) == 0 &&
                         std::strchr(" \t\r\n", header[r.name.size() + 1]);
      if (!named) stale("is not preceded by its header '>" + r.name + "'");
    }
    if (r.length == 0) continue;
    const int64_t full = (r.length - 1) / r.line_bases;
    const int64_t last = r.length - full * r.line_bases;
    const int64_t end = r.offset + full * r.line_width + last;
    if (end > size) stale("runs past the end of the file");
    const std::string first = in.at(r.offset, std::min(r.line_width, end - r.offset));
    if (has_line_break(first.substr(0, std::min(r.line_bases, r.length))))
      stale("has lines shorter than " + std::to_string(r.line_bases) + " bases");
    if (full > 0 && first.size() == static_cast<std::size_t>(r.line_width) && first.back() != '\n')
      stale("has lines longer than " + std::to_string(r.line_bases) + " bases");
    const std::string tail = in.at(end - last, last + 1);
    if (tail.size() < static_cast<std::size_t>(last)) stale("runs past the end of the file");
    if (has_line_break(tail.substr(0, static_cast<std::size_t>(last))) ||
        (tail.size() > static_cast<std::size_t>(last) && tail.back() != '\n' &&
         tail.back() != '\r'))
      stale("does not end where the index says");
  }
}

}  // namespace seqlift
