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
