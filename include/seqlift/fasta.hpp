// FASTA input (plain, gzip or bgzip, multi-line, CRLF tolerated) through HTSlib's BGZF.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace seqlift {

struct FastaRecord {
  std::string name;      ///< first word of the header line
  std::string sequence;  ///< upper-case; every non-ACGT IUPAC code replaced by N
};

/// Streams records one at a time. Errors (ParseError / IoError) name the file and line:
/// text before the first header, an empty record, a duplicate name, a character that is
/// not an IUPAC code, a truncated or corrupt compressed stream. Not thread-safe.
class FastaReader {
 public:
  explicit FastaReader(const std::string& path);
  ~FastaReader();
  FastaReader(const FastaReader&) = delete;
  FastaReader& operator=(const FastaReader&) = delete;

  /// Reads the next record into `record`; false at end of file.
  bool next(FastaRecord& record);

  const std::string& path() const { return path_; }
  /// IUPAC codes other than ACGTN seen so far (each was turned into N).
  std::size_t ambiguous_bases() const { return ambiguous_; }
  std::size_t records_read() const { return records_; }

 private:
  bool read_line();

  std::string path_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string line_;
  long line_no_ = 0;
  bool have_pending_header_ = false;
  std::size_t ambiguous_ = 0;
  std::size_t records_ = 0;
  std::unordered_set<std::string> names_;
};

/// Reads a whole FASTA file; an empty file (no records) is a ParseError.
/// Logs one warning per file when IUPAC codes were turned into N.
std::vector<FastaRecord> read_fasta(const std::string& path);

/// Writes records as FASTA (60 bases per line) to an open stream.
void write_fasta_record(std::FILE* out, const std::string& name, const std::string& seq);

}  // namespace seqlift
