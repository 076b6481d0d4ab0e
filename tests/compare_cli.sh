#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: corolab compare on known fixtures gives known ratios, deltas
# and exit codes (fail-if trips -> 1, not -> 0, malformed -> 1 naming the
# file, usage -> 2), and matches trace threads by role.
set -eu
C=${COROLAB:?COROLAB must point at the corolab binary}
case $C in /*) ;; *) C=$PWD/$C ;; esac
cd "$(dirname "$0")/data"
[ -x "$C" ] || { echo "skip: $C not built"; exit 77; }
if "$C" compare --help 2>&1 | grep -q "not built into this binary"; then
	echo "skip: compare not built into $C"; exit 77
fi
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
echo "compare: all checks passed"
