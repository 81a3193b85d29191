// Internal: reusable float buffers: hot loops take and give back buffers instead of allocating,
// so repeated calls touch no new pages. One pool per thread; not thread-safe.
#pragma once
#include <cstddef>
#include <vector>

namespace seqlift {

class BufferPool {
 public:
  /// A buffer of exactly n floats (contents unspecified).
  std::vector<float> take(std::size_t n) {
    std::size_t best = free_.size();
    for (std::size_t i = 0; i < free_.size(); ++i)
      if (free_[i].capacity() >= n &&
          (best == free_.size() || free_[i].capacity() < free_[best].capacity()))
        best = i;
    std::vector<float> v;
    if (best < free_.size()) {
      v.swap(free_[best]);
      free_[best].swap(free_.back());
      free_.pop_back();
    }
    v.resize(n);
    return v;
  }
  /// A buffer of n zeros.
  std::vector<float> take_zeroed(std::size_t n) {
    auto v = take(n);
    std::fill(v.begin(), v.end(), 0.0f);
    return v;
  }
  void give(std::vector<float>& v) {
    if (v.capacity() == 0) return;
    free_.emplace_back();
    free_.back().swap(v);
    v.clear();
  }

 private:
  std::vector<std::vector<float>> free_;
};

}  // namespace seqlift
