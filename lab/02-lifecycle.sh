#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Experiment 02 (section 2, CoroutineLifecycleDemo): tasks A, B, C sleep
# 1.0, 0.5 and 1.5 s with a timestamped state log; run on threads and on
# coroutines so the report can show which OS thread ran which task when.
set -eu
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init 02-lifecycle "$@"
lab_plan 2
for mode in threads coroutines; do
	lab_run "lifecycle $mode" "lifecycle-$mode" lifecycle "$mode"
done
lab_finish
