#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: corolab compare on known fixtures gives known ratios, deltas
# and exit codes (fail-if trips -> 1, not -> 0, malformed -> 1 naming the
# file, usage -> 2), matches trace threads by role, and reads the write-up's
# original program's summary (corolab.original/1, lab/06-python).
set -eu
C=${COROLAB:?COROLAB must point at the corolab binary}
case $C in /*) ;; *) C=$PWD/$C ;; esac
cd "$(dirname "$0")/data"
[ -x "$C" ] || { echo "skip: $C not built"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

expect_rc() { # expect_rc RC CMD...
	local want=$1 rc=0; shift
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" -eq "$want" ] || { cat "$tmp/err" >&2; fail "'$*' exited $rc, want $want"; }
}

# Known ratio and delta: sleep/threads wall 1.002 -> 1.25 = 1.248x, +0.248.
expect_rc 0 "$C" compare run_sleep_a.json run_sleep_b.json
grep -q '^== sleep/threads ==' "$tmp/out" || fail "no sleep/threads section"
awk '/^== sleep\/threads ==/{s=1} s && $1=="wall_s"{print; exit}' "$tmp/out" >"$tmp/row"
grep -q '1.248x' "$tmp/row" || fail "wall_s ratio: $(cat "$tmp/row")"
grep -q '+0.248' "$tmp/row" || fail "wall_s delta: $(cat "$tmp/row")"

# Thresholds: ratio trips, ratio does not trip, absolute trips, delta trips.
expect_rc 1 "$C" compare -q run_sleep_a.json run_sleep_b.json --fail-if 'wall_s>1.1x'
grep -q "sleep/threads.*wall_s" "$tmp/err" || fail "trip message does not name the field"
expect_rc 0 "$C" compare -q run_sleep_a.json run_sleep_b.json --fail-if 'wall_s>1.3x'
expect_rc 1 "$C" compare -q run_sleep_a.json run_sleep_b.json --fail-if 'failed>0'
expect_rc 1 "$C" compare -q trace_a.json trace_b.json --fail-if 'ctx_switches.involuntary>+100'
expect_rc 0 "$C" compare -q trace_a.json trace_b.json --fail-if 'ctx_switches.involuntary>+200'
# runtrace against a bare trace lines up on the trace figures.
expect_rc 1 "$C" compare -q runtrace_cpu_a.json trace_b.json --fail-if 'ctx_switches.involuntary>+100'

# Threads matched by role even though every tid differs.
expect_rc 0 "$C" compare trace_a.json trace_b.json
grep -Eq '^trace\.threads\.worker#1\.involuntary +29 +82 +2\.828x +\+53' "$tmp/out" ||
	fail "worker#1 not matched by role"
grep -q 'log2_hist_us' "$tmp/out" || fail "no histogram overlay"

# --only narrows the table, not the gates.
expect_rc 0 "$C" compare trace_a.json trace_b.json --only 'ctx_switches'
grep -q 'ctx_switches.involuntary' "$tmp/out" || fail "--only dropped the matching field"
grep -q 'page_faults' "$tmp/out" && fail "--only kept a non-matching field"
expect_rc 1 "$C" compare -q trace_a.json trace_b.json --only 'wall_s' --fail-if 'involuntary>+100'
expect_rc 2 "$C" compare trace_a.json trace_b.json --only '('

# Machine output.
expect_rc 0 "$C" compare -q --json "$tmp/c.json" run_sleep_a.json run_sleep_b.json
grep -q '"corolab.compare/1"' "$tmp/c.json" || fail "json output lacks schema"

# Errors name the file; usage errors exit 2.
expect_rc 1 "$C" compare run_sleep_a.json malformed.json
grep -q 'malformed.json.*line 2' "$tmp/err" || fail "malformed error: $(cat "$tmp/err")"
expect_rc 1 "$C" compare run_sleep_a.json unknown_schema.json
grep -q "unknown_schema.json.*corolab.bogus/9" "$tmp/err" || fail "schema error: $(cat "$tmp/err")"
expect_rc 1 "$C" compare run_sleep_a.json "$tmp/missing.json"
expect_rc 2 "$C" compare run_sleep_a.json
expect_rc 2 "$C" compare run_sleep_a.json run_sleep_b.json --fail-if 'wall_s'
expect_rc 2 "$C" compare run_sleep_a.json run_sleep_b.json --fail-if 'no_such_field>1'
expect_rc 2 "$C" compare --bogus a b
expect_rc 0 "$C" compare --help
grep -q EXAMPLES "$tmp/out" || fail "--help lacks EXAMPLES"

# The original program's summary.json as lab/python/parse_original.py writes
# it; B: the same run with asyncio twice as slow.
orig=results-py/06-python/original/summary.json
sed 's/"total_time_s": 3.03,/"total_time_s": 6.06,/' "$orig" >"$tmp/orig_b.json"
grep -q '"total_time_s": 6.06' "$tmp/orig_b.json" || fail "fixture edit did not apply"
expect_rc 0 "$C" compare "$orig" "$tmp/orig_b.json"
grep -q "^A = $orig (original)" "$tmp/out" || fail "original kind not named: $(head -2 "$tmp/out")"
grep -q '^== original ==' "$tmp/out" || fail "no original section"
grep -Eq '^http\.asyncio\.total_time_s +3\.03 +6\.06 +2\.000x +\+3\.03$' "$tmp/out" ||
	fail "asyncio total: $(grep asyncio.total "$tmp/out")"
grep -Eq '^http\.threading\.total_time_s +7\.01 +7\.01 +1\.000x +\+0$' "$tmp/out" || fail "threading total"
grep -Eq '^http\.speedup_printed +2\.31 ' "$tmp/out" || fail "printed speed-up missing"
grep -Eq '^http\.threading\.thread_count_printed +0 ' "$tmp/out" || fail "printed thread count missing"
expect_rc 1 "$C" compare -q "$orig" "$tmp/orig_b.json" --fail-if 'asyncio.total_time_s>1.5x'
grep -q "\[original\] http.asyncio.total_time_s" "$tmp/err" || fail "original trip message: $(cat "$tmp/err")"
expect_rc 0 "$C" compare -q "$orig" "$tmp/orig_b.json" --fail-if 'threading.total_time_s>1.01x'
expect_rc 0 "$C" compare -q --json "$tmp/o.json" "$orig" "$tmp/orig_b.json"
grep -q '"kind": *"original"' "$tmp/o.json" || fail "json output lacks kind original"
# Beside a corolab run: both read, each in its own section.
expect_rc 0 "$C" compare "$orig" run_sleep_a.json
grep -q '^== original ==' "$tmp/out" && grep -q '^== sleep/threads ==' "$tmp/out" ||
	fail "original beside a run: $(grep '^==' "$tmp/out")"
# A summary with the right schema but a wrong type is refused, naming the field.
sed 's/"http": {/"http": "x", "was": {/' "$orig" >"$tmp/orig_bad.json"
expect_rc 1 "$C" compare "$orig" "$tmp/orig_bad.json"
grep -q "orig_bad.json: field 'http' is not an object" "$tmp/err" || fail "bad original: $(cat "$tmp/err")"
echo "compare: all checks passed"
