// Internal: SHA-256 (FIPS 180-4) of a file, for provenance (`sha256sum` prints the same).
#pragma once
#include <string>

namespace seqlift {

/// Lower-case hex digest of `bytes`.
std::string sha256_hex(const std::string& bytes);
/// Lower-case hex digest of a file's contents, read in blocks; throws IoError.
std::string sha256_file(const std::string& path);

}  // namespace seqlift
