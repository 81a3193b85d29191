// bigWig and bedGraph output of an assembled track.
#include <bigWig.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "seqlift/cleanup.hpp"
#include "seqlift/error.hpp"
#include "seqlift/output.hpp"
#include "seqlift/track.hpp"

namespace seqlift {

namespace {
std::once_flag g_bw_init;
constexpr int kZoomLevels = 10;
}  // namespace

void write_bigwig(const std::string& path, TrackAssembler& track) {
  std::call_once(g_bw_init, [] { bwInit(1 << 17); });
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  register_temp_file(tmp);
  struct Unregister {
    std::string p;
    ~Unregister() { unregister_temp_file(p); }
  } unregister{tmp};
  bigWigFile_t* fp = bwOpen(tmp.c_str(), nullptr, "w");
  if (!fp) throw IoError(path + ": cannot open for writing: " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    bwClose(fp);
    std::remove(tmp.c_str());
    throw IoError(path + ": " + what);
  };
  if (bwCreateHdr(fp, kZoomLevels)) fail("cannot create the bigWig header");
  std::vector<const char*> names;
  std::vector<uint32_t> lengths;
  for (const auto& [name, len] : track.chrom_sizes()) {
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
        throw IoError(path + ": cannot add values at " + chrom + ":" + std::to_string(start));
    });
  } catch (...) {
    bwClose(fp);
    std::remove(tmp.c_str());
    throw;
  }
  bwClose(fp);  // writes zoom levels and the index
  rename_into_place(tmp, path);
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
