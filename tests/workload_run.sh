#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: every non-network workload runs in every mode it supports at
# small scale, writes JSON with the contract's fields (DESIGN.md), and shows
# the expected behaviour; bad input exits 2 with a message.
set -u
C=${COROLAB:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

check() {	# check FILE PYTHON-ASSERTIONS...
	python3 - "$@" <<'PY' || exit 1
import json, sys
path, *asserts = sys.argv[1:]
d = json.load(open(path))
rows = d if isinstance(d, list) else [d]
need = ["schema", "workload", "mode", "tasks", "ok", "failed", "wall_s", "max_rss_kb",
        "os_threads", "params", "host"]
by = {}
for r in rows:
    for k in need:
        assert k in r, f"{path}: {r.get('mode')}: missing {k}"
    assert r["schema"] == "corolab.run/1"
    by[r["mode"]] = r
for a in asserts:
    assert eval(a, {"by": by, "rows": rows}), f"{path}: {a}: {json.dumps(by)[:3000]}"
PY
}

$C run sleep --tasks 4 --duration 0.05 --json "$tmp/sleep.json" -q || fail "sleep"
check "$tmp/sleep.json" "len(rows) == 4" \
	"by['sequential']['wall_s'] >= 0.2" \
	"by['threads']['wall_s'] < 0.2 and by['coroutines']['wall_s'] < 0.2" \
	"by['threads']['os_threads'] == 5 and by['coroutines']['os_threads'] == 1" \
	"by['coroutines']['user_switches'] > 0" \
	"all(r['ok'] == 4 and r['failed'] == 0 for r in rows)"

$C run cpu --tasks 2 --n 2000000 --json "$tmp/cpu.json" -q || fail "cpu"
check "$tmp/cpu.json" "len(rows) == 4" "len(set(r['checksum'] for r in rows)) == 1" \
	"all(len(r['task_wall_s']) == 2 for r in rows)"
$C run cpu --mode threads --gil --tasks 2 --n 20000000 --json "$tmp/gil.json" -q || fail "cpu --gil"
check "$tmp/gil.json" "rows[0]['params']['gil'] is True" "'gil_forced_switches' in rows[0]"

$C run spawn --tasks 200 --duration 0.05 --json "$tmp/spawn.json" -q || fail "spawn"
check "$tmp/spawn.json" "set(by) == {'threads', 'coroutines'}" \
	"all(r['rss_kb']['after_create'] >= r['rss_kb']['before'] for r in rows)" \
	"by['coroutines']['os_threads'] == 1 and by['threads']['os_threads'] == 201" \
	"by['threads']['vm_per_task_bytes'] > by['coroutines']['vm_per_task_bytes']" \
	"all(r['create_ns_per_task'] > 0 and 'rss_per_task_bytes' in r for r in rows)"

$C run lifecycle --duration 0.02 --json "$tmp/lc.json" -q || fail "lifecycle"
check "$tmp/lc.json" "set(by) == {'sequential', 'threads', 'coroutines'}" \
	"all(len(r['events']) == 15 for r in rows)" \
	"by['coroutines']['analysis']['distinct_tids'] == 1" \
	"by['threads']['analysis']['distinct_tids'] == 3" \
	"[e['task'] for e in by['coroutines']['events'] if e['state'] == 'done'] == ['B', 'A', 'C']"

$C run switch --tasks 2000 --json "$tmp/sw.json" -q || fail "switch"
check "$tmp/sw.json" "set(by) == {'threads', 'coroutines', 'processes'}" \
	"all(r['ns_per_switch'] > 0 for r in rows)" \
	"'swapcontext_ns_per_switch' in by['coroutines']" \
	"by['coroutines']['ns_per_switch'] < by['threads']['ns_per_switch']"

# --json - puts JSON on stdout and the table on stderr.
$C run sleep --mode coroutines --tasks 1 --duration 0.001 --json - 2>/dev/null | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "json to stdout"

# Bad input: exit 2 and a message, never a crash.
for args in "" "nope" "sleep --mode fibers" "sleep --tasks 0" "sleep --tasks x" \
	"sleep --duration -1" "spawn --mode sequential" "sleep --gil" "sleep extra" \
	"switch --cpu 99999" "sleep --stack-size 1" "sleep --bogus"; do
	# shellcheck disable=SC2086
	out=$($C run $args 2>&1 >/dev/null); rc=$?
	[ $rc -eq 2 ] || fail "'run $args' exited $rc, want 2"
	[ -n "$out" ] || fail "'run $args' printed no message"
done
echo "ok"
