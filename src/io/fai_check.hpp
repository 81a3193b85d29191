// Validation of a FASTA index before htslib loads it: htslib divides by the line-length
// fields (SIGFPE on zeros) and trusts the offsets, so a .fai from before the genome was
// edited or re-wrapped would silently fetch the wrong bases.
#pragma once
#include <string>

namespace seqlift {

/// Throws ParseError (naming the .fai line) for malformed fields, and InputError when the
/// index does not describe `fasta` (stale). Layout checks only for uncompressed files.
void validate_fai(const std::string& fasta, const std::string& fai);

}  // namespace seqlift
