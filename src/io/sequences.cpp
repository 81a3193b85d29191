#include "seqlift/sequences.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "seqlift/error.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/log.hpp"

namespace seqlift {

namespace {
// BED records from --regions or --region, filtered by --chroms.
class RecordStream {
 public:
  explicit RecordStream(const SequenceSourceOptions& o) : o_(o) {
    if (o.region_list.empty()) bed_ = std::make_unique<BedReader>(o.regions);
  }
  bool next(BedRecord& rec) {
    for (;;) {
      if (bed_) {
        if (!bed_->next(rec)) return false;
      } else {
        if (next_ >= o_.region_list.size()) return false;
        rec = o_.region_list[next_++];
      }
      if (o_.chroms.empty() ||
          std::find(o_.chroms.begin(), o_.chroms.end(), rec.chrom) != o_.chroms.end())
        return true;
    }
  }
  const std::string& name() const {
    static const std::string kRegion = "--region";
    return bed_ ? o_.regions : kRegion;
  }

 private:
  const SequenceSourceOptions& o_;
  std::unique_ptr<BedReader> bed_;
  std::size_t next_ = 0;
};

void check_source(const SequenceSourceOptions& o) {
  if (!o.region_list.empty() && !o.regions.empty())
    throw UsageError("--region cannot be combined with --regions");
  if (!o.chroms.empty() && !o.fasta.empty())
    throw UsageError("--chroms filters --regions/--region in --genome, not --fasta");
}
}  // namespace

struct SequenceSource::Impl {
  SequenceSourceOptions options;
  std::unique_ptr<FastaReader> fasta;
  std::unique_ptr<Genome> genome;
  std::unique_ptr<RecordStream> bed;
  std::size_t count = 0;
};

// Checked before any window is fetched: a window is allocated whole.
static void check_width(const SequenceSourceOptions& o, const Genome& genome) {
  int64_t longest = 0;
  for (const auto& c : genome.chromosomes()) longest = std::max(longest, genome.length(c));
  if (o.window.width > longest)
    throw UsageError("--width " + std::to_string(o.window.width) +
                     " is longer than every chromosome of " + genome.path() + " (longest " +
                     std::to_string(longest) + " bp)");
}

SequenceSource::SequenceSource(const SequenceSourceOptions& options) : impl_(new Impl) {
  impl_->options = options;
  check_source(options);
  const bool has_fasta = !options.fasta.empty();
  const bool has_genome =
      !options.genome.empty() || !options.regions.empty() || !options.region_list.empty();
  if (has_fasta == has_genome) throw UsageError("give either --fasta, or --genome with --regions");
  if (has_fasta) {
    impl_->fasta = std::make_unique<FastaReader>(options.fasta);
  } else {
    if (options.genome.empty()) throw UsageError("--regions needs --genome");
    if (options.regions.empty() && options.region_list.empty())
      throw UsageError("--genome needs --regions or --region");
    impl_->genome = std::make_unique<Genome>(impl_->options.genome);
    check_width(options, *impl_->genome);
    impl_->bed = std::make_unique<RecordStream>(impl_->options);
  }
}

SequenceSource::~SequenceSource() = default;

const Genome* SequenceSource::genome() const {
  return impl_->genome.get();
}

static bool in_shard(const SequenceSourceOptions& o, std::size_t index) {
  return static_cast<int64_t>(index % static_cast<std::size_t>(o.shard_count)) == o.shard_index;
}

bool SequenceSource::next(Region& region) {
  if (impl_->fasta) {
    FastaRecord rec;
    for (;;) {
      if (!impl_->fasta->next(rec)) {
        if (impl_->count == 0)
          throw ParseError(impl_->options.fasta, 1, "no FASTA records (empty file?)");
        return false;
      }
      const std::size_t index = impl_->count++;
      if (!in_shard(impl_->options, index)) continue;
      region.name = std::move(rec.name);
      region.sequence = std::move(rec.sequence);
      region.window.reset();
      region.index = index;
      return true;
    }
  }
  BedRecord rec;
  while (impl_->bed->next(rec)) {
    const std::size_t index = impl_->count++;
    if (!in_shard(impl_->options, index)) continue;
    auto window = make_window(rec, *impl_->genome, impl_->options.window, impl_->bed->name());
    if (!window) continue;
    region.name = window->name;
    region.sequence = window_sequence(*window, *impl_->genome);
    region.window = std::move(window);
    region.index = index;
    return true;
  }
  if (impl_->count == 0)
    throw ParseError(impl_->bed->name(), 1,
                     impl_->options.chroms.empty() ? "no regions (empty file?)"
                                                   : "no regions on the --chroms chromosomes");
  return false;
}

RegionCount count_regions(const SequenceSourceOptions& options) {
  RegionCount c;
  auto note = [&](const std::string& name, const std::string& chrom) {
    ++c.regions;
    c.max_name_length = std::max(c.max_name_length, name.size());
    c.max_chrom_length = std::max(c.max_chrom_length, chrom.size());
  };
  int64_t index = 0;
  if (!options.fasta.empty()) {
    FastaReader reader(options.fasta);
    FastaRecord rec;
    while (reader.next(rec))
      if (in_shard(options, index++)) note(rec.name, rec.name);
    if (index == 0) throw ParseError(options.fasta, 1, "no FASTA records (empty file?)");
    return c;
  }
  check_source(options);
  Genome genome(options.genome);
  check_width(options, genome);
  RecordStream bed(options);
  BedRecord rec;
  const auto old = log_level();
  set_log_level(LogLevel::kError);  // skipped windows are reported by the real pass
  try {
    while (bed.next(rec)) {
      if (!in_shard(options, index++)) continue;
      auto w = make_window(rec, genome, options.window, bed.name());
      if (w) note(w->name, w->chrom);
    }
  } catch (...) {
    set_log_level(old);
    throw;
  }
  set_log_level(old);
  if (index == 0)
    throw ParseError(bed.name(), 1,
                     options.chroms.empty() ? "no regions (empty file?)"
                                            : "no regions on the --chroms chromosomes");
  return c;
}

void parse_shard(const std::string& spec, SequenceSourceOptions& o) {
  const auto slash = spec.find('/');
  char* end1 = nullptr;
  char* end2 = nullptr;
  errno = 0;
  const long i = slash == std::string::npos ? -1 : std::strtol(spec.c_str(), &end1, 10);
  const long n = slash == std::string::npos ? 0 : std::strtol(spec.c_str() + slash + 1, &end2, 10);
  if (slash == std::string::npos || errno == ERANGE || slash == 0 || end1 != spec.c_str() + slash ||
      *end2 || n < 1 || i < 0 || i >= n)
    throw UsageError("--shard must be I/N with 0 <= I < N (got '" + spec + "')");
  o.shard_index = i;
  o.shard_count = n;
}

void SequenceSource::report() const {
  if (impl_->fasta && impl_->fasta->ambiguous_bases() > 0)
    log_warn(impl_->options.fasta + ": " + std::to_string(impl_->fasta->ambiguous_bases()) +
             " IUPAC ambiguity codes were read as N");
}

}  // namespace seqlift
