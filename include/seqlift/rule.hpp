// The DeepLIFT rule a user chooses (--rule). Every layer applies it in its own
// backward(); this is the one enum that names rules.
#pragma once
#include <string>

namespace seqlift {

enum class Rule {
  kRescale,       ///< Rescale at every elementwise nonlinearity
  kRevealCancel,  ///< RevealCancel wherever the nonlinearity follows a Conv/Dense layer
  kGenomics,  ///< Rescale after conv layers, RevealCancel after dense layers (DeepLIFT's genomics
              ///< default)
  kGradient,  ///< gradient x (X - R): for comparison; does NOT satisfy summation-to-delta
};
/// "rescale", "reveal-cancel", "genomics", "gradient"; throws UsageError otherwise.
Rule parse_rule(const std::string& name);
const char* rule_string(Rule rule);

}  // namespace seqlift
