// Reading NumPy .npy arrays and .npz archives (the writer is writers/npy_writer.cpp).
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "seqlift/error.hpp"
#include "seqlift/npy.hpp"
#include "util/cleanup.hpp"

namespace seqlift {

int64_t NpyArray::size() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

NpyArray parse_npy(const std::string& bytes, const std::string& what) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw ParseError(what, 1, "not a .npy array (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len, pos;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    pos = 10;
  } else {
    if (bytes.size() < 12) throw ParseError(what, 1, "truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i)
      header_len |= std::size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    pos = 12;
  }
  if (pos + header_len > bytes.size()) throw ParseError(what, 1, "truncated .npy header");
  const std::string dict = bytes.substr(pos, header_len);
  NpyArray arr;
  auto descr_at = dict.find("'descr':");
  auto q1 = dict.find('\'', descr_at + 8), q2 = dict.find('\'', q1 + 1);
  if (descr_at == std::string::npos || q2 == std::string::npos)
    throw ParseError(what, 1, "no 'descr' in .npy header");
  arr.dtype = dict.substr(q1 + 1, q2 - q1 - 1);
  if (dict.find("'fortran_order': True") != std::string::npos)
    throw ParseError(what, 1, "Fortran-order arrays are not supported");
  auto sp = dict.find("'shape':");
  auto lp = dict.find('(', sp), rp = dict.find(')', lp);
  if (sp == std::string::npos || rp == std::string::npos)
    throw ParseError(what, 1, "no 'shape' in .npy header");
  std::stringstream ss(dict.substr(lp + 1, rp - lp - 1));
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(" ") == std::string::npos) continue;
    char* end = nullptr;
    errno = 0;
    const long long d = std::strtoll(item.c_str(), &end, 10);
    while (end && *end == ' ') ++end;
    if (end == item.c_str() || (end && *end) || errno == ERANGE || d < 0)
      throw ParseError(what, 1, "bad dimension '" + item + "' in the .npy shape");
    arr.shape.push_back(d);
  }
  std::size_t width = 0;
  if (arr.dtype.rfind("<U", 0) == 0) {
    const std::size_t chars = std::strtoul(arr.dtype.c_str() + 2, nullptr, 10);
    const int64_t n = arr.size();
    const std::size_t data_at = pos + header_len;
    if (bytes.size() == data_at) return arr;  // header only (NpzReader)
    if (chars == 0 || n < 0 || bytes.size() - data_at < static_cast<std::size_t>(n) * chars * 4)
      throw ParseError(what, 1, "truncated .npy data");
    for (int64_t i = 0; i < n; ++i) {
      std::string s;
      for (std::size_t c = 0; c < chars; ++c) {
        uint32_t cp;
        std::memcpy(&cp, bytes.data() + data_at + (i * chars + c) * 4, 4);
        if (cp == 0) break;
        s += cp < 256 ? static_cast<char>(cp) : '?';
      }
      arr.strings.push_back(s);
    }
    return arr;
  }
  if (arr.dtype == "<f4")
    width = 4;
  else if (arr.dtype == "<f8" || arr.dtype == "<i8")
    width = 8;
  else
    throw ParseError(what, 1, "unsupported dtype '" + arr.dtype + "'");
  const std::size_t data_at = pos + header_len;
  const int64_t n = arr.size();
  if (bytes.size() == data_at) return arr;  // header only (NpzReader)
  if (n < 0 || bytes.size() - data_at < static_cast<std::size_t>(n) * width)
    throw ParseError(what, 1, "truncated .npy data");
  arr.values.resize(n);
  const char* p = bytes.data() + data_at;
  for (int64_t i = 0; i < n; ++i) {
    if (arr.dtype == "<f4") {
      float v;
      std::memcpy(&v, p + 4 * i, 4);
      arr.values[i] = v;
    } else if (arr.dtype == "<f8") {
      double v;
      std::memcpy(&v, p + 8 * i, 8);
      arr.values[i] = v;
    } else {
      int64_t v;
      std::memcpy(&v, p + 8 * i, 8);
      arr.values[i] = static_cast<double>(v);
    }
  }
  return arr;
}

