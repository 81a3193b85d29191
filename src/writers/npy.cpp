#include "seqlift/npy.hpp"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "seqlift/error.hpp"

namespace seqlift {

int64_t NpyArray::size() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string npy_header(const std::string& dtype, const std::vector<int64_t>& shape) {
  std::string dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
  }
  dict += "), }";
  std::size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string header("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(dict.size() & 0xff);
  header += static_cast<char>((dict.size() >> 8) & 0xff);
  return header + dict;
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
    for (int i = 0; i < 4; ++i) header_len |= std::size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
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
    arr.shape.push_back(std::stoll(item));
  }
  std::size_t width = 0;
  if (arr.dtype.rfind("<U", 0) == 0) {
    const std::size_t chars = std::strtoul(arr.dtype.c_str() + 2, nullptr, 10);
    const int64_t n = arr.size();
    const std::size_t data_at = pos + header_len;
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
  if (arr.dtype == "<f4") width = 4;
  else if (arr.dtype == "<f8" || arr.dtype == "<i8") width = 8;
  else throw ParseError(what, 1, "unsupported dtype '" + arr.dtype + "'");
  const std::size_t data_at = pos + header_len;
  const int64_t n = arr.size();
  if (n < 0 || bytes.size() - data_at < static_cast<std::size_t>(n) * width)
    throw ParseError(what, 1, "truncated .npy data");
  arr.values.resize(n);
  const char* p = bytes.data() + data_at;
  for (int64_t i = 0; i < n; ++i) {
    if (arr.dtype == "<f4") { float v; std::memcpy(&v, p + 4 * i, 4); arr.values[i] = v; }
    else if (arr.dtype == "<f8") { double v; std::memcpy(&v, p + 8 * i, 8); arr.values[i] = v; }
    else { int64_t v; std::memcpy(&v, p + 8 * i, 8); arr.values[i] = static_cast<double>(v); }
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

NpyArray read_npy(const std::string& path) { return parse_npy(slurp(path), path); }

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
      throw ParseError(path, 1, "member " + name + ": unsupported zip method " + std::to_string(method));
    }
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
    out.emplace_back(name, parse_npy(member, path + ":" + name));
    pos = data_at + csize;
  }
  if (out.empty()) throw ParseError(path, 1, "not an .npz archive (no zip members)");
  return out;
}

// ---- writer ----

NpzWriter::NpzWriter(std::string path) : path_(std::move(path)) {
  tmp_path_ = path_ + ".tmp." + std::to_string(getpid());
  fp_ = std::fopen(tmp_path_.c_str(), "wb");
  if (!fp_) throw IoError(path_ + ": cannot open for writing: " + std::strerror(errno));
}

NpzWriter::~NpzWriter() {
  if (fp_) {
    std::fclose(fp_);
    std::remove(tmp_path_.c_str());
  }
}

static void put16(std::string& s, uint16_t v) { s += char(v & 0xff); s += char(v >> 8); }
static void put32(std::string& s, uint32_t v) { for (int i = 0; i < 4; ++i) s += char((v >> (8 * i)) & 0xff); }
static void put64(std::string& s, uint64_t v) { for (int i = 0; i < 8; ++i) s += char((v >> (8 * i)) & 0xff); }

