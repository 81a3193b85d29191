#include "writers/track.hpp"

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
  index_spool_ = std::tmpfile();
  if (!spool_ || !index_spool_) {
    if (spool_) std::fclose(spool_);
    if (index_spool_) std::fclose(index_spool_);
    throw IoError(std::string("cannot create a temporary file for track values: ") +
                  std::strerror(errno));
  }
  buffer_.reserve(kRunEntries);
}

TrackAssembler::~TrackAssembler() {
  std::fclose(spool_);
  std::fclose(index_spool_);
}

namespace {
bool entry_less(int32_t ca, int64_t sa, uint64_t oa, int32_t cb, int64_t sb, uint64_t ob) {
  return ca != cb ? ca < cb : sa != sb ? sa < sb : oa < ob;
}
}  // namespace

void TrackAssembler::spill_run() {
  if (buffer_.empty()) return;
  std::stable_sort(buffer_.begin(), buffer_.end(), [](const Entry& a, const Entry& b) {
    return entry_less(a.chrom, a.start, a.order, b.chrom, b.start, b.order);
  });
  if (std::fseek(index_spool_, static_cast<long>(indexed_ * sizeof(Entry)), SEEK_SET) != 0 ||
      std::fwrite(buffer_.data(), sizeof(Entry), buffer_.size(), index_spool_) != buffer_.size())
    throw IoError(std::string("track index spool: write failed: ") + std::strerror(errno));
  runs_.emplace_back(indexed_, buffer_.size());
  indexed_ += buffer_.size();
  buffer_.clear();
}

// The spilled runs merged in (chrom, start) order; equal keys in insertion order (runs
// are in insertion order and each is stably sorted). Reads each run through a small
// buffer, so memory is O(runs), not O(windows).
class TrackAssembler::MergedEntries {
 public:
  MergedEntries(std::FILE* file, const std::vector<std::pair<uint64_t, uint64_t>>& runs)
      : file_(file) {
    for (const auto& [first, count] : runs) cursors_.push_back({first, first + count, {}, 0});
  }
  /// The next entry without consuming it; false at the end.
  bool peek(Entry& e) {
    int best = -1;
    for (std::size_t r = 0; r < cursors_.size(); ++r) {
      if (!fill(cursors_[r])) continue;
      const Entry& c = cursors_[r].buf[cursors_[r].pos];
      if (best < 0 || entry_less(c.chrom, c.start, c.order, head(best).chrom, head(best).start,
                                 head(best).order))
        best = static_cast<int>(r);
    }
    if (best < 0) return false;
    current_ = best;
    e = head(best);
    return true;
  }
  void pop() { ++cursors_[current_].pos; }

 private:
  struct Cursor {
    uint64_t next, end;  ///< entries still in the file: [next, end)
    std::vector<Entry> buf;
    std::size_t pos;
  };
  const Entry& head(int r) const { return cursors_[r].buf[cursors_[r].pos]; }
  bool fill(Cursor& c) {
    if (c.pos < c.buf.size()) return true;
    if (c.next >= c.end) return false;
    const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(256, c.end - c.next));
    c.buf.resize(n);
    c.pos = 0;
    if (std::fseek(file_, static_cast<long>(c.next * sizeof(Entry)), SEEK_SET) != 0 ||
        std::fread(c.buf.data(), sizeof(Entry), n, file_) != n)
      throw IoError("track index spool: read failed");
    c.next += n;
    return true;
  }
  std::FILE* file_;
  std::vector<Cursor> cursors_;
  int current_ = -1;
};

void TrackAssembler::add(const std::string& chrom, int64_t start, int64_t end, const float* values,
                         std::optional<uint64_t> order) {
  auto it = chrom_index_.find(chrom);
  if (it == chrom_index_.end())
    throw InputError("track: chromosome '" + chrom + "' is not in the genome");
  const int64_t n = end - start;
  if (std::fwrite(values, sizeof(float), n, spool_) != static_cast<std::size_t>(n))
    throw IoError(std::string("track spool: write failed: ") + std::strerror(errno));
  buffer_.push_back({it->second, start, end, spooled_, order ? *order : added_});
  ++added_;
  spooled_ += n;
  if (buffer_.size() == kRunEntries) spill_run();
}

void TrackAssembler::assemble(
    const std::function<void(const std::string&, int64_t, const float*, int64_t)>& emit) {
  if (std::fflush(spool_) != 0)
    throw IoError(std::string("track spool: flush failed: ") + std::strerror(errno));
  spill_run();
  if (std::fflush(index_spool_) != 0)
    throw IoError(std::string("track index spool: flush failed: ") + std::strerror(errno));
  MergedEntries entries(index_spool_, runs_);
  // Runs of covered bases are emitted in pieces of at most this many bases, so tiled
  // windows across a whole chromosome do not build one chromosome-long buffer.
  constexpr std::size_t kMaxRun = std::size_t(1) << 20;
  std::vector<float> run;  // values of the current run of covered bases
  Entry e;
  bool more = entries.peek(e);
  while (more) {
    const int32_t chrom = e.chrom;
    const int64_t chrom_len = chroms_[chrom].second;
    // Windows of this chromosome arrive sorted by start. Sweep positions keeping the
    // windows that cover the current base, with their values loaded.
    struct Active {
      int64_t start, end;
      double centre;
      std::vector<float> values;
    };
    std::vector<Active> active;
    int64_t run_start = -1;
    auto flush = [&] {
      if (!run.empty())
        emit(chroms_[chrom].first, run_start, run.data(), static_cast<int64_t>(run.size()));
      run.clear();
      run_start = -1;
    };
    auto next_here = [&] { return more && e.chrom == chrom; };
    int64_t pos = std::max<int64_t>(0, e.start);
    while (true) {
      active.erase(std::remove_if(active.begin(), active.end(),
                                  [&](const Active& a) { return a.end <= pos; }),
                   active.end());
      if (active.empty()) {
        flush();
        if (!next_here()) break;
        pos = std::max(pos, std::max<int64_t>(0, e.start));
      }
      while (next_here() && e.start <= pos) {
        const Entry w = e;
        entries.pop();
        more = entries.peek(e);
        if (w.end <= pos) continue;
        Active a{w.start, w.end, 0.5 * (w.start + w.end), std::vector<float>(w.end - w.start)};
        if (std::fseek(spool_, static_cast<long>(w.offset * sizeof(float)), SEEK_SET) != 0 ||
            std::fread(a.values.data(), sizeof(float), a.values.size(), spool_) != a.values.size())
          throw IoError("track spool: read failed");
        active.push_back(std::move(a));
      }
      if (active.empty()) continue;
      if (pos >= chrom_len) {
        flush();
        // Windows still to come on this chromosome start past its end: skip them.
        while (next_here()) {
          entries.pop();
          more = entries.peek(e);
        }
        break;
      }
      const Active* best = &active[0];
      for (const auto& a : active)
        if (std::fabs(pos + 0.5 - a.centre) < std::fabs(pos + 0.5 - best->centre)) best = &a;
      if (run_start < 0) run_start = pos;
      run.push_back(best->values[pos - best->start]);
      if (run.size() == kMaxRun) flush();
      ++pos;
    }
  }
  std::fseek(spool_, 0, SEEK_END);
}

}  // namespace seqlift
