#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Experiment 04 (section 4, CoroutineMemoryAnalysis): 1000 coroutines vs 50
# threads sleeping 0.1 s with RSS snapshots, then the scale-up the write-up
# avoided: 100,000 coroutines vs as many threads as this machine allows
# (pid_max and vm.max_map_count bound it; ~30,000 on the project machines).
set -eu
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init 04-memory "$@"

# Threads the scale-up may ask for: stay well under pid_max, threads-max
# and half of max_map_count (each thread stack is a mapping + guard).
max_threads() {
	local pid_max threads_max maps lim
	pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 32768)
	threads_max=$(cat /proc/sys/kernel/threads-max 2>/dev/null || echo 32768)
	maps=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 65530)
	lim=$((pid_max - 2000))
	[ $((threads_max - 2000)) -lt "$lim" ] && lim=$((threads_max - 2000))
	[ $((maps / 2 - 1000)) -lt "$lim" ] && lim=$((maps / 2 - 1000))
	[ "$lim" -gt 30000 ] && lim=30000
	echo "$lim"
}

if [ "$QUICK" -eq 1 ]; then
	small_c=200 small_t=20 big_c=5000 big_t=500 dur=0.05
else
	small_c=1000 small_t=50 big_c=100000 big_t=$(max_threads) dur=0.1
fi
lab_plan 4
lab_run "spawn coroutines $small_c" "spawn-coroutines-$small_c" spawn coroutines --tasks "$small_c" --duration "$dur"
lab_run "spawn threads $small_t" "spawn-threads-$small_t" spawn threads --tasks "$small_t" --duration "$dur"
lab_run "spawn coroutines $big_c" "spawn-coroutines-$big_c" spawn coroutines --tasks "$big_c" --duration 1
lab_run "spawn threads $big_t" "spawn-threads-$big_t" spawn threads --tasks "$big_t" --duration 1
lab_finish
