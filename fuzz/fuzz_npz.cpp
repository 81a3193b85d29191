// libFuzzer target: the .npz reader used by `seqlets`, `motifs` and `merge`.
#include "fuzz_common.hpp"
#include "seqlift/error.hpp"
#include "seqlift/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = seqlift::fuzz::input_file(data, size, ".npz");
  try {
    seqlift::NpzReader z(path);
    for (const char* name : {"proj", "hyp", "names", "coords_chrom", "coords_start", "arr_0"}) {
      if (!z.has(name)) continue;
      const auto& shape = z.shape(name);
      int64_t n = 1;
      for (auto d : shape) n *= (d > 0 && d < (1 << 20)) ? d : (1 << 20);
      if (n > (1 << 22)) continue;  // keep allocations bounded
      if (z.dtype(name).rfind("<U", 0) == 0)
        z.read_strings(name);
      else if (!shape.empty() && shape[0] > 0)
        z.read_rows(name, 0, 1);
    }
  } catch (const seqlift::Error&) {
  }
  return 0;
}
