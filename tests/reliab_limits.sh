#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: resource limits give a clear message naming the limit, no
# crash, and no JSON presented as complete: RLIMIT_NOFILE (http, 5000
# coroutines under ulimit -n 256), a pids cgroup (threads and processes
# modes), a memory cgroup (spawn --mode all: the OOM-killed mode is named,
# the others are written).  cgroup v1 here; a case skips when its
# controller is not writable.
set -u
cd "$(dirname "$0")/.."
COROLAB=${COROLAB:-$PWD/${OUT:-build}/corolab}
[ -x "$COROLAB" ] || { echo "skip: $COROLAB not built"; exit 77; }
work=$(mktemp -d /tmp/reliab-lim.XXXXXX)
cgs=()
cleanup() {
	for cg in "${cgs[@]}"; do
		# Anything still inside goes back to the root before rmdir.
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do echo "$p" >"${cg%/*}/cgroup.procs" 2>/dev/null; done
		rmdir "$cg" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
fail=0 ran=0
bad() { echo "FAIL: $*"; fail=1; }
crashed() { grep -qiE "sanitizer|segmentation|core dumped|abort" "$1"; }

# 1. RLIMIT_NOFILE.
(ulimit -n 256 && ulimit -Hn 256 && exec "$COROLAB" run http --mode coroutines --tasks 5000 \
	--delay-scale 0.01 -q --json "$work/nofile.json") >"$work/e" 2>&1; rc=$?
ran=$((ran + 1))
[ $rc -eq 1 ] || bad "nofile: exit $rc"
grep -q "RLIMIT_NOFILE is 256" "$work/e" || bad "nofile: no message naming RLIMIT_NOFILE: $(cat "$work/e")"
[ ! -e "$work/nofile.json" ] || bad "nofile: JSON written for a run that did not happen"
crashed "$work/e" && bad "nofile: crash: $(cat "$work/e")"
# ... and within the limit it works.
(ulimit -n 256 && exec "$COROLAB" run http --mode coroutines --tasks 300 --workers 150 \
	--delay-scale 0.01 -q --json "$work/nofile2.json") >"$work/e" 2>&1 || bad "nofile: --workers 150 under 256 fds: $(cat "$work/e")"

mkcg() {	# controller -> $CG, a new cgroup dir (v1); status 1 if impossible
	CG=/sys/fs/cgroup/$1/reliab-$$-$1-${#cgs[@]}
	mkdir "$CG" 2>/dev/null || return 1
	cgs+=("$CG")
}
# 2. pids cgroup.
if mkcg pids; then
	cg=$CG
	echo 40 >"$cg/pids.max"
	for m in threads processes; do
		sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$COROLAB" run sleep --mode $m \
			--tasks 200 --workers 200 --duration 0.1 -q --json "$work/pids-$m.json" >"$work/e" 2>&1; rc=$?
		ran=$((ran + 1))
		[ $rc -eq 1 ] || bad "pids $m: exit $rc"
		grep -q "pids.max = 40" "$work/e" || bad "pids $m: message does not name pids.max: $(cat "$work/e")"
		[ ! -e "$work/pids-$m.json" ] || bad "pids $m: JSON written"
		crashed "$work/e" && bad "pids $m: crash"
	done
else
	echo "note: no writable pids cgroup v1: pids case not run"
fi
# 3. memory cgroup: spawn 100000 coroutines (~1.6 GB of touched stacks) in 96 MiB.
if mkcg memory; then
	cg=$CG
	echo $((96 << 20)) >"$cg/memory.limit_in_bytes"
	# No swapping past the limit (that thrashes for minutes instead of failing).
	echo 0 >"$cg/memory.swappiness" 2>/dev/null
	echo $((96 << 20)) >"$cg/memory.memsw.limit_in_bytes" 2>/dev/null
	# threads mode of 100000 tasks crawls for minutes at a memory limit:
	# a pids cgroup makes it fail at once, so the case stays short.
	pcg=
	if mkcg pids; then pcg=$CG; echo 64 >"$pcg/pids.max"; fi
	sh -c 'echo $$ >"$1/cgroup.procs" && { [ -z "$2" ] || echo $$ >"$2/cgroup.procs"; } && shift 2 && exec "$@"' \
		sh "$cg" "$pcg" "$COROLAB" run spawn --mode all \
		--tasks 100000 --workers 100 --duration 0.2 -q --json "$work/mem.json" >"$work/e" 2>&1; rc=$?
	ran=$((ran + 1))
	[ $rc -eq 1 ] || bad "memory: exit $rc"
	grep -q "killed by SIGKILL: out of memory? (memory cgroup limit 100663296 bytes" "$work/e" ||
		bad "memory: message does not name the limit: $(cat "$work/e")"
	crashed "$work/e" && bad "memory: crash"
	if [ -e "$work/mem.json" ]; then
		python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and "coroutines" not in [x["mode"] for x in d], d
' "$work/mem.json" || bad "memory: JSON lists the killed mode or is invalid"
	fi
	ls /tmp/corolab-run-* >/dev/null 2>&1 && bad "memory: /tmp/corolab-run-* left"
else
	echo "note: no writable memory cgroup v1: memory case not run"
fi
[ $fail -eq 0 ] && echo "$ran limit cases ok"
exit $fail
