// Hdf5Writer's whole-dataset writes (groups, contiguous datasets, h5py booleans, integer
// attributes); the streaming part and the file's life cycle are in hdf5_file.cpp.
#include "io/hdf5_file.hpp"

#include <hdf5.h>

#include "seqlift/error.hpp"

namespace seqlift {
namespace {

// Closes an HDF5 identifier with the matching H5?close when it goes out of scope.
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() {
    if (id >= 0) close(id);
  }
};

}  // namespace

void Hdf5Writer::group(const std::string& name) {
  Id g{H5Gcreate2(file_, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
  if (g.id < 0) throw IoError(path_ + ": cannot create group " + name);
}

void Hdf5Writer::write_raw(const std::string& name, const std::vector<int64_t>& dims,
                           int64_t file_type, int64_t mem_type, const void* data) {
  std::vector<hsize_t> d(dims.begin(), dims.end());
  Id space{H5Screate_simple(static_cast<int>(d.size()), d.data(), nullptr), H5Sclose};
  Id set{
      H5Dcreate2(file_, name.c_str(), file_type, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose};
  if (space.id < 0 || set.id < 0) throw IoError(path_ + ": cannot create dataset " + name);
  bool empty = false;
  for (auto x : dims) empty |= x == 0;
  if (!empty && H5Dwrite(set.id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    throw IoError(path_ + ": cannot write dataset " + name);
}

void Hdf5Writer::write(const std::string& name, const std::vector<int64_t>& dims,
                       const double* data) {
  write_raw(name, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, data);
}
void Hdf5Writer::write(const std::string& name, const std::vector<int64_t>& dims,
                       const float* data) {
  write_raw(name, dims, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, data);
}
void Hdf5Writer::write(const std::string& name, const std::vector<int64_t>& dims,
                       const int64_t* data) {
  write_raw(name, dims, H5T_STD_I64LE, H5T_NATIVE_INT64, data);
}

void Hdf5Writer::write_bool(const std::string& name, const std::vector<int64_t>& dims,
                            const uint8_t* data) {
  Id type{H5Tenum_create(H5T_NATIVE_INT8), H5Tclose};
  const int8_t no = 0, yes = 1;
  if (type.id < 0 || H5Tenum_insert(type.id, "FALSE", &no) < 0 ||
      H5Tenum_insert(type.id, "TRUE", &yes) < 0)
    throw IoError(path_ + ": cannot make the boolean type for " + name);
  write_raw(name, dims, type.id, type.id, data);
}

void Hdf5Writer::attribute(const std::string& object, const std::string& name, int64_t value) {
  Id space{H5Screate(H5S_SCALAR), H5Sclose};
  Id attr{H5Acreate_by_name(file_, object.c_str(), name.c_str(), H5T_STD_I64LE, space.id,
                            H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          H5Aclose};
  if (attr.id < 0 || H5Awrite(attr.id, H5T_NATIVE_INT64, &value) < 0)
    throw IoError(path_ + ": cannot write attribute " + object + " " + name);
}

}  // namespace seqlift
