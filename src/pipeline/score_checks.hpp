// Checks run_score makes before allocating anything: option ranges, the memory the
// references will take, output paths.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "seqlift/score.hpp"

namespace seqlift {

/// --n-refs, --length, --width, --threads within what the run can represent.
void check_seed_and_counts(const ScoreOptions& o);
/// Every file a run with these options writes (modisco members included).
std::vector<std::string> score_output_paths(const ScoreOptions& o,
                                            const std::vector<std::string>& labels);
/// Throws UsageError when `parallel` regions' references (K x n_in floats each) and
/// contributions would not fit in the machine's memory.
void check_memory(int64_t K, int64_t n_in, int64_t T, int64_t parallel);

}  // namespace seqlift
