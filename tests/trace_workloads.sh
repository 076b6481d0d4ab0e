#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: issue 4's numbers on the lab's own workloads: corolab trace on
# `corolab run sleep|spawn|switch` in every mode; voluntary/involuntary
# switches within 3 of wait4's rusage, faults within 2%, and the run-queue
# sum within 5% of run_delay whenever there are >= 1000 wake-ups.  Each pair
# runs twice: with the tp_btf programs (what this kernel gets) and with their
# raw_tp twins forced (--raw-tp: what kernels without BTF tracepoints get).
set -u
[ "$(id -u)" -eq 0 ] || { echo "skip: not root"; exit 77; }
[ -x "${COROLAB:-}" ] || { echo "skip: COROLAB not set to a built corolab binary"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 missing (JSON checks)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0 ran=0
for w in sleep spawn switch; do
	case $w in
	sleep) args="--tasks 10 --duration 0.01" ;;
	spawn) args="--tasks 50 --duration 0.01" ;;
	switch) args="--tasks 2000" ;;	# round trips: >= 1000 wake-ups in threads/processes
	esac
	for m in sequential threads coroutines processes; do
	for hooks in tp_btf raw_tp; do
		flag=$([ $hooks = raw_tp ] && echo --raw-tp)
		# shellcheck disable=SC2086
		"$COROLAB" trace $flag --json "$tmp/t.json" -- "$COROLAB" run $w --mode $m $args >/dev/null 2>"$tmp/err"
		rc=$?
		if [ $rc -eq 2 ]; then
			echo "$w/$m: mode not offered by the workload ($(head -c 80 "$tmp/err"))"
			break
		fi
		ran=$((ran + 1))
		python3 - "$tmp/t.json" "$w/$m/$hooks" "$rc" "$hooks" <<'PY' || failed=$((failed + 1))
import json, sys
d = json.load(open(sys.argv[1])); r = d["reconcile"]; name = sys.argv[2]
line = " ".join("%s=%s/%s:%s" % (k, r[k].get("bpf"), r[k].get("kernel"), r[k]["ok"]) for k in r)
print("%-28s exit %s  %s" % (name, sys.argv[3], line))
bad = [k for k in ("voluntary", "involuntary", "page_faults") if r[k]["ok"] is not True]
if r["runq_latency"]["ok"] is False:
    bad.append("runq_latency")
if sys.argv[3] != "0":
    bad.append("exit status")
if d.get("attach") != sys.argv[4]:
    bad.append("hooks %s, wanted %s" % (d.get("attach"), sys.argv[4]))
if not d["totals"].get("syscalls"):
    bad.append("no syscalls counted")
if d["stints"]["crossed"]:
    bad.append("%d stints crossed" % d["stints"]["crossed"])
if bad:
    print("  FAIL:", ", ".join(bad))
    # Enough to tell a rare miss from a regression without the JSON.
    for k in r:
        if r[k].get("ok") is False:
            print("  reconcile.%s: %s" % (k, json.dumps(r[k], sort_keys=True)))
    print("  stints %s, lost_records %s, kernel_run_delay_ns %s over %s threads" % (
        d.get("stints"), d.get("lost_records"), d.get("kernel_run_delay_ns"),
        d.get("kernel_run_delay_threads")))
    for t in d.get("threads", []):
        print("  thread %(tid)s %(comm)s exited=%(exited)s vol=%(voluntary)s invol=%(involuntary)s "
              "runq %(runq_count)s waits %(runq_sum_ns)s ns, run_delay %(run_delay_ns)s ns, "
              "migrations %(migrations)s" % t)
    sys.exit(1)
PY
	done
	done
done
[ $ran -gt 0 ] || { echo "skip: no workload mode ran"; exit 77; }
[ $failed -eq 0 ] || { echo "$failed workload/mode pairs did not reconcile"; exit 1; }
exit 0
