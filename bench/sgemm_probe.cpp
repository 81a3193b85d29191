// Measures this machine's single-precision GEMM throughput with Eigen (the same library
// and flags seqlift's kernels use): T threads each running independent single-threaded
// GEMMs of the shapes seqlift's convolutions produce. Prints GFLOP/s.
// Usage: sgemm_probe THREADS [SECONDS]
#include <omp.h>

#include <Eigen/Core>
#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 2.0;
  const int m = 2048, k = 64, n = 64;  // [L x Cin] * [Cin x Cout], as one conv tap
  double flops = 0;
  const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
  {
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(m, k), b = Eigen::MatrixXf::Random(k, n),
                    c = Eigen::MatrixXf::Zero(m, n);
    for (;;) {
      for (int rep = 0; rep < 50; ++rep) c.noalias() += a * b;
      flops += 50.0 * 2.0 * m * k * n;
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds)
        break;
    }
    if (c(0, 0) == 12345.0f) std::printf(" ");  // keep the result alive
  }
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.2f\n", flops / dt / 1e9);
  return 0;
}