// Members always carry a zip64 extra field so that arrays over 4 GiB work.
void NpzWriter::add_member(const std::string& name, const std::string& header, const char* data,
                           uint64_t bytes) {
  const std::string file_name = name + ".npy";
  const uint64_t size = header.size() + bytes;
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(header.data()), static_cast<uInt>(header.size()));
  for (uint64_t done = 0; done < bytes;) {
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(bytes - done, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data + done), chunk);
    done += chunk;
  }
  std::string local;
  put32(local, 0x04034b50);
  put16(local, 45);  // version needed (zip64)
  put16(local, 0);
  put16(local, 0);   // stored
  put16(local, 0);
  put16(local, 0x21);  // 1980-01-01
  put32(local, static_cast<uint32_t>(crc));
  put32(local, 0xffffffffu);
  put32(local, 0xffffffffu);
  put16(local, static_cast<uint16_t>(file_name.size()));
  put16(local, 20);
  local += file_name;
  put16(local, 0x0001);
  put16(local, 16);
  put64(local, size);
  put64(local, size);
  members_.push_back({file_name, offset_, size, static_cast<uint32_t>(crc)});
  if (std::fwrite(local.data(), 1, local.size(), fp_) != local.size() ||
      std::fwrite(header.data(), 1, header.size(), fp_) != header.size() ||
      (bytes && std::fwrite(data, 1, bytes, fp_) != bytes))
    throw IoError(path_ + ": write failed: " + std::strerror(errno));
  offset_ += local.size() + size;
}

void NpzWriter::add(const std::string& name, const std::vector<int64_t>& shape, const float* data) {
  uint64_t n = 1;
  for (auto d : shape) n *= d;
  add_member(name, npy_header("<f4", shape), reinterpret_cast<const char*>(data), n * 4);
}

void NpzWriter::add(const std::string& name, const std::vector<int64_t>& shape, const int64_t* data) {
  uint64_t n = 1;
  for (auto d : shape) n *= d;
  add_member(name, npy_header("<i8", shape), reinterpret_cast<const char*>(data), n * 8);
}

void NpzWriter::add_strings(const std::string& name, const std::vector<std::string>& values) {
  std::size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  std::vector<uint32_t> utf32(values.size() * width, 0);
  for (std::size_t i = 0; i < values.size(); ++i)
    for (std::size_t j = 0; j < values[i].size(); ++j)
      utf32[i * width + j] = static_cast<unsigned char>(values[i][j]);
  add_member(name, npy_header("<U" + std::to_string(width), {int64_t(values.size())}),
             reinterpret_cast<const char*>(utf32.data()), utf32.size() * 4);
}

void NpzWriter::commit() {
  std::string central;
  for (const auto& m : members_) {
    put32(central, 0x02014b50);
    put16(central, 45);
    put16(central, 45);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0x21);
    put32(central, m.crc);
    put32(central, 0xffffffffu);
    put32(central, 0xffffffffu);
    put16(central, static_cast<uint16_t>(m.name.size()));
    put16(central, 28);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put32(central, 0);
    put32(central, 0xffffffffu);
    central += m.name;
    put16(central, 0x0001);
    put16(central, 24);
    put64(central, m.size);
    put64(central, m.size);
    put64(central, m.offset);
  }
  const uint64_t cd_offset = offset_;
  std::string tail;
  // zip64 end of central directory record + locator, then the classic record.
  put32(tail, 0x06064b50);
  put64(tail, 44);
  put16(tail, 45);
  put16(tail, 45);
  put32(tail, 0);
  put32(tail, 0);
  put64(tail, members_.size());
  put64(tail, members_.size());
  put64(tail, central.size());
  put64(tail, cd_offset);
  put32(tail, 0x07064b50);
  put32(tail, 0);
  put64(tail, cd_offset + central.size());
  put32(tail, 1);
  put32(tail, 0x06054b50);
  put16(tail, 0);
  put16(tail, 0);
  put16(tail, 0xffff);
  put16(tail, 0xffff);
  put32(tail, 0xffffffffu);
  put32(tail, 0xffffffffu);
  put16(tail, 0);
  const bool ok = std::fwrite(central.data(), 1, central.size(), fp_) == central.size() &&
                  std::fwrite(tail.data(), 1, tail.size(), fp_) == tail.size();
  const bool closed = std::fclose(fp_) == 0;
  fp_ = nullptr;
  if (!ok || !closed) {
    std::remove(tmp_path_.c_str());
    throw IoError(path_ + ": write failed: " + std::strerror(errno));
  }
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    std::remove(tmp_path_.c_str());
    throw IoError(path_ + ": cannot rename from " + tmp_path_ + ": " + std::strerror(errno));
  }
}

}  // namespace seqlift
