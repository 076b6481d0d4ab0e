#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Experiment 06 (the write-up's own language): the CPython ports of its
# experiments (lab/python/corolab_py.py, standard library only) in every mode
# under the eBPF tracer — sleep (IO-bound), cpu (the real GIL), spawn (RSS per
# task), http (against corolab serve), lifecycle and switch — then, when its
# dependencies are installed, the write-up's original program itself
# (lab/python/run_original.sh, full runs only).
#
# Each result is FILE.rN.json: {"schema": "corolab.runtrace/1", "run": ...,
# "trace": ...} like 'corolab run --trace' writes (a plain corolab.run/1
# object when not traced), with "runtime": "cpython-X.Y.Z" in the run.
# ENVIRONMENT (besides lib.sh's): PYTHON (default /usr/bin/python3, then PATH;
# none: the experiment is skipped with a note in NOTES.txt, exit 0).
set -eu
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
lab_init 06-python "$@"
# An explicit PYTHON is used as given; otherwise /usr/bin/python3, then PATH.
if [ -z "${PYTHON:-}" ]; then
	PYTHON=/usr/bin/python3
	[ -x "$PYTHON" ] || PYTHON=$(command -v python3 || true)
fi
if [ -z "$PYTHON" ] || ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null; then
	# The CPython ports are a comparison on top of the C lab: without an
	# interpreter the experiment is skipped and says so, it does not fail.
	echo "skipped: no usable python3 (3.8 or newer)${PYTHON:+ at $PYTHON} (set PYTHON, or apt-get install python3)" \
		>>"$EXP_DIR/NOTES.txt"
	lab_log "== 06-python: skipped, no python3 found"
	lab_finish
	exit
fi
PORT=$LAB_ROOT/lab/python/corolab_py.py
"$PYTHON" --version >"$EXP_DIR/python.txt" 2>&1
echo "$PYTHON" >>"$EXP_DIR/python.txt"

# The Python port runs under 'corolab trace' and its JSON is merged with the
# trace the way 'corolab run --trace' does.
py_merge() { # py_merge RUN.json TRACE.json OUT.json
	"$PYTHON" - "$@" <<'PY'
import json, os, sys
run_p, trace_p, out_p = sys.argv[1:]
with open(run_p) as f:
    run = json.load(f)
with open(trace_p) as f:
    trace = json.load(f)
tmp = out_p + ".tmp"
with open(tmp, "w") as f:
    json.dump({"schema": "corolab.runtrace/1", "run": run, "trace": trace}, f, indent=2)
    f.write("\n")
os.replace(tmp, out_p)
PY
}

# One measurement for lab_repeat (lib.sh): the port writes its run JSON,
# `corolab trace` (when TRACED) the trace; merged into OUT.
py_once() { # py_once TRACED OUT LOG WORKLOAD MODE ARGS... -> exit status
	local traced=$1 out=$2 log=$3 workload=$4 mode=$5 rc=0
	shift 5
	local cmd=("$PYTHON" "$PORT" "$workload" --mode "$mode" "$@" --json "$out.run.tmp")
	[ "$traced" -eq 1 ] && cmd=("$COROLAB" trace --json "$out.trace.tmp" -- "${cmd[@]}")
	LAB_TEMPS=("$out.run.tmp" "$out.trace.tmp")	# Ctrl-C: removed, not merged
	lab_exec "$log" "${cmd[@]}" || rc=$?
	if [ "$rc" -eq 0 ] && [ -s "$out.run.tmp" ]; then
		if [ "$traced" -eq 1 ]; then
			py_merge "$out.run.tmp" "$out.trace.tmp" "$out" >>"$log" 2>&1 || rc=1
		else
			mv -f "$out.run.tmp" "$out"
		fi
	fi
	rm -f "$out.run.tmp" "$out.trace.tmp"
	LAB_TEMPS=()
	[ "$rc" -ne 0 ] || [ -s "$out" ] || rc=1
	return "$rc"
}

py_run() { # py_run LABEL FILE WORKLOAD MODE [ARGS...]: queued, REPEAT times
	local label=$1 file=$2
	shift 2
	lab_repeat "$label" "$file" py_once "$@"
}

