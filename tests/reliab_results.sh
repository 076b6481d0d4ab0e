#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: results are never truncated or corrupted, and foreign JSON is
# refused by name: SIGKILL at random points of `run --json F` leaves F as it
# was or complete (atomic rename), never a stray F.tmp.*; compare/report on
# malformed or mistyped files exit 1 naming the file and the field.
set -u
cd "$(dirname "$0")/.."
COROLAB=${COROLAB:-$PWD/${OUT:-build}/corolab}
[ -x "$COROLAB" ] || { echo "skip: $COROLAB not built"; exit 77; }
work=$(mktemp -d /tmp/reliab-res.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
valid() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

# 1. SIGKILL (cannot be caught) at random points: F stays valid.
f=$work/r.json
echo '{"previous": true}' >"$f"
for ((i = 0; i < 20; i++)); do
	"$COROLAB" run switch --mode coroutines --tasks $((20000 + RANDOM)) -q --json "$f" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 10))"
	kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	valid "$f" || bad "SIGKILL trial $i left an invalid $f ($(wc -c <"$f") bytes)"
done
# A killed writer may leave its own .tmp.PID (SIGKILL cannot be held off),
# but the destination is never touched until complete.
echo "SIGKILL trials: $(ls "$work" | grep -c 'tmp') stray temporaries (allowed under SIGKILL only)"
rm -f "$work"/r.json.tmp.*

# 2. Foreign and malformed files: exit 1, the file and field named.
good=tests/data/run_sleep_a.json
check() {	# check NAME CONTENT EXPECTED-IN-MESSAGE
	printf '%s' "$2" >"$work/$1"
	"$COROLAB" compare "$work/$1" "$good" >/dev/null 2>"$work/e"; rc=$?
	{ [ $rc -eq 1 ] && grep -q "$work/$1" "$work/e" && grep -q "$3" "$work/e"; } ||
		bad "compare $1: exit $rc, '$(cat "$work/e")' (want '$3')"
}
check truncated.json "$(head -c 200 "$good")" "malformed JSON at line"
check empty.json "" "malformed JSON"
check array.json '[1, 2]' "expected a JSON object"
check noschema.json '{"workload": "sleep"}' "field 'schema' missing"
check foreign.json '{"schema": "other/1"}' "unknown schema 'other/1'"
check mode.json '{"schema": "corolab.run/1", "workload": "sleep", "mode": 7}' "field 'mode' is not a string"
check wall.json '{"schema": "corolab.run/1", "workload": "sleep", "mode": "threads", "wall_s": "1"}' "field 'wall_s' is not a number"
check totals.json '{"schema": "corolab.trace/1", "totals": []}' "field 'totals' is not an object"
check rtrace.json '{"schema": "corolab.runtrace/1", "run": {"schema": "corolab.run/1", "workload": 1, "mode": "x"}}' "run.field 'workload' is not a string"
# report on a results tree with one bad file: it names it.
mkdir -p "$work/res/03-cpu-vs-io"
cp tests/data/run_sleep_a.json "$work/res/03-cpu-vs-io/sleep-threads.r1.json"
printf '{"schema": "corolab.run/1", "workload": "sleep", "mode": 3}' >"$work/res/03-cpu-vs-io/sleep-coroutines.r1.json"
"$COROLAB" report "$work/res" >/dev/null 2>"$work/e"; rc=$?
grep -q "sleep-coroutines.r1.json" "$work/e" || bad "report with a bad file: exit $rc, '$(cat "$work/e")'"
[ $fail -eq 0 ] && echo "results ok"
exit $fail
