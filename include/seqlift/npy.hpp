// NumPy .npy arrays and uncompressed .npz archives (what numpy.load and TF-MoDISco read).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "seqlift/output.hpp"

namespace seqlift {

/// An array read from .npy: little-endian float32, float64 or int64, C order.
struct NpyArray {
  std::vector<int64_t> shape;
  std::string dtype;                 ///< "<f4", "<f8", "<i8" or "<U{n}" (unicode strings)
  std::vector<double> values;        ///< numeric dtypes, converted to double, C order
  std::vector<std::string> strings;  ///< "<U{n}" dtypes (code points above 255 become '?')
  int64_t size() const;
};

/// Reads a .npy file. Throws ParseError / IoError naming the file.
NpyArray read_npy(const std::string& path);
/// Parses .npy bytes held in memory; `what` names the source in errors.
NpyArray parse_npy(const std::string& bytes, const std::string& what);
/// Reads every member of an .npz archive (stored or deflated), keyed by name without ".npy".
std::vector<std::pair<std::string, NpyArray>> read_npz(const std::string& path);

/// Random access to the members of an .npz written uncompressed (numpy.savez and
/// seqlift): reads rows of a member without loading the archive. Not thread-safe.
class NpzReader {
 public:
  explicit NpzReader(const std::string& path);
  ~NpzReader();
  NpzReader(const NpzReader&) = delete;
  NpzReader& operator=(const NpzReader&) = delete;

  bool has(const std::string& name) const;
  /// Shape of a member; throws ParseError naming the file when it is missing.
  const std::vector<int64_t>& shape(const std::string& name) const;
  const std::string& dtype(const std::string& name) const;
  /// Rows [first, first + count) along axis 0 of a numeric member, as float.
  std::vector<float> read_rows(const std::string& name, int64_t first, int64_t count) const;
  /// A whole numeric member as double.
  std::vector<double> read_all(const std::string& name) const;
  /// A whole "<U" member.
  std::vector<std::string> read_strings(const std::string& name) const;

 private:
  struct Member {
    std::vector<int64_t> shape;
    std::string dtype;
    uint64_t data_offset = 0;
    std::size_t item = 4;
  };
  const Member& member(const std::string& name) const;
  void index_members();
  void read_at(uint64_t offset, void* out, uint64_t bytes) const;
  std::string path_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  std::vector<std::pair<std::string, Member>> members_;
};

/// Streams an uncompressed .npz whose members are all declared before any data: each
/// member's place in the file is known, so data is written in place as it arrives
/// (constant memory) and the zip headers are filled in by commit(). Writes to
/// FILE.tmp.PID and renames on commit(); destroyed without commit() it removes the
/// temporary file. Zip64 throughout (members may exceed 4 GiB). Not thread-safe.
class NpzWriter {
 public:
  explicit NpzWriter(std::string path);
  ~NpzWriter();
  NpzWriter(const NpzWriter&) = delete;
  NpzWriter& operator=(const NpzWriter&) = delete;

  /// Declares a member: dtype "<f4", "<i8" or "<U{n}". Returns its id.
  int declare(const std::string& name, const std::string& dtype, const std::vector<int64_t>& shape);
  /// Appends the next bytes of member `id` (in C order). Declaring is closed by the first append.
  void append(int id, const void* data, uint64_t bytes);
  /// Appends strings to a "<U{n}" member (each padded to n code points).
  void append_strings(int id, const std::vector<std::string>& values);
  /// Checks every member is complete, writes the directory, closes and renames.
  void commit();

 private:
  struct Member {
    std::string name, header;
    uint64_t data_bytes = 0, written = 0, offset = 0;
    uint32_t crc = 0;
    std::size_t item = 1;  ///< bytes per element
  };
  void layout();
  void write_at(uint64_t offset, const void* data, uint64_t bytes);
  std::string path_, tmp_path_;
  StagedOutput staged_;
  bool committed_ = false;
  int fd_ = -1;
  std::vector<Member> members_;
  bool laid_out_ = false;
  uint64_t end_ = 0;
};

/// The .npy header (magic, version, dict, padding) for a C-order array.
std::string npy_header(const std::string& dtype, const std::vector<int64_t>& shape);

}  // namespace seqlift