static std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

NpyArray read_npy(const std::string& path) {
  return parse_npy(slurp(path), path);
}

static uint32_t le32(const std::string& b, std::size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}
static uint16_t le16(const std::string& b, std::size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(b[at]) |
                               (static_cast<unsigned char>(b[at + 1]) << 8));
}

std::vector<std::pair<std::string, NpyArray>> read_npz(const std::string& path) {
  const std::string bytes = slurp(path);
  std::vector<std::pair<std::string, NpyArray>> out;
  std::size_t pos = 0;
  while (pos + 30 <= bytes.size() && le32(bytes, pos) == 0x04034b50) {
    const uint16_t method = le16(bytes, pos + 8);
    uint64_t csize = le32(bytes, pos + 18), usize = le32(bytes, pos + 22);
    const uint16_t name_len = le16(bytes, pos + 26), extra_len = le16(bytes, pos + 28);
    if (pos + 30 + name_len + extra_len > bytes.size())
      throw ParseError(path, 1, "truncated zip member header");
    std::string name = bytes.substr(pos + 30, name_len);
    if (csize == 0xffffffffu && extra_len >= 20) {  // zip64 extra field
      const std::size_t e = pos + 30 + name_len;
      usize = le32(bytes, e + 4) | (uint64_t(le32(bytes, e + 8)) << 32);
      csize = le32(bytes, e + 12) | (uint64_t(le32(bytes, e + 16)) << 32);
    }
    const std::size_t data_at = pos + 30 + name_len + extra_len;
    if (data_at + csize > bytes.size()) throw ParseError(path, 1, "truncated member " + name);
    std::string member;
    if (method == 0) {
      member = bytes.substr(data_at, csize);
    } else if (method == 8) {
      member.resize(usize);
      z_stream zs{};
      inflateInit2(&zs, -MAX_WBITS);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + data_at));
      zs.avail_in = static_cast<uInt>(csize);
      zs.next_out = reinterpret_cast<Bytef*>(member.data());
      zs.avail_out = static_cast<uInt>(usize);
      int rc = inflate(&zs, Z_FINISH);
      inflateEnd(&zs);
      if (rc != Z_STREAM_END) throw ParseError(path, 1, "corrupt deflated member " + name);
    } else {
      throw ParseError(path, 1,
                       "member " + name + ": unsupported zip method " + std::to_string(method));
    }
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
      name.resize(name.size() - 4);
    out.emplace_back(name, parse_npy(member, path + ":" + name));
    pos = data_at + csize;
  }
  if (out.empty()) throw ParseError(path, 1, "not an .npz archive (no zip members)");
  return out;
}

// ---- random-access reader ----

