#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Experiment 05 ("switching overhead is tiny"): two tasks passing a token N
# times — ns per switch for coroutines (with glibc swapcontext measured in the
# same run as a baseline), threads (futex) and processes (pipe) — plus the
# creation cost per task from the spawn workload (threads, coroutines).
set -eu
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init 05-switch-cost "$@"
trips=1000000 spawn_n=2000
if [ "$QUICK" -eq 1 ]; then
	trips=20000 spawn_n=200
fi
lab_plan 5
for mode in coroutines threads processes; do
	lab_run "switch $mode" "switch-$mode" switch "$mode" --tasks "$trips"
done
# spawn has no processes mode (it measures tasks inside one process).
for mode in coroutines threads; do
	lab_run "create $mode" "create-$mode" spawn "$mode" --tasks "$spawn_n" --duration 0
done
lab_finish
