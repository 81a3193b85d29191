// NumPy .npy arrays and uncompressed .npz archives (what numpy.load and TF-MoDISco read).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace seqlift {

/// An array read from .npy: little-endian float32, float64 or int64, C order.
struct NpyArray {
  std::vector<int64_t> shape;
  std::string dtype;          ///< "<f4", "<f8", "<i8" or "<U{n}" (unicode strings)
  std::vector<double> values; ///< numeric dtypes, converted to double, C order
  std::vector<std::string> strings;  ///< "<U{n}" dtypes (code points above 255 become '?')
  int64_t size() const;
};

/// Reads a .npy file. Throws ParseError / IoError naming the file.
NpyArray read_npy(const std::string& path);
/// Parses .npy bytes held in memory; `what` names the source in errors.
NpyArray parse_npy(const std::string& bytes, const std::string& what);
/// Reads every member of an .npz archive (stored or deflated), keyed by name without ".npy".
std::vector<std::pair<std::string, NpyArray>> read_npz(const std::string& path);

/// Writes an uncompressed .npz. Members are streamed to FILE.tmp.PID; commit() writes
/// the zip directory and renames to the final name. Destroyed without commit(): the
/// temporary file is removed. Not thread-safe.
class NpzWriter {
 public:
  explicit NpzWriter(std::string path);
  ~NpzWriter();
  NpzWriter(const NpzWriter&) = delete;
  NpzWriter& operator=(const NpzWriter&) = delete;

  void add(const std::string& name, const std::vector<int64_t>& shape, const float* data);
  void add(const std::string& name, const std::vector<int64_t>& shape, const int64_t* data);
  /// A 1-D array of unicode strings (dtype <U{max length}).
  void add_strings(const std::string& name, const std::vector<std::string>& values);
  void commit();

 private:
  void add_member(const std::string& name, const std::string& header, const char* data,
                  uint64_t bytes);
  struct Member {
    std::string name;
    uint64_t offset, size;
    uint32_t crc;
  };
  std::string path_, tmp_path_;
  std::FILE* fp_ = nullptr;
  std::vector<Member> members_;
  uint64_t offset_ = 0;
};

/// The .npy header (magic, version, dict, padding) for a C-order array.
std::string npy_header(const std::string& dtype, const std::vector<int64_t>& shape);

}  // namespace seqlift