NpzReader::NpzReader(const std::string& path) : path_(path) {
  note_input(path);
  fd_ = ::open(path.c_str(), O_RDONLY);
  if (fd_ < 0) throw IoError(path + ": cannot open for reading: " + std::strerror(errno));
  try {
    index_members();
  } catch (...) {  // the destructor does not run for a throwing constructor
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

void NpzReader::index_members() {
  const std::string& path = path_;
  const off_t size = ::lseek(fd_, 0, SEEK_END);
  if (size < 22) throw ParseError(path, 1, "not an .npz archive (too short)");
  file_size_ = static_cast<uint64_t>(size);
  // End of central directory (no archive comment expected; search the last 64 KiB).
  const uint64_t tail_len = std::min<uint64_t>(static_cast<uint64_t>(size), 65536 + 22);
  std::string tail(tail_len, '\0');
  read_at(static_cast<uint64_t>(size) - tail_len, tail.data(), tail_len);
  const std::size_t eocd = tail.rfind(std::string("PK\x05\x06", 4));
  if (eocd == std::string::npos)
    throw ParseError(path, 1, "not an .npz archive (no zip directory)");
  // Every fixed-offset field read below must lie inside its buffer.
  auto need = [&](const std::string& b, std::size_t at, std::size_t n) {
    if (at > b.size() || n > b.size() - at) throw ParseError(path, 1, "truncated zip directory");
  };
  need(tail, eocd, 22);
  uint64_t cd_offset = le32(tail, eocd + 16), entries = le16(tail, eocd + 10);
  if (cd_offset == 0xffffffffu || entries == 0xffff) {  // zip64
    const std::size_t loc = tail.rfind(std::string("PK\x06\x07", 4), eocd);
    if (loc == std::string::npos) throw ParseError(path, 1, "zip64 locator missing");
    need(tail, loc, 20);
    const uint64_t rec = le32(tail, loc + 8) | (uint64_t(le32(tail, loc + 12)) << 32);
    std::string z(56, '\0');
    read_at(rec, z.data(), 56);
    entries = le32(z, 32) | (uint64_t(le32(z, 36)) << 32);
    cd_offset = le32(z, 48) | (uint64_t(le32(z, 52)) << 32);
  }
  uint64_t at = cd_offset;
  for (uint64_t e = 0; e < entries; ++e) {
    std::string h(46, '\0');
    read_at(at, h.data(), 46);
    if (le32(h, 0) != 0x02014b50) throw ParseError(path, 1, "corrupt zip directory");
    const uint16_t method = le16(h, 10), name_len = le16(h, 28), extra_len = le16(h, 30),
                   comment_len = le16(h, 32);
    uint64_t local = le32(h, 42);
    std::string name(name_len, '\0'), extra(extra_len, '\0');
    read_at(at + 46, name.data(), name_len);
    read_at(at + 46 + name_len, extra.data(), extra_len);
    if (local == 0xffffffffu) {  // zip64 extra: sizes present only when their fields are 0xffffffff
      std::size_t p = 0;
      while (p + 4 <= extra.size()) {
        const uint16_t id = le16(extra, p), len = le16(extra, p + 2);
        if (id == 1) {
          std::size_t q = p + 4;
          if (le32(h, 24) == 0xffffffffu) q += 8;
          if (le32(h, 20) == 0xffffffffu) q += 8;
          need(extra, q, 8);
          local = le32(extra, q) | (uint64_t(le32(extra, q + 4)) << 32);
        }
        p += 4 + len;
      }
    }
    if (method != 0)
      throw ParseError(
          path, 1,
          "member " + name + " is compressed; write it with numpy.savez (not savez_compressed)");
    std::string lh(30, '\0');
    read_at(local, lh.data(), 30);
    const uint64_t data = local + 30 + le16(lh, 26) + le16(lh, 28);
    std::string head(16, '\0');
    read_at(data, head.data(), 12);
    const bool v1 = static_cast<unsigned char>(head[6]) == 1;
    const uint64_t hlen = v1 ? le16(head, 8) : le32(head, 8);
    if (hlen > (1u << 20))
      throw ParseError(path, 1, "member " + name + ": implausible .npy header length");
    std::string npy(static_cast<std::size_t>((v1 ? 10 : 12) + hlen), '\0');
    read_at(data, npy.data(), npy.size());
    NpyArray a = parse_npy(npy, path + ":" + name);  // header only: no data after it
    Member m;
    m.shape = a.shape;
    m.dtype = a.dtype;
    m.data_offset = data + npy.size();
    m.item = a.dtype.rfind("<U", 0) == 0 ? 4 * std::strtoul(a.dtype.c_str() + 2, nullptr, 10)
             : a.dtype == "<f4"          ? 4
                                         : 8;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
      name.resize(name.size() - 4);
    members_.emplace_back(name, m);
    at += 46 + name_len + extra_len + comment_len;
  }
}

NpzReader::~NpzReader() {
  if (fd_ >= 0) ::close(fd_);
}

void NpzReader::read_at(uint64_t offset, void* out, uint64_t bytes) const {
  if (offset > file_size_ || bytes > file_size_ - offset)
    throw ParseError(path_, 1, "truncated archive");
  char* p = static_cast<char*>(out);
  while (bytes > 0) {
    const ssize_t n = ::pread(fd_, p, bytes, static_cast<off_t>(offset));
    if (n <= 0) throw ParseError(path_, 1, "truncated archive");
    p += n;
    offset += static_cast<uint64_t>(n);
    bytes -= static_cast<uint64_t>(n);
  }
}

bool NpzReader::has(const std::string& name) const {
  for (const auto& m : members_)
    if (m.first == name) return true;
  return false;
}

const NpzReader::Member& NpzReader::member(const std::string& name) const {
  for (const auto& m : members_)
    if (m.first == name) return m.second;
  throw ParseError(path_, 1, "no array '" + name + "' in the archive");
}

const std::vector<int64_t>& NpzReader::shape(const std::string& name) const {
  return member(name).shape;
}
const std::string& NpzReader::dtype(const std::string& name) const {
  return member(name).dtype;
}

std::vector<float> NpzReader::read_rows(const std::string& name, int64_t first,
                                        int64_t count) const {
  const Member& m = member(name);
  if (m.shape.empty() || first < 0 || count < 0 || first + count > m.shape[0])
    throw ParseError(path_, 1, "rows out of range in '" + name + "'");
  int64_t row = 1;
  for (std::size_t a = 1; a < m.shape.size(); ++a) {
    if (m.shape[a] < 0 || (m.shape[a] > 0 && static_cast<uint64_t>(row) >
                                                 file_size_ / static_cast<uint64_t>(m.shape[a])))
      throw ParseError(path_, 1, "bad shape of '" + name + "'");
    row *= m.shape[a];
  }
  if (count > 0 && static_cast<uint64_t>(row) > file_size_ / static_cast<uint64_t>(count))
    throw ParseError(path_, 1, "truncated member '" + name + "'");
  const uint64_t n = static_cast<uint64_t>(row * count);
  if (n > file_size_ / std::max<uint64_t>(1, m.item))
    throw ParseError(path_, 1, "truncated member '" + name + "'");
  std::vector<float> out(n);
  if (m.dtype == "<f4") {
    read_at(m.data_offset + static_cast<uint64_t>(first * row) * 4, out.data(), n * 4);
  } else if (m.dtype == "<f8" || m.dtype == "<i8") {
    std::vector<char> raw(n * 8);
    read_at(m.data_offset + static_cast<uint64_t>(first * row) * 8, raw.data(), n * 8);
    for (uint64_t i = 0; i < n; ++i) {
      if (m.dtype == "<f8") {
        double d;
        std::memcpy(&d, raw.data() + 8 * i, 8);
        out[i] = static_cast<float>(d);
      } else {
        int64_t d;
        std::memcpy(&d, raw.data() + 8 * i, 8);
        out[i] = static_cast<float>(d);
      }
    }
  } else {
    throw ParseError(path_, 1, "'" + name + "' is not numeric");
  }
  return out;
}

std::vector<double> NpzReader::read_all(const std::string& name) const {
  const Member& m = member(name);
  const auto rows = m.shape.empty() ? std::vector<float>{} : read_rows(name, 0, m.shape[0]);
  return std::vector<double>(rows.begin(), rows.end());
}

std::vector<std::string> NpzReader::read_strings(const std::string& name) const {
  const Member& m = member(name);
  if (m.dtype.rfind("<U", 0) != 0)
    throw ParseError(path_, 1, "'" + name + "' is not a string array");
  uint64_t n = 1;
  for (auto d : m.shape) {
    if (d < 0 || (d > 0 && n > file_size_ / static_cast<uint64_t>(d)))
      throw ParseError(path_, 1, "bad shape of '" + name + "'");
    n *= static_cast<uint64_t>(d);
  }
  if (n > file_size_ / std::max<std::size_t>(1, m.item))
    throw ParseError(path_, 1, "truncated member '" + name + "'");
  std::string raw(static_cast<std::size_t>(n) * m.item, '\0');
  read_at(m.data_offset, raw.data(), raw.size());
  std::string npy = npy_header(m.dtype, m.shape) + raw;
  return parse_npy(npy, path_ + ":" + name).strings;
}

}  // namespace seqlift
