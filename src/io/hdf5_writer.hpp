// Internal: writing HDF5 files with the HDF5 C library (groups, numeric datasets, h5py's
// boolean enum, integer attributes), enough for tfmodisco-lite's modisco.h5.
//
// The file is written to PATH.tmp.PID and renamed by commit(); destroyed without commit()
// the temporary file is removed. Every failure throws IoError naming the file and object.
// Not thread-safe (the serial HDF5 library is not).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace seqlift {

class Hdf5Writer {
 public:
  explicit Hdf5Writer(std::string path);
  ~Hdf5Writer();
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;

  /// Creates a group ("/pos_patterns/pattern_0"); its parent must exist.
  void group(const std::string& name);
  /// C-order datasets of shape `dims` (product = number of values given).
  void write(const std::string& name, const std::vector<int64_t>& dims, const double* data);
  void write(const std::string& name, const std::vector<int64_t>& dims, const float* data);
  void write(const std::string& name, const std::vector<int64_t>& dims, const int64_t* data);
  /// Booleans as h5py stores numpy bool (enum of int8 FALSE = 0, TRUE = 1).
  void write_bool(const std::string& name, const std::vector<int64_t>& dims, const uint8_t* data);
  /// A scalar int64 attribute on an object ("/" for the file).
  void attribute(const std::string& object, const std::string& name, int64_t value);
  /// Closes the file and renames it into place.
  void commit();

 private:
  void write_raw(const std::string& name, const std::vector<int64_t>& dims, int64_t file_type,
                 int64_t mem_type, const void* data);
  std::string path_, tmp_;
  int64_t file_ = -1;  // hid_t
};

}  // namespace seqlift
