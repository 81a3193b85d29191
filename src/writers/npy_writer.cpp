// Writing NumPy .npy headers and streamed uncompressed .npz archives (the reader is
// io/npy_reader.cpp).
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "seqlift/error.hpp"
#include "seqlift/npy.hpp"
#include "util/cleanup.hpp"

namespace seqlift {

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

namespace {
void put16(std::string& s, uint16_t v) {
  s += char(v & 0xff);
  s += char(v >> 8);
}
void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += char((v >> (8 * i)) & 0xff);
}
void put64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s += char((v >> (8 * i)) & 0xff);
}
constexpr uint64_t kLocalHeaderFixed = 30 + 20;  // + file name; zip64 extra field of 20 bytes
}  // namespace

NpzWriter::NpzWriter(std::string path) : path_(std::move(path)) {
  staged_ = stage_output(path_);
  tmp_path_ = staged_.tmp;
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    discard_output(staged_);
    throw IoError(path_ + ": cannot open for writing: " + std::strerror(err));
  }
}

NpzWriter::~NpzWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) discard_output(staged_);
}

int NpzWriter::declare(const std::string& name, const std::string& dtype,
                       const std::vector<int64_t>& shape) {
  if (laid_out_) throw Error("NpzWriter: declare after the first append");
  Member m;
  m.name = name + ".npy";
  m.header = npy_header(dtype, shape);
  m.item = dtype.rfind("<U", 0) == 0 ? 4 * std::strtoul(dtype.c_str() + 2, nullptr, 10)
           : dtype == "<f4"          ? 4
                                     : 8;
  uint64_t n = 1;
  for (auto d : shape) n *= static_cast<uint64_t>(d);
  m.data_bytes = n * m.item;
  m.crc = static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(m.header.data()),
                                      static_cast<uInt>(m.header.size())));
  members_.push_back(std::move(m));
  return static_cast<int>(members_.size()) - 1;
}

void NpzWriter::layout() {
  uint64_t at = 0;
  for (auto& m : members_) {
    m.offset = at;
    at += kLocalHeaderFixed + m.name.size() + m.header.size() + m.data_bytes;
  }
  end_ = at;
  laid_out_ = true;
  for (auto& m : members_)  // npy headers now; zip headers at commit
    write_at(m.offset + kLocalHeaderFixed + m.name.size(), m.header.data(), m.header.size());
}

void NpzWriter::write_at(uint64_t offset, const void* data, uint64_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::pwrite(fd_, p, bytes, static_cast<off_t>(offset));
    if (n <= 0) throw IoError(path_ + ": write failed: " + std::strerror(errno));
    p += n;
    offset += static_cast<uint64_t>(n);
    bytes -= static_cast<uint64_t>(n);
  }
}

void NpzWriter::append(int id, const void* data, uint64_t bytes) {
  if (!laid_out_) layout();
  Member& m = members_.at(id);
  if (m.written + bytes > m.data_bytes)
    throw Error(path_ + ": member " + m.name + " receives more data than its declared shape");
  write_at(m.offset + kLocalHeaderFixed + m.name.size() + m.header.size() + m.written, data, bytes);
  const char* p = static_cast<const char*>(data);
  for (uint64_t done = 0; done < bytes;) {
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(bytes - done, 1u << 30));
    m.crc = static_cast<uint32_t>(crc32(m.crc, reinterpret_cast<const Bytef*>(p + done), chunk));
    done += chunk;
  }
  m.written += bytes;
}

void NpzWriter::append_strings(int id, const std::vector<std::string>& values) {
  const std::size_t width = members_.at(id).item / 4;
  std::vector<uint32_t> utf32(values.size() * width, 0);
  for (std::size_t i = 0; i < values.size(); ++i)
    for (std::size_t j = 0; j < values[i].size() && j < width; ++j)
      utf32[i * width + j] = static_cast<unsigned char>(values[i][j]);
  append(id, utf32.data(), utf32.size() * 4);
}

void NpzWriter::commit() {
  if (!laid_out_) layout();
  std::string central;
  for (const auto& m : members_) {
    if (m.written != m.data_bytes)
      throw Error(path_ + ": member " + m.name + " got " + std::to_string(m.written) + " of " +
                  std::to_string(m.data_bytes) + " bytes");
    const uint64_t size = m.header.size() + m.data_bytes;
    std::string local;
    put32(local, 0x04034b50);
    put16(local, 45);  // version needed (zip64)
    put16(local, 0);
    put16(local, 0);  // stored
    put16(local, 0);
    put16(local, 0x21);  // 1980-01-01
    put32(local, m.crc);
    put32(local, 0xffffffffu);
    put32(local, 0xffffffffu);
    put16(local, static_cast<uint16_t>(m.name.size()));
    put16(local, 20);
    local += m.name;
    put16(local, 0x0001);
    put16(local, 16);
    put64(local, size);
    put64(local, size);
    write_at(m.offset, local.data(), local.size());
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
    put64(central, size);
    put64(central, size);
    put64(central, m.offset);
  }
  std::string tail;  // zip64 end of central directory record + locator, then the classic record
  put32(tail, 0x06064b50);
  put64(tail, 44);
  put16(tail, 45);
  put16(tail, 45);
  put32(tail, 0);
  put32(tail, 0);
  put64(tail, members_.size());
  put64(tail, members_.size());
  put64(tail, central.size());
  put64(tail, end_);
  put32(tail, 0x07064b50);
  put32(tail, 0);
  put64(tail, end_ + central.size());
  put32(tail, 1);
  put32(tail, 0x06054b50);
  put16(tail, 0);
  put16(tail, 0);
  put16(tail, 0xffff);
  put16(tail, 0xffff);
  put32(tail, 0xffffffffu);
  put32(tail, 0xffffffffu);
  put16(tail, 0);
  write_at(end_, central.data(), central.size());
  write_at(end_ + central.size(), tail.data(), tail.size());
  const bool synced = ::fsync(fd_) == 0 || errno == EINVAL;
  const bool closed = ::close(fd_) == 0;
  fd_ = -1;
  if (!synced || !closed) throw IoError(path_ + ": write failed: " + std::strerror(errno));
  committed_ = true;
  finish_output(staged_);
}

}  // namespace seqlift
