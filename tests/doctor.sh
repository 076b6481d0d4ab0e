#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: corolab doctor prints one ok/warn/missing line per feature,
# exits 0 on this machine (BTF and tp_btf are here), and works unprivileged;
# its CONFIG_SCHED_INFO verdict agrees with the kernel's own evidence.
set -u
[ -x "${COROLAB:-}" ] || { echo "skip: COROLAB not set to a built corolab binary"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
out=$("$COROLAB" doctor) || fail "doctor exit $?: $out"
echo "$out"
bad=$(echo "$out" | grep -vcE '^(ok|warn|missing) ')
[ "$bad" -eq 0 ] || fail "$bad lines not ok/warn/missing"
# Every line that is not ok says what to do about it.
nofix=$(echo "$out" | grep -E '^(warn|missing) ' | grep -v ' -> ..')
[ -z "$nofix" ] || fail "warn/missing without a fix: $nofix"
for f in "kernel BTF" io_uring MADV_GUARD_INSTALL tracefs CONFIG_SCHED_INFO "CPU speed" "idle CPUs" "kernel entry costs" pid_max vm.max_map_count RLIMIT_NOFILE; do
	echo "$out" | grep -q " $f " || fail "no '$f' line"
done
echo "$out" | grep -qE '^(ok|warn) +CPU speed +[0-9.]+ ns per cpu-loop iteration' ||
	fail "CPU speed line: $(echo "$out" | grep 'CPU speed')"
# With two CPUs or more: each CPU timed pinned, one figure per allowed CPU,
# and the affinity given back afterwards (the line is one call's work).
ncpu=$(nproc)
if [ "$ncpu" -ge 2 ]; then
	sp=$("$COROLAB" doctor --speed)
	n=$(echo "$sp" | sed -n 's/.*; per CPU \(.*\) ns (slowest +[0-9]*%)$/\1/p' | tr ',' '\n' | grep -cE '^ ?cpu[0-9]+ [0-9.]+$')
	[ "$n" -eq "$ncpu" ] || [ "$n" -eq 16 ] || fail "doctor --speed per CPU ($ncpu CPUs): $sp"
	one=$(taskset -c 0 "$COROLAB" doctor --speed)
	echo "$one" | grep -q '; per CPU' && fail "doctor --speed pinned to one CPU still times several: $one"
fi
# --idle: the same description alone on one line (the lab's env.json).
idle=$("$COROLAB" doctor --idle)
[ "$(echo "$idle" | wc -l)" -eq 1 ] && echo "$out" | grep -qF "idle CPUs              $idle" ||
	fail "doctor --idle '$idle' is not the doctor's idle line: $(echo "$out" | grep 'idle CPUs')"
# --costs: a system call's and a page's first touch, measured, on one line
# (the lab's env.json); the same shape as the doctor's line.
costs=$("$COROLAB" doctor --costs)
pat='^system call [0-9]+ ns \(getppid\), first touch of a page [0-9.]+ us '
{ [ "$(echo "$costs" | wc -l)" -eq 1 ] && echo "$costs" | grep -qE "$pat"; } ||
	fail "doctor --costs: '$costs'"
echo "$out" | grep -E '^ok +kernel entry costs ' | sed -E 's/^ok +kernel entry costs +//' | grep -qE "$pat" ||
	fail "doctor's costs line: $(echo "$out" | grep 'kernel entry costs')"
# sched_info, decided here from the kernel's own evidence: its config (when
# readable) and /proc/self/schedstat (absent without CONFIG_SCHED_INFO, "0 0 0"
# while sched_info_on() is false; its third field counts timeslices).
si=$(echo "$out" | grep -E '^[a-z]+ +CONFIG_SCHED_INFO ')
cfg=
for c in "/boot/config-$(uname -r)" /proc/config.gz; do
	[ -r "$c" ] && { cfg=$(zcat -f "$c" | grep -E '^(# )?CONFIG_SCHED_INFO[= ]' || echo none); break; }
done
if [ "$cfg" = "# CONFIG_SCHED_INFO is not set" ] || [ ! -e /proc/self/schedstat ]; then
	echo "$si" | grep -q '^missing ' || fail "kernel has no sched_info, doctor says: $si"
	echo "$si" | grep -q -- '-> boot a kernel with CONFIG_SCHED_INFO=y' || fail "no fix line: $si"
elif [ "$(awk '{ print $3 }' /proc/self/schedstat)" -gt 0 ]; then
	echo "$si" | grep -qE '^ok +CONFIG_SCHED_INFO +kept: run_delay moved [0-9]+ us' ||
		fail "kernel keeps sched_info (schedstat: $(cat /proc/self/schedstat)), doctor says: $si"
	if [ -n "$cfg" ] && [ "$cfg" != none ]; then
		echo "$si" | grep -q 'CONFIG_SCHED_INFO=y (' || fail "config not named: $si"
	fi
else
	echo "$si" | grep -q '^missing .*reads 0 0 0' || fail "schedstat reads 0 0 0, doctor says: $si"
fi
if [ "$(id -u)" -eq 0 ]; then
	echo "$out" | grep -qE '^ok +tp_btf' || fail "tp_btf should be ok here (DESIGN.md)"
	if command -v setpriv >/dev/null; then
		uout=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$COROLAB" doctor) ||
			fail "unprivileged doctor should still exit 0"
		# The sched_info check needs no privileges: same verdict.
		[ "$(echo "$uout" | grep -E ' CONFIG_SCHED_INFO ' | cut -c1-8)" = "$(echo "$si" | cut -c1-8)" ] ||
			fail "unprivileged sched_info verdict differs: $(echo "$uout" | grep SCHED_INFO)"
	fi
fi
"$COROLAB" doctor --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad argument should exit 2"
exit 0