sleep_args=() cpu_args=() spawn_args=() lc_args=() sw_args=()
scale=1
# cpu: the write-up's n = 1,000,000 takes ~0.04 s per task in CPython here,
# lost in interpreter and pool start-up (the ledger's PY_CPU_MIN_WALL_S says
# "not measured" below 0.2 s).  As the C cpu workload does, size a task to
# ~0.3 s; the write-up's own n still runs in its original program (below).
cpu_args=(--n 6000000)
if [ "$QUICK" -eq 1 ]; then
	sleep_args=(--duration 0.05)
	# ~0.13 s per task here: enough for the GIL to show over interpreter
	# start-up (the ledger's PY_CPU_MIN_WALL_S is 0.2 s for the sequential
	# run), ~2 s for the four cpu runs.
	cpu_args=(--n 3000000)
	spawn_args=(--duration 0.02)
	lc_args=(--duration 0.01)
	sw_args=(--tasks 10000)
	scale=0.01
fi
lab_plan 20
[ "$QUICK" -eq 1 ] || LAB_STEPS=$((LAB_STEPS + 1))

for mode in sequential threads coroutines processes; do
	py_run "py sleep $mode" "py-sleep-$mode" sleep "$mode" "${sleep_args[@]}"
done
for mode in sequential threads coroutines processes; do
	py_run "py cpu $mode" "py-cpu-$mode" cpu "$mode" "${cpu_args[@]}"
done
for mode in threads coroutines; do
	py_run "py spawn $mode" "py-spawn-$mode" spawn "$mode" "${spawn_args[@]}"
done
for mode in sequential threads coroutines; do
	py_run "py lifecycle $mode" "py-lifecycle-$mode" lifecycle "$mode" "${lc_args[@]}"
done
for mode in threads coroutines processes; do
	py_run "py switch $mode" "py-switch-$mode" switch "$mode" "${sw_args[@]}"
done
if lab_server_start; then
	for mode in sequential threads coroutines processes; do
		py_run "py http $mode" "py-http-$mode" http "$mode" --url "$LAB_URL" --delay-scale "$scale"
	done
	lab_flush	# every queued run, in rounds, while the server is up
	lab_server_stop
else
	LAB_FAILURES=$((LAB_FAILURES + 1))
	echo "py http: corolab serve did not start; http runs skipped" >>"$EXP_DIR/NOTES.txt"
fi
lab_flush

# The write-up's program itself: once, full scale only (it takes ~40 s).
if [ "$QUICK" -eq 0 ]; then
	LAB_STEP=$((LAB_STEP + 1))
	LAB_CURRENT="original program"
	printf '[%d/%d] %s original program ... ' "$LAB_STEP" "$LAB_STEPS" "$LAB_NAME" >&2
	orig=("$LAB_ROOT/lab/python/run_original.sh")
	[ -n "$LAB_TRACE" ] || orig+=(--no-trace)
	printf 'PYTHON=%s %s\n' "$(lab_quote "$PYTHON")" "$(lab_quote "${orig[@]}" "$EXP_DIR/original")" >>"$RESULTS_DIR/commands.txt"
	rc=0
	PYTHON=$PYTHON setsid "${orig[@]}" "$EXP_DIR/original" >"$EXP_DIR/original.log" 2>&1 </dev/null &
	wait "$!" || rc=$?
	case $rc in
	0) echo "done" >&2 ;;
	77) echo "skipped: $(tail -n1 "$EXP_DIR/original.log")" >&2
	    echo "original program: $(tail -n1 "$EXP_DIR/original.log")" >>"$EXP_DIR/NOTES.txt" ;;
	*) LAB_FAILURES=$((LAB_FAILURES + 1))
	   echo "FAILED (exit $rc; log: $EXP_DIR/original.log)" >&2
	   echo "original program: failed with exit $rc (see original.log)" >>"$EXP_DIR/NOTES.txt" ;;
	esac
	LAB_CURRENT=
fi
lab_finish
