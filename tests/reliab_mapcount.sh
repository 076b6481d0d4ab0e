#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: vm.max_map_count through the CLI: with mprotect guard pages
# (two mappings per coroutine stack) 'corolab run spawn' asked for more
# coroutines than the limit allows exits 1 with a message naming the limit,
# how many were created and the fix, writes no JSON, never crashes or hangs;
# under the limit the same run works, and with MADV_GUARD_INSTALL the same
# count runs.  It uses this machine's own limit: nothing system-wide is
# changed (lowering the sysctl would hit every other process), no root needed.
set -u
cd "$(dirname "$0")/.."
COROLAB=${COROLAB:-$PWD/${OUT:-build}/corolab}
[ -x "$COROLAB" ] || { echo "skip: $COROLAB not built"; exit 77; }
# ASan maps its own shadow and allocator memory as it goes: at the limit its
# mmap fails first and it aborts ("Failed to mmap") before corolab can say why.
case "${OUT:-build}" in *san-*) echo "skip: sanitizer build (ASan needs mappings of its own past vm.max_map_count; the plain build runs this)"; exit 77 ;; esac
max=$(cat /proc/sys/vm/max_map_count 2>/dev/null) || { echo "skip: no /proc/sys/vm/max_map_count"; exit 77; }
# Each coroutine touches a page of its stack: 70k of them is ~0.3 GB.
[ "$max" -le 140000 ] || { echo "skip: vm.max_map_count is $max: reaching it takes $((max / 2)) coroutines, too many for a test"; exit 77; }
work=$(mktemp -d /tmp/reliab-map.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
crashed() { grep -qiE "sanitizer|segmentation|core dumped|abort" "$1"; }
spawn() { # spawn TASKS JSON [ARGS...]: a short spawn run in coroutines mode
	local n=$1 json=$2
	shift 2
	timeout --kill-after=5 60 "$COROLAB" run spawn --mode coroutines --tasks "$n" --duration 0.01 \
		--stack-size 8k -q --json "$json" "$@"
}
json_field() { python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d[k]
print(str(d).lower())' "$@"; }

# 1. Over the limit: clear error, no JSON.
over=$((max / 2 + 2000))
spawn $over "$work/over.json" --guard-mprotect >"$work/e" 2>&1; rc=$?
cat "$work/e"
[ $rc -ne 124 ] && [ $rc -ne 137 ] || bad "over: hung (timeout)"
[ $rc -eq 1 ] || bad "over: exit $rc, want 1"
crashed "$work/e" && bad "over: crash"
[ ! -e "$work/over.json" ] || bad "over: JSON written for a run that did not happen"
grep -q "vm.max_map_count = $max" "$work/e" || bad "over: message does not name vm.max_map_count = $max"
grep -q "sysctl vm.max_map_count=" "$work/e" || bad "over: message gives no fix"
made=$(sed -n "s/.*only \([0-9]*\) of $over coroutines could be created.*/\1/p" "$work/e")
if [ -z "$made" ]; then
	bad "over: message does not say how many of $over were created"
elif [ $((2 * made)) -lt $((max - 1000)) ] || [ $((2 * made)) -gt "$max" ]; then
	# Two mappings per stack: the pool fills up to the limit, not a chunk short.
	bad "over: $made created, want about $((max / 2)) (2 mappings each of $max)"
fi

# 2. Under the limit the same mechanism works, and says which it used.
spawn 2000 "$work/under.json" --guard-mprotect >"$work/e" 2>&1 || bad "under: $(cat "$work/e")"
if [ -s "$work/under.json" ]; then
	[ "$(json_field "$work/under.json" coro.guard_madvise)" = false ] || bad "under: guard_madvise not false"
	[ "$(json_field "$work/under.json" params.guard_mprotect)" = true ] || bad "under: params lack guard_mprotect"
	[ "$(json_field "$work/under.json" ok)" = 2000 ] || bad "under: not 2000 ok"
else
	bad "under: no JSON"
fi

# 3. With MADV_GUARD_INSTALL (Linux >= 6.13) the limit does not apply.
spawn $over "$work/madv.json" >"$work/e" 2>&1; rc=$?
if [ -s "$work/madv.json" ] && [ "$(json_field "$work/madv.json" coro.guard_madvise)" = true ]; then
	[ $rc -eq 0 ] || bad "madvise: exit $rc"
	[ "$(json_field "$work/madv.json" ok)" = $over ] || bad "madvise: not $over ok"
elif grep -q "vm.max_map_count = $max" "$work/e"; then
	echo "note: no MADV_GUARD_INSTALL here: the default guard pages hit the limit too"
else
	bad "madvise: exit $rc: $(cat "$work/e")"
fi
[ $fail -eq 0 ] && echo "vm.max_map_count $max: $made coroutines with mprotect guards, then a clear error"
exit $fail
