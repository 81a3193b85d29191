// MEME minimal motif format.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "seqlift/error.hpp"
#include "seqlift/log.hpp"
#include "seqlift/motifs.hpp"
#include "util/cleanup.hpp"

namespace seqlift {
namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

// "key= value key= value ..." with the '=' attached to the key or spaced.
std::map<std::string, std::string> key_values(const std::string& text) {
  std::map<std::string, std::string> kv;
  std::stringstream ss(text);
  std::string tok, key;
  while (ss >> tok) {
    const auto eq = tok.find('=');
    if (eq != std::string::npos) {
      key = tok.substr(0, eq);
      std::string rest = tok.substr(eq + 1);
      if (!rest.empty()) {
        kv[key] = rest;
        key.clear();
      }
    } else if (!key.empty()) {
      kv[key] = tok;
      key.clear();
    }
  }
  return kv;
}

double parse_prob(const std::string& tok, const std::string& path, long line) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(tok.c_str(), &end);
  if (tok.empty() || *end || errno || !std::isfinite(v) || v < 0)
    throw ParseError(path, line, "not a probability: '" + tok + "'");
  return v;
}

}  // namespace

MotifDatabase read_meme(const std::string& path) {
  note_input(path);
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot open for reading: " + std::strerror(errno));
  MotifDatabase db;
  std::map<std::string, std::size_t> index;
  std::string line;
  long line_no = 0;
  bool saw_version = false, in_background = false;
  Motif* cur = nullptr;
  long matrix_rows_left = 0, matrix_line = 0;
  auto finish_motif = [&] {
    if (cur && matrix_rows_left > 0)
      throw ParseError(path, line_no,
                       "motif " + cur->id + ": matrix ended after " +
                           std::to_string(cur->pwm.size()) + " of " +
                           std::to_string(cur->pwm.size() + matrix_rows_left) + " rows");
    if (cur && cur->pwm.empty())
      throw ParseError(path, line_no, "motif " + cur->id + " has no letter-probability matrix");
  };
  while (std::getline(in, line)) {
    ++line_no;
    const std::string t = trim(line);
    if (matrix_rows_left > 0) {
      if (t.empty()) continue;
      std::stringstream ss(t);
      std::array<double, 4> row{};
      std::string tok;
      int c = 0;
      while (ss >> tok) {
        if (c >= 4)
          throw ParseError(path, line_no,
                           "motif " + cur->id + ": more than 4 columns in a matrix row");
        row[c++] = parse_prob(tok, path, line_no);
      }
      if (c != 4)
        throw ParseError(
            path, line_no,
            "motif " + cur->id + ": matrix row has " + std::to_string(c) + " columns, expected 4");
      const double sum = row[0] + row[1] + row[2] + row[3];
      if (std::fabs(sum - 1.0) > 0.02)
        throw ParseError(path, line_no,
                         "motif " + cur->id + ": matrix row sums to " + std::to_string(sum));
      for (auto& v : row) v /= sum;
      cur->pwm.push_back(row);
      --matrix_rows_left;
      continue;
    }
    if (t.empty()) {
      in_background = false;
      continue;
    }
    if (t.rfind("MEME version", 0) == 0) {
      saw_version = true;
    } else if (t.rfind("ALPHABET", 0) == 0) {
      const auto eq = t.find('=');
      const std::string alpha = eq == std::string::npos ? "" : trim(t.substr(eq + 1));
      if (alpha != "ACGT")
        throw ParseError(path, line_no,
                         "only the DNA alphabet ACGT is supported (got '" + alpha + "')");
    } else if (t.rfind("strands", 0) == 0) {
    } else if (t.rfind("Background letter frequencies", 0) == 0) {
      in_background = true;
    } else if (in_background && !cur) {
      std::stringstream ss(t);
      std::string letter, value;
      while (ss >> letter >> value) {
        const std::string L = letter;
        const int c = L == "A" ? 0 : L == "C" ? 1 : L == "G" ? 2 : L == "T" ? 3 : -1;
        if (c < 0) throw ParseError(path, line_no, "unknown background letter '" + letter + "'");
        db.background[c] = parse_prob(value, path, line_no);
      }
    } else if (t.rfind("MOTIF", 0) == 0) {
      finish_motif();
      std::stringstream ss(t.substr(5));
      Motif m;
      ss >> m.id >> m.name;
      if (m.id.empty()) throw ParseError(path, line_no, "MOTIF line without an identifier");
      if (m.name.empty()) m.name = m.id;
      auto it = index.find(m.id);
      if (it != index.end()) {
        log_warn(path + " line " + std::to_string(line_no) + ": motif " + m.id +
                 " defined again; the last one is kept");
        db.motifs[it->second] = m;
        cur = &db.motifs[it->second];
      } else {
        index[m.id] = db.motifs.size();
        db.motifs.push_back(m);
        cur = &db.motifs.back();
      }
    } else if (t.rfind("letter-probability matrix", 0) == 0) {
      if (!cur) throw ParseError(path, line_no, "letter-probability matrix before any MOTIF line");
      auto kv = key_values(t.substr(t.find(':') == std::string::npos ? t.size() : t.find(':') + 1));
      if (!kv.count("w"))
        throw ParseError(path, line_no, "motif " + cur->id + ": matrix header has no w=");
      char* end = nullptr;
      const long w = std::strtol(kv["w"].c_str(), &end, 10);
      if (*end || w <= 0 || w > 1000)
        throw ParseError(path, line_no, "motif " + cur->id + ": bad width w= " + kv["w"]);
      if (kv.count("alength") && kv["alength"] != "4")
        throw ParseError(path, line_no,
                         "motif " + cur->id + ": alength= " + kv["alength"] + ", expected 4");
      cur->pwm.clear();
      matrix_rows_left = w;
      matrix_line = line_no;
    } else if (t.rfind("URL", 0) == 0 || t.rfind("log-odds matrix", 0) == 0) {
      // not used
    } else if (!saw_version && db.motifs.empty()) {
      throw ParseError(path, line_no, "not a MEME motif file (expected 'MEME version')");
    } else if (cur && !cur->pwm.empty()) {
      // stray text after a matrix: ignore like MEME does
    } else {
      throw ParseError(path, line_no, "unexpected line '" + t.substr(0, 40) + "'");
    }
  }
  (void)matrix_line;
  finish_motif();
  if (!saw_version) throw ParseError(path, 1, "not a MEME motif file (no 'MEME version' line)");
  if (db.motifs.empty()) throw ParseError(path, line_no, "no motifs");
  return db;
}

}  // namespace seqlift
