// Values for a model's extra inputs (everything but the one-hot sequence: BPNet control
// tracks, Xpresso's half-life features, ...), supplied per region by the user with
// `--extra-input NAME=VALUE`. DeepLIFT holds them equal in X and its references.
//
// VALUE is one of
//   zeros                   every element 0
//   <number>                every element that constant (e.g. 0.5, -1e-3)
//   FILE.npy                [N, ...shape] one row per region in input order (0-based
//                           Region::index), or [...shape] shared by every region
//   bigwig:PLUS.bw,MINUS.bw control tracks read at the region's coordinates (genome
//                           input only). A profile input (shape [P, 2] or [2, P]; the axis
//                           of size 2 is the strand) takes the central P bases of the
//                           region: + strand from PLUS, - strand from MINUS, absolute
//                           values, missing data 0; for a '-' region both are reversed and
//                           swapped, as the sequence is. A count input (shape [1] or [2])
//                           takes log(1 + total) over the central P bases (P of the
//                           model's profile input, else the whole region): [1] both strands
//                           summed, [2] per strand (+, -). This is how BPNet / chrombpnet
//                           control tracks are made for training.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seqlift/model.hpp"
#include "seqlift/sequences.hpp"

namespace seqlift {

class ExtraInputs {
 public:
  /// specs: "NAME=VALUE" strings. Throws UsageError for a malformed spec, an unknown
  /// name, or (listing each with its shape) model inputs left unsupplied; IoError /
  /// InputError for unreadable files or shapes that do not fit.
  ExtraInputs(const Model& model, const std::vector<std::string>& specs);
  ~ExtraInputs();
  ExtraInputs(const ExtraInputs&) = delete;
  ExtraInputs& operator=(const ExtraInputs&) = delete;

  /// Scalars per region (= model.extra_size()); 0 for a model without extra inputs.
  int64_t size() const { return size_; }
  /// Writes the region's extra inputs, out[size()], in the model's extra-input order.
  /// Thread-safe (bigWig reads are serialised).
  void fill(const Region& region, float* out) const;
  /// One line per input for the log: "control_profile [1000, 2] = zeros".
  std::string describe() const;

 private:
  struct Input;
  std::vector<std::unique_ptr<Input>> inputs_;
  int64_t size_ = 0;
};

}  // namespace seqlift
