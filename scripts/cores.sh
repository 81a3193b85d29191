#!/usr/bin/env bash
# Prints the cores this shell may really use: nproc (the affinity mask) capped by the
# cgroup CPU quota. In a container nproc often reports every host CPU while the quota
# allows two, and `make -j`/`ctest -j` with the host's count would oversubscribe it.
set -euo pipefail
n=$(nproc)
q=""
if [ -r /sys/fs/cgroup/cpu.max ]; then
  read -r quota period < /sys/fs/cgroup/cpu.max || true
  [ "${quota:-max}" != max ] && q=$(( (quota + period - 1) / period ))
elif [ -r /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
  quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)
  period=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)
  [ "$quota" -gt 0 ] && q=$(( (quota + period - 1) / period ))
fi
if [ -n "$q" ] && [ "$q" -ge 1 ] && [ "$q" -lt "$n" ]; then n=$q; fi
# SEQLIFT_MAX_JOBS caps it further (CI sets it: a runner may show more CPUs than it grants
# without saying so in a cgroup file).
if [ -n "${SEQLIFT_MAX_JOBS:-}" ] && [ "$SEQLIFT_MAX_JOBS" -ge 1 ] && [ "$SEQLIFT_MAX_JOBS" -lt "$n" ]; then
  n=$SEQLIFT_MAX_JOBS
fi
echo "$n"
