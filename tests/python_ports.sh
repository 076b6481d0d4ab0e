#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the CPython ports (lab/python/corolab_py.py) run every workload
# in every mode they support at tiny scale, each mode in a fresh interpreter
# (--mode all), and write corolab.run/1 JSON with the same fields as
# `corolab run` plus "runtime"; unsupported modes and bad input exit 2.
set -u
cd "$(dirname "$0")/.." || exit 1
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "SKIP: no python3"; exit 77; }
C=${COROLAB:-}
PORT=lab/python/corolab_py.py
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

check() {	# check FILE PYTHON-ASSERTIONS...
	"$PY" - "$@" <<'PY' || exit 1
import json, sys
path, *asserts = sys.argv[1:]
d = json.load(open(path))
rows = d if isinstance(d, list) else [d]
need = ["schema", "workload", "mode", "tasks", "workers", "ok", "failed", "wall_s",
        "max_rss_kb", "os_threads", "params", "host", "runtime"]
by = {}
for r in rows:
    for k in need:
        assert k in r, f"{path}: {r.get('mode')}: missing {k}"
    assert r["schema"] == "corolab.run/1", r["schema"]
    assert r["runtime"].startswith("cpython-3."), r["runtime"]
    assert r["max_rss_kb"] > 0 and r["os_threads"] >= 1
    by[r["mode"]] = r
for a in asserts:
    assert eval(a, {"by": by, "rows": rows}), f"{path}: {a}: {json.dumps(by)[:3000]}"
PY
}

run() {	# run NAME ARGS... -> $tmp/NAME.json
	local name=$1
	shift
	"$PY" "$PORT" "$@" -q --json "$tmp/$name.json" >"$tmp/$name.log" 2>&1 ||
		fail "$name: exit $?: $(tail -n 3 "$tmp/$name.log")"
}

run sleep sleep --tasks 4 --duration 0.05
check "$tmp/sleep.json" "len(rows) == 4" \
	"by['sequential']['wall_s'] >= 0.2" \
	"by['threads']['wall_s'] < 0.2 and by['coroutines']['wall_s'] < 0.2" \
	"by['threads']['os_threads'] >= 2 and by['coroutines']['os_threads'] == 1" \
	"by['processes']['os_threads'] >= 5" \
	"all(r['ok'] == 4 and r['failed'] == 0 for r in rows)"

run cpu cpu --tasks 2 --n 20000
check "$tmp/cpu.json" "len(rows) == 4" "len(set(r['checksum'] for r in rows)) == 1" \
	"all(len(r['task_wall_s']) == 2 for r in rows)" \
	"by['threads']['params']['gil'] is True and by['processes']['params']['gil'] is False"

# (the pool reuses a thread that finished before the last submit: on a busy
# machine 20 tasks of 20 ms may use fewer than 20 threads, as in the write-up)
run spawn spawn --tasks 20 --duration 0.02
check "$tmp/spawn.json" "sorted(by) == ['coroutines', 'threads']" \
	"all(set(r['rss_kb']) >= {'before', 'after_create', 'after_done'} for r in rows)" \
	"all('rss_per_task_bytes' in r and r['create_ns_per_task'] > 0 for r in rows)" \
	"by['threads']['os_threads'] >= 2 and by['coroutines']['os_threads'] == 1"

run lifecycle lifecycle --duration 0.01
check "$tmp/lifecycle.json" "sorted(by) == ['coroutines', 'sequential', 'threads']" \
	"all(len(r['events']) == 15 for r in rows)" \
	"all(set(r['events'][0]) == {'t_s', 'task', 'state', 'tid'} for r in rows)" \
	"by['coroutines']['analysis']['distinct_tids'] == 1" \
	"by['threads']['analysis']['distinct_tids'] == 3" \
	"by['coroutines']['analysis']['task_switches'] >= 5" \
	"[e['task'] for e in by['coroutines']['events'] if e['state'] == 'done'] == ['B', 'A', 'C']"

run switch switch --tasks 200
check "$tmp/switch.json" "sorted(by) == ['coroutines', 'processes', 'threads']" \
	"all(r['switches'] == 400 and r['ns_per_switch'] > 0 for r in rows)"

if [ -n "$C" ] && [ -x "$C" ]; then
	run http http --tasks 6 --delay-scale 0.01
	check "$tmp/http.json" "len(rows) == 4" \
		"all(r['ok'] == 6 and r['failed'] == 0 for r in rows)" \
		"all(set(r['latency_s']) == {'p50', 'p99', 'max'} for r in rows)" \
		"all(set(r['failures']) == {'refused', 'timeout', 'http_status', 'reset', 'other'} for r in rows)" \
		"all(r['bytes'] > 0 and r['params']['server'] == 'builtin' for r in rows)" \
		"by['threads']['workers'] == 20 and by['coroutines']['os_threads'] == 1"
	http_note=
else
	http_note=" (http skipped: COROLAB not set, no server)"
fi
# A refused connection is a classified failure, not a crash.
"$PY" "$PORT" http --mode coroutines --tasks 2 --url 'http://127.0.0.1:1/delay/{delay}' \
	-q --json "$tmp/refused.json" >/dev/null 2>&1
[ $? -eq 1 ] || fail "http against a closed port: want exit 1 (failed requests)"
check "$tmp/refused.json" "by['coroutines']['failures']['refused'] == 2"

# Bad input: a message and exit 2.
bad() {
	local out rc=0
	out=$("$PY" "$PORT" "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" -eq 2 ] || fail "'$*': want exit 2, got $rc"
	[ -n "$out" ] || fail "'$*': no message"
}
bad spawn --mode processes
bad switch --mode sequential
bad lifecycle --mode processes
bad sleep --tasks 0
bad sleep --duration -1
bad cpu --n x
bad http --url 'http://x/{nope}'
bad sleep --url 'http://x/'
bad nosuch
echo "ok: every port in every mode$http_note"
