#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every libFuzzer target in $OUT/bin (built by `make fuzz`) for
# FUZZ_SECONDS each, one after the other, on a scratch copy of its committed
# seed corpus (tests/fuzz/corpus/<target>/: small, hand-written; new inputs
# stay in $OUT/corpus, never in the tree).  Crashes land in $OUT/artifacts.
# Prints one line per target: executions, coverage, result.  Exit 1 if any
# target crashed or reported a sanitizer error.
# Usage: tests/fuzz/run.sh [REGEX]     Env: OUT=build/fuzz FUZZ_SECONDS=60
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-build/fuzz}
secs=${FUZZ_SECONDS:-60}
filter=${1:-.}
[ -n "$filter" ] || filter=.
# UBSan reports are fatal here (the build is recoverable for the test suite).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$OUT/logs" "$OUT/artifacts"
fail=0 n=0
for bin in "$OUT"/bin/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin"); name=${name#fuzz_}
	case "$bin" in *.d) continue ;; esac
	[[ "$name" =~ $filter ]] || continue
	n=$((n + 1))
	work=$OUT/corpus/$name
	mkdir -p "$work"
	log=$OUT/logs/$name.log
	# -close_fd_mask=3: the CLI and compare print usage errors and tables;
	# libFuzzer keeps its own (and the sanitizers') output on a dup of fd 2.
	"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=8192 \
		-close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$OUT/artifacts/$name-" \
		"$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | awk '{print $2}')
	if [ $rc -eq 0 ]; then
		printf 'fuzz %-14s %4ss  %10s execs  cov %5s  ok\n' "$name" "$secs" "${execs:-?}" "${cov:-?}"
	else
		fail=1
		printf 'fuzz %-14s %4ss  %10s execs  cov %5s  FAILED (exit %d, log %s)\n' \
			"$name" "$secs" "${execs:-?}" "${cov:-?}" "$rc" "$log"
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -n 8 | sed 's/^/      | /'
	fi
done
[ "$n" -gt 0 ] || { echo "no fuzz targets in $OUT/bin (run make fuzz)"; exit 1; }
exit $fail
