// Usable cores: the affinity mask capped by the cgroup CPU quota.
#include "seqlift/cores.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

namespace seqlift {

namespace {

// Quota in CPUs from cgroup v2 "cpu.max" ("max 100000" or "200000 100000"), else from
// cgroup v1's cfs files; 0 when there is no quota or it cannot be read.
double cgroup_cpu_quota() {
  std::ifstream v2("/sys/fs/cgroup/cpu.max");
  std::string quota;
  double period = 0;
  if (v2 >> quota >> period) {
    if (quota == "max" || period <= 0) return 0;
    return std::atof(quota.c_str()) / period;
  }
  std::ifstream q("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), p("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  double qv = 0, pv = 0;
  if (q >> qv && p >> pv && qv > 0 && pv > 0) return qv / pv;
  return 0;
}

}  // namespace

int usable_cores() {
  static const int cores = [] {
    int n = std::max(omp_get_num_procs(), 1);
    const double quota = cgroup_cpu_quota();
    if (quota > 0) n = std::min(n, std::max(1, static_cast<int>(std::ceil(quota - 1e-9))));
    return n;
  }();
  return cores;
}

int default_threads() {
  const char* env = std::getenv("OMP_NUM_THREADS");
  const int n = env ? std::atoi(env) : 0;  // "4" or "4,2" (nested levels): the first
  return n > 0 ? n : usable_cores();
}

void set_default_threads() {
  const char* env = std::getenv("OMP_NUM_THREADS");
  if (env && *env) return;
  omp_set_num_threads(usable_cores());
}

}  // namespace seqlift
