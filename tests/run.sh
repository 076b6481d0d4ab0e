#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Test runner (liburing style): every build/tests/<name> program and every
# tests/*.sh script is one test.  Exit 0 = pass, 77 = skip (the test prints
# why on its last line), anything else = fail.  Each test has a timeout.
# Usage: tests/run.sh [REGEX]   (only tests whose name matches REGEX)
# Env:   OUT=build  TEST_TIMEOUT=120 (seconds, per test)
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
export OUT COROLAB=${COROLAB:-$PWD/$OUT/corolab}
filter=${1:-.}
tmo=${TEST_TIMEOUT:-120}
logdir=$OUT/test-logs
mkdir -p "$logdir"

pass=0 fail=0 skip=0
failed=()
tests=()
for t in "$OUT"/tests/*; do
	[ -f "$t" ] && [ -x "$t" ] && case "$t" in *.d) ;; *) tests+=("$t") ;; esac
done
for t in tests/*.sh; do
	[ -f "$t" ] && [ "$(basename "$t")" != run.sh ] && tests+=("$t")
done

for t in "${tests[@]}"; do
	name=$(basename "$t"); name=${name%.sh}
	[[ "$name" =~ $filter ]] || continue
	log=$logdir/$name.log
	start=$(date +%s.%N)
	# Each test in a session of its own: whatever it left running (a
	# server a failed check did not stop) is killed with it afterwards.
	setsid --wait bash -c 'echo $$ >"$0"; exec timeout --kill-after=10 "$1" "$2"' \
		"$log.sid" "$tmo" "$t" >"$log" 2>&1 </dev/null
	rc=$?
	[ -s "$log.sid" ] && kill -KILL -- "-$(cat "$log.sid")" 2>/dev/null
	rm -f "$log.sid"
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')
	case $rc in
	0)  pass=$((pass+1)); printf 'PASS  %-28s %6ss\n' "$name" "$secs" ;;
	77) skip=$((skip+1)); printf 'SKIP  %-28s %6ss  %s\n' "$name" "$secs" "$(tail -n1 "$log")" ;;
	124|137) fail=$((fail+1)); failed+=("$name"); printf 'FAIL  %-28s %6ss  timed out after %ss\n' "$name" "$secs" "$tmo" ;;
	*)  fail=$((fail+1)); failed+=("$name"); printf 'FAIL  %-28s %6ss  exit %d\n' "$name" "$secs" "$rc"
	    sed 's/^/      | /' "$log" | tail -n 20 ;;
	esac
done
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]} (logs in $logdir/)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
