#include "seqlift/sequences.hpp"

#include "seqlift/error.hpp"
#include "seqlift/fasta.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/log.hpp"

namespace seqlift {

struct SequenceSource::Impl {
  SequenceSourceOptions options;
  std::unique_ptr<FastaReader> fasta;
  std::unique_ptr<Genome> genome;
  std::unique_ptr<BedReader> bed;
  std::size_t count = 0;
};

SequenceSource::SequenceSource(const SequenceSourceOptions& options) : impl_(new Impl) {
  impl_->options = options;
  const bool has_fasta = !options.fasta.empty();
  const bool has_genome = !options.genome.empty() || !options.regions.empty();
  if (has_fasta == has_genome)
    throw UsageError("give either --fasta, or --genome with --regions");
  if (has_fasta) {
    impl_->fasta = std::make_unique<FastaReader>(options.fasta);
  } else {
    if (options.genome.empty()) throw UsageError("--regions needs --genome");
    if (options.regions.empty()) throw UsageError("--genome needs --regions");
    impl_->genome = std::make_unique<Genome>(options.genome);
    impl_->bed = std::make_unique<BedReader>(options.regions);
  }
}

SequenceSource::~SequenceSource() = default;

const Genome* SequenceSource::genome() const { return impl_->genome.get(); }

bool SequenceSource::next(Region& region) {
  if (impl_->fasta) {
    FastaRecord rec;
    if (!impl_->fasta->next(rec)) {
      if (impl_->count == 0)
        throw ParseError(impl_->options.fasta, 1, "no FASTA records (empty file?)");
      return false;
    }
    region.name = std::move(rec.name);
    region.sequence = std::move(rec.sequence);
    region.window.reset();
    region.index = impl_->count++;
    return true;
  }
  BedRecord rec;
  while (impl_->bed->next(rec)) {
    const std::size_t index = impl_->count++;
    auto window = make_window(rec, *impl_->genome, impl_->options.window, impl_->options.regions);
    if (!window) continue;
    region.name = window->name;
    region.sequence = window_sequence(*window, *impl_->genome);
    region.window = std::move(window);
    region.index = index;
    return true;
  }
  if (impl_->count == 0)
    throw ParseError(impl_->options.regions, 1, "no regions (empty file?)");
  return false;
}

int64_t count_regions(const SequenceSourceOptions& options) {
  if (!options.fasta.empty()) {
    FastaReader reader(options.fasta);
    FastaRecord rec;
    int64_t n = 0;
    while (reader.next(rec)) ++n;
    return n;
  }
  Genome genome(options.genome);
  BedReader bed(options.regions);
  BedRecord rec;
  int64_t n = 0;
  const auto old = log_level();
  set_log_level(LogLevel::kError);  // skipped windows are reported by the real pass
  try {
    while (bed.next(rec)) n += make_window(rec, genome, options.window, options.regions).has_value();
  } catch (...) {
    set_log_level(old);
    throw;
  }
  set_log_level(old);
  return n;
}

void SequenceSource::report() const {
  if (impl_->fasta && impl_->fasta->ambiguous_bases() > 0)
    log_warn(impl_->options.fasta + ": " + std::to_string(impl_->fasta->ambiguous_bases()) +
             " IUPAC ambiguity codes were read as N");
}

}  // namespace seqlift
