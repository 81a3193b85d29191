// How many cores this process may really use.
#pragma once

namespace seqlift {

/// Cores available to this process: the CPUs in its affinity mask, capped by a cgroup CPU
/// quota when one is set (containers, Slurm, Kubernetes: cgroup v2 cpu.max or v1
/// cpu.cfs_quota_us, rounded up). A container often sees all of the host's CPUs in its
/// affinity mask while its quota allows two; one OpenMP thread per visible CPU then
/// spends most of its time descheduled. Thread-safe; read once and cached.
int usable_cores();

/// The default thread count (`--threads 0`): OMP_NUM_THREADS when it is a positive number
/// (the user's or the scheduler's choice), else usable_cores().
int default_threads();

/// Makes OpenMP's default team size usable_cores(), unless OMP_NUM_THREADS is set (the
/// user's choice wins). Call once at start-up, before any parallel region.
void set_default_threads();

}  // namespace seqlift
