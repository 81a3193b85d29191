#include "io/hdf5_file.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "seqlift/error.hpp"

namespace seqlift {
namespace {

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  Closer close_;
};

void silence_hdf5_errors() {
  // The library prints its error stack to stderr by default; we report our own.
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

constexpr int64_t kMaxElements = int64_t(1) << 28;

}  // namespace

Hdf5File::Hdf5File(const std::string& path) : path_(path) {
  silence_hdf5_errors();
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
      std::fclose(f);
      throw ModelError(path + ": not an HDF5 file");
    }
    throw IoError(path + ": cannot open: " + std::strerror(errno));
  }
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) throw ModelError(path + ": cannot open as HDF5 (damaged file?)");
}

Hdf5File::~Hdf5File() {
  if (file_ >= 0) H5Fclose(file_);
}

bool Hdf5File::exists(const std::string& object) const {
  if (object.empty() || object == "/") return true;
  // H5Lexists needs every intermediate link to exist: check the path step by step.
  std::string prefix;
  std::size_t pos = object[0] == '/' ? 1 : 0;
  while (pos <= object.size()) {
    std::size_t next = object.find('/', pos);
    if (next == std::string::npos) next = object.size();
    prefix = object.substr(0, next);
    if (!prefix.empty() && prefix != "/") {
      if (H5Lexists(file_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
      if (H5Oexists_by_name(file_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    pos = next + 1;
  }
  return true;
}

bool Hdf5File::has_attribute(const std::string& object, const std::string& name) const {
  if (!exists(object)) return false;
  return H5Aexists_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0 ||
         H5Aexists_by_name(file_, object.c_str(), (name + "0").c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> Hdf5File::read_strings(const std::string& object,
                                                const std::string& name) const {
  const std::string where = path_ + ": attribute '" + name + "' of '" + object + "'";
  Handle attr(H5Aopen_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  if (!attr.ok()) throw ModelError(where + ": missing");
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (!type.ok() || !space.ok() || H5Tget_class(type.get()) != H5T_STRING)
    throw ModelError(where + ": not a string");
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0 || count > kMaxElements) throw ModelError(where + ": bad size");
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    std::vector<char*> ptrs(static_cast<std::size_t>(count), nullptr);
    if (H5Aread(attr.get(), mem.get(), ptrs.data()) < 0) throw ModelError(where + ": unreadable");
    for (char* p : ptrs) out.emplace_back(p ? p : "");
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
#else
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
#endif
    return out;
  }
  const std::size_t size = H5Tget_size(type.get());
  if (size == 0 || size > (std::size_t(1) << 30) / std::max<hssize_t>(count, 1))
    throw ModelError(where + ": bad string size");
  std::vector<char> buf(size * static_cast<std::size_t>(count));
  if (H5Aread(attr.get(), type.get(), buf.data()) < 0) throw ModelError(where + ": unreadable");
  for (hssize_t i = 0; i < count; ++i) {
    const char* s = buf.data() + i * size;
    out.emplace_back(s, strnlen(s, size));  // null-padded or null-terminated
  }
  return out;
}

// Keras splits attributes over 64 KB into NAME0, NAME1, ... (save_attributes_to_hdf5_group).
static std::vector<std::string> chunk_names(hid_t file, const std::string& object,
                                            const std::string& name) {
  if (H5Aexists_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT) > 0) return {name};
  std::vector<std::string> names;
  for (int i = 0;; ++i) {
    const std::string n = name + std::to_string(i);
    if (H5Aexists_by_name(file, object.c_str(), n.c_str(), H5P_DEFAULT) <= 0) break;
    names.push_back(n);
  }
  return names;
}

std::string Hdf5File::string_attribute(const std::string& object, const std::string& name) const {
  std::string out;
  for (const auto& s : string_list_attribute(object, name)) out += s;
  return out;
}

std::vector<std::string> Hdf5File::string_list_attribute(const std::string& object,
                                                         const std::string& name) const {
  const auto names = exists(object) ? chunk_names(file_, object, name) : std::vector<std::string>{};
  if (names.empty()) throw ModelError(path_ + ": '" + object + "' has no attribute '" + name + "'");
  std::vector<std::string> out;
  for (const auto& n : names)
    for (auto& s : read_strings(object, n)) out.push_back(std::move(s));
  return out;
}

Hdf5Array Hdf5File::read_floats(const std::string& dataset) const {
  const std::string where = path_ + ": dataset '" + dataset + "'";
  if (!exists(dataset)) throw ModelError(where + " is missing");
  Handle set(H5Dopen2(file_, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!set.ok()) throw ModelError(where + ": not a dataset");
  Handle type(H5Dget_type(set.get()), H5Tclose);
  const H5T_class_t cls = type.ok() ? H5Tget_class(type.get()) : H5T_NO_CLASS;
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) throw ModelError(where + ": not a numeric array");
  Handle space(H5Dget_space(set.get()), H5Sclose);
  const int rank = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0 || rank > 8) throw ModelError(where + ": bad rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Hdf5Array out;
  int64_t n = 1;
  for (hsize_t d : dims) {
    if (d > static_cast<hsize_t>(kMaxElements) || n * static_cast<int64_t>(d) > kMaxElements)
      throw ModelError(where + ": more than 2^28 elements");
    n *= static_cast<int64_t>(d);
    out.dims.push_back(static_cast<int64_t>(d));
  }
  out.values.resize(static_cast<std::size_t>(n));
  if (n > 0 &&
      H5Dread(set.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) < 0)
    throw ModelError(where + ": unreadable (truncated or damaged file?)");
  return out;
}

}  // namespace seqlift

// ---- writing ------------------------------------------------------------------------

#include <unistd.h>

#include "util/cleanup.hpp"

namespace seqlift {
namespace {
hid_t native_type(Hdf5Type t) {
  switch (t) {
    case Hdf5Type::kInt8:
      return H5T_NATIVE_INT8;
    case Hdf5Type::kFloat32:
      return H5T_NATIVE_FLOAT;
    case Hdf5Type::kInt64:
      return H5T_NATIVE_INT64;
    case Hdf5Type::kString:
      break;
  }
  return -1;
}
// File types: little-endian as numpy writes them.
hid_t file_type(Hdf5Type t) {
  switch (t) {
    case Hdf5Type::kInt8:
      return H5T_STD_I8LE;
    case Hdf5Type::kFloat32:
      return H5T_IEEE_F32LE;
    case Hdf5Type::kInt64:
      return H5T_STD_I64LE;
    case Hdf5Type::kString:
      break;
  }
  return -1;
}
}  // namespace

Hdf5Writer::Hdf5Writer(std::string path) : path_(std::move(path)) {
  silence_hdf5_errors();
  staged_ = stage_output(path_);
  tmp_path_ = staged_.tmp;
  file_ = H5Fcreate(tmp_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0) {
    const int err = errno;
    discard_output(staged_);
    throw IoError(path_ + ": cannot create HDF5 file: " + std::strerror(err));
  }
}

Hdf5Writer::~Hdf5Writer() {
  if (file_ >= 0) {
    for (auto& d : sets_)
      if (d.id >= 0) H5Dclose(d.id);
    H5Fclose(file_);
  }
  if (!committed_) discard_output(staged_);
}

void Hdf5Writer::close_all() {
  for (auto& d : sets_)
    if (d.id >= 0) H5Dclose(d.id), d.id = -1;
  if (file_ >= 0) H5Fclose(file_);
  file_ = -1;
}

int Hdf5Writer::create(const std::string& name, Hdf5Type type, const std::vector<int64_t>& dims,
                       std::size_t string_length) {
  const std::string where = path_ + ": dataset '" + name + "'";
  if (dims.empty() || dims[0] < 1) throw IoError(where + ": needs at least one row");
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  std::vector<hsize_t> d(dims.begin(), dims.end()), chunk(d);
  chunk[0] = 1;
  Handle space(H5Screate_simple(static_cast<int>(d.size()), d.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
  if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), 1);
  }
  hid_t ftype = -1;
  Handle str(type == Hdf5Type::kString ? H5Tcopy(H5T_C_S1) : -1, H5Tclose);
  if (type == Hdf5Type::kString) {
    H5Tset_size(str.get(), std::max<std::size_t>(1, string_length));
    H5Tset_strpad(str.get(), H5T_STR_NULLPAD);
    ftype = str.get();
  } else {
    ftype = file_type(type);
  }
  const hid_t set =
      H5Dcreate2(file_, name.c_str(), ftype, space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT);
  if (set < 0) throw IoError(where + ": cannot create");
  sets_.push_back({name, set, type, dims, std::max<std::size_t>(1, string_length)});
  return static_cast<int>(sets_.size() - 1);
}

static void write_slab(hid_t set, hid_t mem_type, const std::vector<int64_t>& dims, int64_t first,
                       int64_t count, const void* data, const std::string& where) {
  if (first < 0 || count < 0 || first + count > dims[0])
    throw IoError(where + ": rows out of range");
  if (count == 0) return;
  std::vector<hsize_t> start(dims.size(), 0), n(dims.begin(), dims.end());
  start[0] = static_cast<hsize_t>(first);
  n[0] = static_cast<hsize_t>(count);
  Handle fspace(H5Dget_space(set), H5Sclose);
  Handle mspace(H5Screate_simple(static_cast<int>(n.size()), n.data(), nullptr), H5Sclose);
  if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, n.data(), nullptr) <
          0 ||
      H5Dwrite(set, mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, data) < 0)
    throw IoError(where + ": write failed (disk full?)");
}

void Hdf5Writer::write_rows(int id, int64_t first, int64_t count, const void* data) {
  const Dataset& d = sets_.at(id);
  if (d.type == Hdf5Type::kString) throw IoError(path_ + ": '" + d.name + "' holds strings");
  write_slab(d.id, native_type(d.type), d.dims, first, count, data,
             path_ + ": dataset '" + d.name + "'");
}

void Hdf5Writer::write_strings(int id, int64_t first, const std::vector<std::string>& values) {
  const Dataset& d = sets_.at(id);
  std::vector<char> buf(values.size() * d.string_length, '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    std::memcpy(buf.data() + i * d.string_length, values[i].data(),
                std::min(values[i].size(), d.string_length));
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), d.string_length);
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
  write_slab(d.id, mem.get(), d.dims, first, static_cast<int64_t>(values.size()), buf.data(),
             path_ + ": dataset '" + d.name + "'");
}

void Hdf5Writer::set_attribute(const std::string& object, const std::string& name,
                               const std::string& value) {
  const std::string where = path_ + ": attribute '" + name + "' of '" + object + "'";
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate_by_name(file_, object.c_str(), name.c_str(), type.get(), space.get(),
                                H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  const char* p = value.c_str();
  if (!attr.ok() || H5Awrite(attr.get(), type.get(), &p) < 0)
    throw IoError(where + ": cannot write");
}

void Hdf5Writer::commit() {
  if (file_ < 0) return;
  bool ok = true;
  for (auto& d : sets_) {
    if (d.id >= 0 && H5Dclose(d.id) < 0) ok = false;
    d.id = -1;
  }
  if (H5Fflush(file_, H5F_SCOPE_GLOBAL) < 0) ok = false;
  if (H5Fclose(file_) < 0) ok = false;
  file_ = -1;
  if (!ok) throw IoError(path_ + ": HDF5 write failed (disk full?)");
  committed_ = true;
  finish_output(staged_);
}

}  // namespace seqlift
