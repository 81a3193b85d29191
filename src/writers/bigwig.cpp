// bigWig and bedGraph output of an assembled track.
#include <bigWig.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "seqlift/error.hpp"
#include "seqlift/output.hpp"
#include "util/cleanup.hpp"
#include "writers/track.hpp"

namespace seqlift {

namespace {
std::once_flag g_bw_init;
constexpr int kZoomLevels = 10;

// A bigWig is complete when its header offsets lie inside the file and it ends with the
// magic (libBigWig writes it last). bwClose() reports no write errors, so a disk filling up
// while it writes the zoom levels and index is caught here, before the file is committed.
void verify_bigwig(const std::string& path, const std::string& tmp) {
  constexpr uint32_t kMagic = 0x888FFC26;
  std::FILE* f = std::fopen(tmp.c_str(), "rb");
  if (!f) throw IoError(path + ": cannot reopen to verify: " + std::strerror(errno));
  unsigned char h[64] = {0};
  uint32_t tail = 0;
  long size = -1;
  const bool read = std::fread(h, 1, sizeof h, f) == sizeof h && std::fseek(f, -4, SEEK_END) == 0 &&
                    std::fread(&tail, 4, 1, f) == 1 && (size = std::ftell(f)) > 0;
  std::fclose(f);
  auto u32 = [&](int at) {
    uint32_t v;
    std::memcpy(&v, h + at, 4);
    return v;
  };
  auto u64 = [&](int at) {
    uint64_t v;
    std::memcpy(&v, h + at, 8);
    return v;
  };
  bool ok = read && u32(0) == kMagic && tail == kMagic;
  // chromTreeOffset, fullDataOffset, fullIndexOffset, totalSummaryOffset
  for (int at : {8, 16, 24, 44}) ok = ok && u64(at) < static_cast<uint64_t>(size);
  if (!ok)
    throw IoError(path + ": the bigWig was not written completely (disk full?); nothing written");
}
}  // namespace

void write_bigwig(const std::string& path, TrackAssembler& track) {
  std::call_once(g_bw_init, [] { bwInit(1 << 17); });
  // The temporary is created (and its directory checked) before libBigWig sees it:
  // bwOpen() crashes on a path it cannot open.
  const StagedOutput staged = stage_output(path);
  struct Discard {
    const StagedOutput& s;
    bool keep = false;
    ~Discard() {
      if (!keep) discard_output(s);
    }
  } discard{staged};
  // A relative name with "://" would be taken for a URL.
  const std::string tmp = staged.tmp.find("://") != std::string::npos && staged.tmp[0] != '/'
                              ? "./" + staged.tmp
                              : staged.tmp;
  bigWigFile_t* fp = bwOpen(tmp.c_str(), nullptr, "w");
  if (!fp) throw IoError(path + ": cannot open for writing: " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    bwClose(fp);
    throw IoError(path + ": " + what);
  };
  if (bwCreateHdr(fp, kZoomLevels)) fail("cannot create the bigWig header");
  std::vector<const char*> names;
  std::vector<uint32_t> lengths;
  for (const auto& [name, len] : track.chrom_sizes()) {
    if (len == 0) continue;  // nothing can be written on it
    if (len < 0 || len > int64_t(UINT32_MAX))
      fail("chromosome '" + name + "' has length " + std::to_string(len) +
           ", outside what a bigWig can hold");
    names.push_back(name.c_str());
    lengths.push_back(static_cast<uint32_t>(len));
  }
  fp->cl = bwCreateChromList(names.data(), lengths.data(), static_cast<int64_t>(names.size()));
  if (!fp->cl) fail("cannot create the chromosome list");
  if (bwWriteHdr(fp)) fail("cannot write the bigWig header");
  try {
    track.assemble([&](const std::string& chrom, int64_t start, const float* values, int64_t n) {
      if (bwAddIntervalSpanSteps(fp, chrom.c_str(), static_cast<uint32_t>(start), 1, 1, values,
                                 static_cast<uint32_t>(n)))
        throw IoError(path + ": the bigWig was not written completely (cannot add values at " +
                      chrom + ":" + std::to_string(start) + ": disk full?); nothing written");
    });
  } catch (...) {
    bwClose(fp);
    throw;
  }
  bwClose(fp);  // writes zoom levels and the index
  verify_bigwig(path, staged.tmp);
  discard.keep = true;
  finish_output(staged);
}

void write_bedgraph(const std::string& path, TrackAssembler& track, const std::string& header) {
  OutputFile out(path);
  if (!header.empty()) std::fprintf(out.get(), "# %s\n", header.c_str());
  track.assemble([&](const std::string& chrom, int64_t start, const float* values, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      std::fprintf(out.get(), "%s\t%lld\t%lld\t%.6g\n", chrom.c_str(), (long long)(start + i),
                   (long long)(start + i + 1), values[i]);
  });
  out.commit();
}

}  // namespace seqlift
