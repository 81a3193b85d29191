// Internal: a small view of HDF5 files (the HDF5 C library). Hdf5File reads what Keras
// model files hold: string attributes (fixed or variable length, possibly split into
// NAME0, NAME1, ... when over 64 KB) and float datasets; every failure is a ModelError
// naming the file and the object. Hdf5Writer streams datasets row by row (score --h5).
//
// Not thread-safe (the serial HDF5 library is not): use from one thread.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "util/cleanup.hpp"

namespace seqlift {

struct Hdf5Array {
  std::vector<int64_t> dims;
  std::vector<float> values;  ///< C order, converted to float32 by HDF5
};

class Hdf5File {
 public:
  /// Opens `path` read-only; throws ModelError if it is missing or not HDF5.
  explicit Hdf5File(const std::string& path);
  ~Hdf5File();
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;

  const std::string& path() const { return path_; }
  /// True when `object` ("/", "/model_weights/conv") names a group or dataset.
  bool exists(const std::string& object) const;
  /// True when the object has attribute `name` (or its split form name0, name1, ...).
  bool has_attribute(const std::string& object, const std::string& name) const;
  /// A scalar string attribute (or the concatenation of name0, name1, ...).
  std::string string_attribute(const std::string& object, const std::string& name) const;
  /// A 1-D array-of-strings attribute (or the concatenation of name0, name1, ...).
  std::vector<std::string> string_list_attribute(const std::string& object,
                                                 const std::string& name) const;
  /// A numeric dataset of at most 2^28 elements, read as float32.
  Hdf5Array read_floats(const std::string& dataset) const;

 private:
  std::vector<std::string> read_strings(const std::string& object, const std::string& name) const;
  std::string path_;
  int64_t file_ = -1;  // hid_t
};

enum class Hdf5Type { kInt8, kFloat32, kInt64, kString };

/// Writes a new HDF5 file under a temporary name (PATH.tmp.PID, removed on signals and
/// when destroyed without commit()), renamed into place by commit(). Datasets have a
/// fixed shape declared up front, are chunked one row (axis 0 index) per chunk and
/// deflate-compressed, and are written row by row. Failures throw IoError naming the
/// file and the object.
class Hdf5Writer {
 public:
  explicit Hdf5Writer(std::string path);
  ~Hdf5Writer();
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;

  /// Creates dataset `name` ("raw/seq": parent groups are created) of shape `dims`
  /// (dims[0] >= 1); kString holds fixed-length ASCII of `string_length` bytes (h5py
  /// reads them as bytes, |S n). Returns its id.
  int create(const std::string& name, Hdf5Type type, const std::vector<int64_t>& dims,
             std::size_t string_length = 0);
  /// Writes rows [first, first + count) along axis 0 from C-order `data` of the dataset's
  /// type: int8_t, float, int64_t.
  void write_rows(int id, int64_t first, int64_t count, const void* data);
  /// Writes strings to rows [first, first + values.size()) of a kString dataset.
  void write_strings(int id, int64_t first, const std::vector<std::string>& values);
  /// A scalar variable-length UTF-8 string attribute on `object` ("/" or a dataset/group).
  void set_attribute(const std::string& object, const std::string& name, const std::string& value);

  // Whole datasets written at once (hdf5_writer.cpp; tfmodisco-lite's modisco.h5 layout).
  /// Creates a group ("/pos_patterns/pattern_0"); its parent must exist.
  void group(const std::string& name);
  /// Contiguous C-order datasets of shape `dims` (product = number of values given).
  void write(const std::string& name, const std::vector<int64_t>& dims, const double* data);
  void write(const std::string& name, const std::vector<int64_t>& dims, const float* data);
  void write(const std::string& name, const std::vector<int64_t>& dims, const int64_t* data);
  /// Booleans as h5py stores numpy bool (enum of int8 FALSE = 0, TRUE = 1).
  void write_bool(const std::string& name, const std::vector<int64_t>& dims, const uint8_t* data);
  /// A scalar int64 attribute on an object ("/" for the file).
  void attribute(const std::string& object, const std::string& name, int64_t value);
  /// Closes everything, checks, renames into place.
  void commit();
  const std::string& path() const { return path_; }

 private:
  struct Dataset {
    std::string name;
    int64_t id;  // hid_t
    Hdf5Type type;
    std::vector<int64_t> dims;
    std::size_t string_length;
  };
  void close_all();
  void write_raw(const std::string& name, const std::vector<int64_t>& dims, int64_t file_type,
                 int64_t mem_type, const void* data);
  std::string path_, tmp_path_;
  StagedOutput staged_;
  bool committed_ = false;
  int64_t file_ = -1;  // hid_t
  std::vector<Dataset> sets_;
};

}  // namespace seqlift
