#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Experiment 01 (write-up section 1, PerformanceComparison): 50 HTTP
# requests to /delay/{i%3+1}: sequential (the first 10), a thread pool of
# 20, and coroutines all at once, against corolab's own delay server.
# Quick mode scales the delays by 0.01.
set -eu
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init 01-http "$@"
scale=1
[ "$QUICK" -eq 1 ] && scale=0.01
lab_server_start || { LAB_FAILURES=1; lab_finish; exit 1; }
lab_plan 3
for mode in sequential threads coroutines; do
	lab_run "http $mode" "http-$mode" http "$mode" --url "$LAB_URL" --delay-scale "$scale"
done
lab_finish
