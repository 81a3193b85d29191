#include "seqlift/track.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "seqlift/error.hpp"

namespace seqlift {

TrackAssembler::TrackAssembler(std::vector<std::pair<std::string, int64_t>> chrom_sizes)
    : chroms_(std::move(chrom_sizes)) {
  for (std::size_t i = 0; i < chroms_.size(); ++i)
    chrom_index_[chroms_[i].first] = static_cast<int32_t>(i);
  spool_ = std::tmpfile();
  if (!spool_)
    throw IoError(std::string("cannot create a temporary file for track values: ") +
                  std::strerror(errno));
}

TrackAssembler::~TrackAssembler() {
  if (spool_) std::fclose(spool_);
}

void TrackAssembler::add(const std::string& chrom, int64_t start, int64_t end,
                         const float* values) {
  auto it = chrom_index_.find(chrom);
  if (it == chrom_index_.end())
    throw InputError("track: chromosome '" + chrom + "' is not in the genome");
  const int64_t n = end - start;
  if (std::fwrite(values, sizeof(float), n, spool_) != static_cast<std::size_t>(n))
    throw IoError(std::string("track spool: write failed: ") + std::strerror(errno));
  entries_.push_back({it->second, start, end, spooled_});
  spooled_ += n;
}

void TrackAssembler::assemble(
    const std::function<void(const std::string&, int64_t, const float*, int64_t)>& emit) {
  if (std::fflush(spool_) != 0)
    throw IoError(std::string("track spool: flush failed: ") + std::strerror(errno));
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return a.chrom != b.chrom ? a.chrom < b.chrom : a.start < b.start;
  });
  std::vector<float> run;  // values of the current run of covered bases
  std::size_t i = 0;
  while (i < entries_.size()) {
    const int32_t chrom = entries_[i].chrom;
    const int64_t chrom_len = chroms_[chrom].second;
    std::size_t j = i;
    while (j < entries_.size() && entries_[j].chrom == chrom) ++j;
    // Windows [i, j) on this chromosome, sorted by start. Sweep positions keeping the
    // windows that cover the current base, with their values loaded.
    struct Active {
      int64_t start, end;
      double centre;
      std::vector<float> values;
    };
    std::vector<Active> active;
    std::size_t next = i;
    int64_t run_start = -1;
    auto flush = [&] {
      if (!run.empty())
        emit(chroms_[chrom].first, run_start, run.data(), static_cast<int64_t>(run.size()));
      run.clear();
      run_start = -1;
    };
    int64_t pos = std::max<int64_t>(0, entries_[i].start);
    while (true) {
      active.erase(std::remove_if(active.begin(), active.end(),
                                  [&](const Active& a) { return a.end <= pos; }),
                   active.end());
      if (active.empty()) {
        flush();
        if (next >= j) break;
        pos = std::max(pos, std::max<int64_t>(0, entries_[next].start));
      }
      while (next < j && entries_[next].start <= pos) {
        const Entry& e = entries_[next++];
        if (e.end <= pos) continue;
        Active a{e.start, e.end, 0.5 * (e.start + e.end), std::vector<float>(e.end - e.start)};
        if (std::fseek(spool_, static_cast<long>(e.offset * sizeof(float)), SEEK_SET) != 0 ||
            std::fread(a.values.data(), sizeof(float), a.values.size(), spool_) != a.values.size())
          throw IoError("track spool: read failed");
        active.push_back(std::move(a));
      }
      if (active.empty()) continue;
      if (pos >= chrom_len) {
        flush();
        break;
      }
      const Active* best = &active[0];
      for (const auto& a : active)
        if (std::fabs(pos + 0.5 - a.centre) < std::fabs(pos + 0.5 - best->centre)) best = &a;
      if (run_start < 0) run_start = pos;
      run.push_back(best->values[pos - best->start]);
      ++pos;
    }
    i = j;
  }
  std::fseek(spool_, 0, SEEK_END);
}

}  // namespace seqlift
