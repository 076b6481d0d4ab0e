#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Experiment 03 (section 3, TaskTypeComparison): 4 CPU-bound tasks in every
# mode, without and with the emulated GIL (--gil; processes have one GIL
# each), then the IO-bound test: 10 tasks sleeping 1 s in every mode.
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
lab_plan 11
for mode in sequential threads coroutines; do
	lab_run "cpu $mode" "cpu-$mode" cpu "$mode" "${cpu[@]}"
done
for mode in sequential threads coroutines processes; do
	lab_run "cpu $mode gil" "cpu-$mode-gil" cpu "$mode" --gil "${cpu[@]}"
done
for mode in sequential threads coroutines processes; do
	lab_run "sleep $mode" "sleep-$mode" sleep "$mode" "${sleep_args[@]}"
done
lab_finish
