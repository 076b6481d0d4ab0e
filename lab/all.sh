#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole lab: every experiment in order into one new results/<timestamp>/
# directory, then `corolab report` on it.  Options (--quick, --repeat N) are
# passed to every experiment.  Ctrl-C stops the running experiment, leaves
# RESULTS_DIR/PARTIAL with the reason and exits 130; the report is still
# written for what finished.
set -eu
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
LAB_NAME=all
lab_sigint_default "$0" "$@"
args=("$@")
# Parse (and validate) the options the same way the experiments will.
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--repeat) [ $# -ge 2 ] || { lab_usage >&2; exit 2; }; REPEAT=$2; shift ;;
	--repeat=*) REPEAT=${1#--repeat=} ;;
	-h|--help)
		cat <<EOF
USAGE: $0 [--quick] [--repeat N]

Runs every experiment of the corolab lab in order (01-http, 02-lifecycle,
03-cpu-vs-io, 04-memory, 05-switch-cost, 06-python) into one new
results/<timestamp>/ directory, each mode under the eBPF tracer when root
(plain runs otherwise, noted in each experiment's NOTES.txt), then
'corolab report' on it.  06-python (the CPython ports) is skipped with a
note in 06-python/NOTES.txt when no python3 is installed.

OPTIONS:
  --quick       scaled-down parameters: the whole lab in about a minute
  --repeat N    repeats of each measurement (default 3; 1 with --quick)
  -h, --help    this text

ENVIRONMENT:
  COROLAB       corolab binary (default: build/corolab, then PATH)
  PYTHON        interpreter for 06-python (default /usr/bin/python3, then PATH)
  RESULTS_BASE  parent of the new timestamp directory (default: results/)

Ctrl-C stops the running experiment and its children, writes PARTIAL with
the reason, renders the report of what finished and exits 130.

EXAMPLES:
  sudo make lab
  sudo $0 --quick
  sudo $0 --repeat 5
EOF
		exit 0 ;;
	*) printf 'all: unknown option %s\n\n' "$1" >&2; lab_usage >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$REPEAT" ]; then
	if [ "$QUICK" -eq 1 ]; then REPEAT=1; else REPEAT=3; fi
fi
case $REPEAT in ''|*[!0-9]*|0) echo "all: --repeat wants a positive integer" >&2; exit 2 ;; esac
unset RESULTS_DIR
on_signal() {
	trap '' INT TERM
	if [ -z "${RESULTS_DIR:-}" ] || [ ! -d "$RESULTS_DIR" ]; then
		lab_log "all: interrupted before any result was written"
		exit 130
	fi
	# Experiments run in the background of this non-interactive shell, so
	# they ignore SIGINT (bash rule); stop them with SIGTERM and tell them
	# which signal the user actually sent.
	echo "$1" >"$RESULTS_DIR/.signal"
	# Every job (see lab_kill_jobs).
	local p
	for p in $(jobs -p); do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	grep -q '^interrupted' "$RESULTS_DIR/PARTIAL" 2>/dev/null ||
		echo "interrupted by SIG$1 during ${current:-all} at $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$RESULTS_DIR/PARTIAL"
	rm -f "$RESULTS_DIR/.signal" "$RESULTS_DIR"/.env.json.*	# env.json cut short
	lab_log "all: interrupted; partial results in $RESULTS_DIR"
	"$COROLAB" report "$RESULTS_DIR" >/dev/null 2>&1 || true
	exit 130
}
# Before anything runs: a signal while env.json is written (corolab doctor
# --speed, ~0.7 s) used to kill this shell outright and orphan the doctor.
# A trapped one waits for the running command, then stops cleanly.
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
lab_find_corolab
lab_detect_trace
lab_new_results_dir
lab_log "corolab lab: results in $RESULTS_DIR ($LAB_TRACE_NOTE)"

failed=()
for exp in 01-http 02-lifecycle 03-cpu-vs-io 04-memory 05-switch-cost 06-python; do
	current=$exp
	rc=0
	"$LAB_ROOT/lab/$exp.sh" "${args[@]}" &
	wait "$!" || rc=$?
	[ "$rc" -eq 0 ] || failed+=("$exp")
done
current=report
# The machine's steadiness at the end too (notes/claims.md, speed guard).
lab_env_add "$RESULTS_DIR" cpu_speed_end "$(lab_doctor --speed)"
if [ ${#failed[@]} -eq 0 ]; then
	rm -f "$RESULTS_DIR/PARTIAL"
else
	echo "experiments with failed runs: ${failed[*]} (see their NOTES.txt)" >"$RESULTS_DIR/PARTIAL"
fi
printf '%s\n' "$(lab_quote "$COROLAB" report "$RESULTS_DIR")" >>"$RESULTS_DIR/commands.txt"
"$COROLAB" report "$RESULTS_DIR" || lab_die "corolab report failed"
lab_log "all: report in $RESULTS_DIR/report.md"
[ ${#failed[@]} -eq 0 ]
