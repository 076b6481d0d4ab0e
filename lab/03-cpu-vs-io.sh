#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Experiment 03 (section 3, TaskTypeComparison): 4 CPU-bound tasks in every
# mode (the process pool included), threads again under the emulated GIL
# (--gil), then the IO-bound test: 10 tasks sleeping 1 s in every mode.
set -eu
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init 03-cpu-vs-io "$@"
cpu=()
sleep_args=()
if [ "$QUICK" -eq 1 ]; then
	cpu=(--n 50000000)	# ~30 ms per task instead of ~0.2 s
	sleep_args=(--duration 0.05)
fi
lab_plan 9
for mode in sequential threads coroutines processes; do
	lab_run "cpu $mode" "cpu-$mode" cpu "$mode" "${cpu[@]}"
done
# The emulated GIL changes only threads mode (corolab records params.gil
# only there): sequential and coroutines run one task at a time anyway, and
# each process would have its own GIL.  One --gil run, no duplicates.
lab_run "cpu threads gil" "cpu-threads-gil" cpu threads --gil "${cpu[@]}"
for mode in sequential threads coroutines processes; do
	lab_run "sleep $mode" "sleep-$mode" sleep "$mode" "${sleep_args[@]}"
done
lab_finish
