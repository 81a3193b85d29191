#include "seqlift/fasta.hpp"

#include <cstdio>
#include <cstring>

#include "io/line_reader.hpp"
#include "seqlift/error.hpp"
#include "seqlift/log.hpp"

namespace seqlift {

struct FastaReader::Impl {
  explicit Impl(const std::string& path) : lines(path) {}
  LineReader lines;
};

FastaReader::FastaReader(const std::string& path) : path_(path), impl_(new Impl(path)) {}

FastaReader::~FastaReader() = default;

// Reads one line into line_ without its terminator or trailing blanks. False at EOF.
bool FastaReader::read_line() {
  if (!impl_->lines.next(line_)) return false;
  line_no_ = impl_->lines.line_number();
  while (!line_.empty() && (line_.back() == ' ' || line_.back() == '\t')) line_.pop_back();
  return true;
}

static bool is_iupac(char c) {
  return std::strchr("ACGTNRYKMSWBDHV", c) != nullptr && c != '\0';
}

bool FastaReader::next(FastaRecord& record) {
  if (!have_pending_header_) {
    // Skip blank lines before the first header; anything else is an error.
    for (;;) {
      if (!read_line()) return false;
      if (line_.empty()) continue;
      if (line_[0] != '>')
        throw ParseError(path_, line_no_,
                         "expected a '>' header line, found '" + line_.substr(0, 20) + "'");
      break;
    }
  }
  have_pending_header_ = false;
  const long header_line = line_no_;
  std::size_t name_end = line_.find_first_of(" \t", 1);
  record.name = line_.substr(1, name_end == std::string::npos ? std::string::npos : name_end - 1);
  if (record.name.empty()) throw ParseError(path_, header_line, "header has no name");
  if (!names_.insert(record.name).second)
    throw ParseError(path_, header_line, "duplicate record name '" + record.name + "'");
  record.sequence.clear();
  while (read_line()) {
    if (!line_.empty() && line_[0] == '>') {
      have_pending_header_ = true;
      break;
    }
    for (char c : line_) {
      char u = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
      if (u == ' ' || u == '\t') continue;
      if (!is_iupac(u))
        throw ParseError(path_, line_no_,
                         "record '" + record.name + "': invalid base '" + std::string(1, c) + "'");
      if (u != 'A' && u != 'C' && u != 'G' && u != 'T' && u != 'N') {
        ++ambiguous_;
        u = 'N';
      }
      record.sequence.push_back(u);
    }
  }
  if (record.sequence.empty())
    throw ParseError(path_, header_line, "record '" + record.name + "' has no sequence");
  ++records_;
  return true;
}

std::vector<FastaRecord> read_fasta(const std::string& path) {
  FastaReader reader(path);
  std::vector<FastaRecord> records;
  FastaRecord rec;
  while (reader.next(rec)) records.push_back(std::move(rec));
  if (records.empty()) throw ParseError(path, 1, "no FASTA records (empty file?)");
  if (reader.ambiguous_bases() > 0)
    log_warn(path + ": " + std::to_string(reader.ambiguous_bases()) +
             " IUPAC ambiguity codes were read as N");
  return records;
}

void write_fasta_record(std::FILE* out, const std::string& name, const std::string& seq) {
  std::fprintf(out, ">%s\n", name.c_str());
  for (std::size_t i = 0; i < seq.size(); i += 60) {
    std::fwrite(seq.data() + i, 1, std::min<std::size_t>(60, seq.size() - i), out);
    std::fputc('\n', out);
  }
}

}  // namespace seqlift
