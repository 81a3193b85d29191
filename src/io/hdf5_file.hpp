// Internal: a small read-only view of an HDF5 file (the HDF5 C library), enough for
// Keras model files: string attributes (fixed or variable length, possibly split into
// NAME0, NAME1, ... when over 64 KB) and float datasets.
//
// Every failure is a ModelError naming the file and the object. Not thread-safe (the
// serial HDF5 library is not); used only while loading a model.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace seqlift
