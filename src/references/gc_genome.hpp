// gc-genome references: windows of the genome whose GC fraction falls in the region's
// GC bin (width 0.02), avoiding the scored regions, an optional exclusion BED and
// windows with more than 10% N.
#pragma once
#include <memory>

#include "seqlift/references.hpp"

namespace seqlift {

std::unique_ptr<ReferenceSource> make_gc_genome_references(const ReferenceOptions& options);

}  // namespace seqlift
