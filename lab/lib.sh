# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared helpers of the lab scripts (sourced, not run).
#
# Each experiment script calls:
#   lab_init NAME "$@"          parse --quick/--repeat/--help, find corolab,
#                                decide trace vs plain, create the result dirs
#   lab_plan N                   number of runs it will make (for "[i/N]")
#   lab_run LABEL FILE WORKLOAD MODE [ARGS...]   one measurement x REPEAT
#   lab_repeat LABEL FILE ONCE [ARGS...]         the same for another kind of
#                                measurement (06-python: py_once)
#   lab_flush                    run what lab_run/lab_repeat queued, in rounds
#   lab_finish                   flush; exit status: 0, or 1 if a run failed
#
# Repeats are interleaved: lab_run and lab_repeat only queue, and lab_flush
# (or lab_finish) runs round 1 of every queued measurement, then round 2, and
# so on.  A few seconds of a slower machine (another guest on the host, which
# no counter in this VM shows) then hit one repeat of every mode, which the
# medians drop, instead of every repeat of one mode, which no median can
# (it made a sequential CPU run 1.6x slower than the same work in coroutines
# and "native threads 3.01x on 2 cores" in one report).
#
# Results go to $RESULTS_DIR/<NAME>/<FILE>.r<N>.json.  lab/all.sh creates
# RESULTS_DIR once and exports it; a script run alone creates its own
# results/<timestamp>/.  Nothing is ever overwritten: an existing directory
# is refused.  Ctrl-C kills every child (each runs in its own session so its
# whole tree can be signalled), writes RESULTS_DIR/PARTIAL with the reason
# and exits 130.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=0
REPEAT=
LAB_FAILURES=0
LAB_STEP=0
LAB_STEPS=0
LAB_TEMPS=()	# files the running child writes that only a finished run keeps
LAB_SERVER=
LAB_OWNS_RESULTS=0

lab_log() { printf '%s\n' "$*" >&2; }

# lab_sigint_default SCRIPT ARGS...: when this shell started with SIGINT
# ignored, exec SCRIPT again with SIGINT back at its default, once.  A
# non-interactive shell starts every `cmd &` with SIGINT and SIGQUIT ignored,
# and bash can neither trap nor reset a signal ignored on entry: `kill -INT`
# to a lab started that way (nohup, a script's `&`, a test harness) was
# silently dropped and the lab ran on to the end.  corolab itself installs
# its handlers whatever it inherited; the lab now does the same.  Not for an
# experiment started by all.sh (RESULTS_DIR set): all.sh stops it with
# SIGTERM, and its own SIGINT stays ignored as bash means it to be.
lab_sigint_default() {
	local mask
	[ -z "${LAB_SIGINT_RESET:-}" ] || return 0
	mask=$(awk '/^SigIgn:/ { print $2 }' /proc/$$/status 2>/dev/null) || return 0
	case $mask in ''|*[!0-9a-fA-F]*) return 0 ;; esac
	(( (16#$mask >> 1) & 1 )) || return 0
	env --default-signal=INT true 2>/dev/null || return 0	# coreutils < 8.31
	exec env --default-signal=INT LAB_SIGINT_RESET=1 "$BASH" "$@"
}
lab_die() { printf '%s: %s\n' "$LAB_NAME" "$*" >&2; exit 1; }

lab_usage() {
	cat <<EOF
USAGE: $0 [--quick] [--repeat N]

Runs experiment $LAB_NAME of the corolab lab: every mode under the eBPF
tracer ('corolab run --trace', needs root; plain runs otherwise, noted in
the results), JSON into \$RESULTS_DIR/$LAB_NAME/ (default: a new
results/<timestamp>/ directory).

OPTIONS:
  --quick       scaled-down parameters (seconds instead of minutes)
  --repeat N    repeats of each measurement (default 3; 1 with --quick)
  -h, --help    this text

ENVIRONMENT:
  COROLAB       corolab binary (default: build/corolab, then PATH)
  RESULTS_DIR   write here (set by lab/all.sh); must not contain $LAB_NAME/
  RESULTS_BASE  parent of new timestamp directories (default: results/)

EXAMPLES:
  sudo $0
  sudo $0 --quick --repeat 1
EOF
}

# COROLAB: $COROLAB if set, else build/corolab, else corolab on PATH; made
# absolute and exported (the scripts cd, the children inherit it).
lab_find_corolab() {
	if [ -z "${COROLAB:-}" ]; then
		if [ -x "$LAB_ROOT/build/corolab" ]; then COROLAB=$LAB_ROOT/build/corolab
		else COROLAB=$(command -v corolab || true); fi
	fi
	{ [ -n "$COROLAB" ] && [ -x "$COROLAB" ]; } || lab_die "corolab not found: run 'make' or set COROLAB"
	case $COROLAB in /*) ;; *) COROLAB=$PWD/$COROLAB ;; esac
	export COROLAB
}

# Quote a command for commands.txt so it can be pasted back into a shell.
lab_quote() {
	local out='' a
	for a in "$@"; do out="$out $(printf '%q' "$a")"; done
	printf '%s' "${out# }"
}

# lab_doctor FLAG: one line of `corolab doctor FLAG`, quotes stripped for
# env.json; empty when it cannot run.  --speed: "0.273 ns per cpu-loop
# iteration (median of 100 slices), slowest tenth +2%, ..."; --idle: how
# idle CPUs wait (what waking one costs); --costs: a system call's and a
# first page touch's cost, which the absolute switch, creation and HTTP
# figures scale with.
lab_doctor() {
	"$COROLAB" doctor "$1" 2>/dev/null | sed -e 's/["\\]//g' | head -n1
}

# lab_env_add DIR KEY VALUE: one more string field in DIR/env.json.
lab_env_add() {
	local tmp=$1/.env.json.$$
	sed '$ d' "$1/env.json" >"$tmp" &&
		printf '  ,"%s": "%s"\n}\n' "$2" "$(printf '%s' "$3" | sed 's/["\\]//g')" >>"$tmp" &&
		mv -f "$tmp" "$1/env.json"
}

lab_write_env() { # lab_write_env DIR — env.json, atomically
	local dir=$1 tmp governor commit dirty=
	tmp=$dir/.env.json.$$
	governor=$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo "unavailable")
	commit=${COROLAB_COMMIT:-$(git -C "$LAB_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}
	if [ -z "${COROLAB_COMMIT:-}" ] && ! git -C "$LAB_ROOT" diff --quiet HEAD 2>/dev/null; then
		dirty="-dirty"
	fi
	ver() { "$@" 2>/dev/null | head -n1 | sed 's/["\\]//g' || true; }
	cat >"$tmp" <<EOF
{
  "schema": "corolab.env/1",
  "kernel": "$(uname -srm)",
  "cpu_model": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1 | sed 's/["\\]//g')",
  "cores": $(nproc),
  "governor": "$governor",
  "loadavg": "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)",
  "versions": {
    "liburing": "$(ver pkg-config --modversion liburing)",
    "libbpf": "$(ver pkg-config --modversion libbpf)",
    "libcurl": "$(ver pkg-config --modversion libcurl)",
    "clang": "$(ver clang --version)",
    "gnuplot": "$(ver gnuplot --version)"
  },
  "commit": "$commit$dirty",
  "started": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "tracing": "$LAB_TRACE_NOTE",
  "quick": $QUICK,
  "repeat": $REPEAT,
  "corolab": "$COROLAB",
  "cpu_speed": "$(lab_doctor --speed)",
  "idle_cpus": "$(lab_doctor --idle)",
  "kernel_costs": "$(lab_doctor --costs)"
}
EOF
	mv -f "$tmp" "$dir/env.json"
}

# Decide whether runs can be traced; LAB_TRACE is "--trace" or empty.
lab_detect_trace() {
	local probe
	# all.sh decided once for all its experiments (the probe is a trace).
	[ -n "${LAB_TRACE_DETECTED:-}" ] && return 0
	LAB_TRACE=
	if [ "$(id -u)" -ne 0 ]; then
		LAB_TRACE_NOTE="plain runs: not root, so no eBPF trace (run the lab with sudo)"
	elif ! probe=$("$COROLAB" trace --json /dev/null -- true 2>&1 >/dev/null); then
		# Root, but the tracer cannot work here (no BPF in this kernel or
		# container, a verifier refusal): say why and run plain.
		LAB_TRACE_NOTE="plain runs: corolab trace failed here ($(printf '%s\n' "$probe" | tail -n1))"
	else
		LAB_TRACE=--trace
		LAB_TRACE_NOTE="eBPF trace (corolab run --trace)"
	fi
	LAB_TRACE_DETECTED=1
	export LAB_TRACE LAB_TRACE_NOTE LAB_TRACE_DETECTED
}

lab_new_results_dir() {
	local base=${RESULTS_BASE:-$LAB_ROOT/results}
	mkdir -p "$base"
	RESULTS_DIR=$base/$(date +%Y%m%d-%H%M%S)
	# mkdir without -p fails if it exists: never reuse a directory.
	mkdir "$RESULTS_DIR" 2>/dev/null ||
		lab_die "$RESULTS_DIR already exists; refusing to overwrite earlier results (retry in a second)"
	LAB_OWNS_RESULTS=1
	export RESULTS_DIR
	echo "in progress: started $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$RESULTS_DIR/PARTIAL"
	lab_write_env "$RESULTS_DIR"
	printf '# corolab lab, %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$RESULTS_DIR/commands.txt"
}

# SIGTERM, then SIGKILL after 8 s: longer than corolab trace's own 5 s
# between forwarding a stop and killing its command, so that a traced run
# can still write its partial results and remove its temporary files (2 s
# was too short on a host where loading the programs alone takes 0.6 s).
lab_kill_tree() { # lab_kill_tree PID — the child's whole session
	local pid=$1 _
	[ -n "$pid" ] || return 0
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 80); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# lab_kill_jobs: every background job of this shell but the server (which
# lab_server_stop stops last), from `jobs -p` rather than a variable set
# from $!: a signal that lands between `cmd &` and that assignment runs the
# trap with the variable still empty, and the run just started was left
# behind (CI caught one).
lab_kill_jobs() {
	local p
	for p in $(jobs -p); do
		[ "$p" = "${LAB_SERVER:-}" ] || lab_kill_tree "$p"
	done
}

lab_on_signal() {
	local sig=$1
	trap '' INT TERM
	# all.sh forwards the user's SIGINT as SIGTERM and leaves the original.
	if [ -n "${RESULTS_DIR:-}" ] && [ -s "$RESULTS_DIR/.signal" ]; then
		sig=$(cat "$RESULTS_DIR/.signal")
	fi
	lab_log "$LAB_NAME: interrupted by SIG$sig, stopping children"
	lab_kill_jobs
	[ ${#LAB_TEMPS[@]} -eq 0 ] || rm -f "${LAB_TEMPS[@]}"
	lab_server_stop
	if [ -n "${RESULTS_DIR:-}" ] && [ -d "$RESULTS_DIR" ]; then
		echo "interrupted by SIG$sig during $LAB_NAME ${LAB_CURRENT:-} at $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
			>"$RESULTS_DIR/PARTIAL"
	fi
	exit 130
}

lab_init() {
	LAB_NAME=$1
	shift
	[ -n "${RESULTS_DIR:-}" ] || lab_sigint_default "$0" "$@"
	while [ $# -gt 0 ]; do
		case $1 in
		--quick) QUICK=1 ;;
		--repeat)
			[ $# -ge 2 ] || { lab_usage >&2; exit 2; }
			REPEAT=$2
			shift ;;
		--repeat=*) REPEAT=${1#--repeat=} ;;
		-h|--help) lab_usage; exit 0 ;;
		*) printf '%s: unknown option %s\n\n' "$LAB_NAME" "$1" >&2; lab_usage >&2; exit 2 ;;
		esac
		shift
	done
	if [ -z "$REPEAT" ]; then
		if [ "$QUICK" -eq 1 ]; then REPEAT=1; else REPEAT=3; fi
	fi
	case $REPEAT in
	''|*[!0-9]*|0) printf '%s: --repeat wants a positive integer, not %s\n' "$LAB_NAME" "$REPEAT" >&2; exit 2 ;;
	esac
	lab_find_corolab
	trap 'lab_on_signal INT' INT
	trap 'lab_on_signal TERM' TERM
	trap 'lab_server_stop' EXIT
	lab_detect_trace	# runs a trace: after the traps, like all that follows
	if [ -z "${RESULTS_DIR:-}" ]; then
		lab_new_results_dir
	else
		[ -d "$RESULTS_DIR" ] || lab_die "RESULTS_DIR=$RESULTS_DIR does not exist"
	fi
	EXP_DIR=$RESULTS_DIR/$LAB_NAME
	mkdir "$EXP_DIR" 2>/dev/null || lab_die "$EXP_DIR already exists; refusing to overwrite"
	[ -n "$LAB_TRACE" ] || echo "$LAB_TRACE_NOTE" >"$EXP_DIR/NOTES.txt"
	lab_log "== $LAB_NAME: repeat $REPEAT$([ "$QUICK" -eq 1 ] && echo ", quick"), $LAB_TRACE_NOTE"
	lab_log "   results: $EXP_DIR"
}

lab_plan() { LAB_STEPS=$(( $1 * REPEAT )); }

# The wall time a result file reports (first wall_s: the run's), for progress.
lab_wall() {
	grep -o '"wall_s": *[0-9.eE+-]*' "$1" 2>/dev/null | head -n1 | sed 's/.*: *//' |
		awk '{ printf($1 < 0.1 ? "%.4f" : "%.2f", $1) }'
}

# lab_exec LOG CMD...: record CMD in commands.txt, run it in a session of
# its own (Ctrl-C handling kills that group), wait for it.
lab_exec() {
	local log=$1 rc=0
	shift
	printf '%s\n' "$(lab_quote "$@")" >>"$RESULTS_DIR/commands.txt"
	setsid "$@" >"$log" 2>&1 </dev/null &
	wait "$!" || rc=$?
	return "$rc"
}

# lab_once_corolab TRACED OUT LOG WORKLOAD MODE [ARGS...]: one `corolab run`
# writing OUT, under the tracer when TRACED is 1.
lab_once_corolab() {
	local traced=$1 out=$2 log=$3 workload=$4 mode=$5
	shift 5
	local cmd=("$COROLAB" run "$workload" --mode "$mode" "$@" --json "$out")
	[ "$traced" -eq 1 ] && cmd+=("$LAB_TRACE")
	lab_exec "$log" "${cmd[@]}"
}

# lab_one R LABEL FILE ONCE [ARGS...]: repeat R of a measurement,
# `ONCE TRACED OUT LOG ARGS...` writing $EXP_DIR/FILE.rR.json, with progress
# on stderr.  A traced run that fails is retried plain (noted in NOTES.txt,
# its log kept as FILE.rR.trace-failed.log); a failure is counted and noted.
lab_one() {
	local r=$1 label=$2 file=$3 once=$4 out log rc start secs traced=0
	shift 4
	[ -n "$LAB_TRACE" ] && traced=1
	LAB_STEP=$((LAB_STEP + 1))
	LAB_CURRENT="$label r$r"
	out=$EXP_DIR/$file.r$r.json
	log=$EXP_DIR/$file.r$r.log
	printf '[%d/%d] %s %s r%d ... ' "$LAB_STEP" "$LAB_STEPS" "$LAB_NAME" "$label" "$r" >&2
	start=$(date +%s.%N)
	rc=0
	"$once" "$traced" "$out" "$log" "$@" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$traced" -eq 1 ]; then
		# The tracer could not run this one: keep a plain measurement.
		printf 'trace failed (exit %d), plain run ... ' "$rc" >&2
		echo "$label r$r: traced run failed (exit $rc, see $file.r$r.trace-failed.log); plain run recorded" \
			>>"$EXP_DIR/NOTES.txt"
		mv -f "$log" "$EXP_DIR/$file.r$r.trace-failed.log"
		rc=0
		"$once" 0 "$out" "$log" "$@" || rc=$?
	fi
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.2f", e-s}')
	if [ "$rc" -eq 0 ] && [ -s "$out" ]; then
		printf '%s s\n' "$(lab_wall "$out" || echo "$secs")" >&2
	else
		LAB_FAILURES=$((LAB_FAILURES + 1))
		printf 'FAILED (exit %d after %s s; log: %s)\n' "$rc" "$secs" "$log" >&2
		echo "$label r$r: failed with exit $rc (see $file.r$r.log)" >>"$EXP_DIR/NOTES.txt"
		tail -n 3 "$log" | sed 's/^/      | /' >&2 || true
	fi
	LAB_CURRENT=
}

LAB_QUEUE=()

# lab_repeat LABEL FILE ONCE [ARGS...]: queue REPEAT measurements of ONCE
# (see lab_one); lab_flush runs them, interleaved with the rest of the queue.
lab_repeat() {
	LAB_QUEUE+=("$(lab_quote "$@")")
}

# lab_flush: every queued measurement once per round, REPEAT rounds.
lab_flush() {
	local r entry
	for r in $(seq 1 "$REPEAT"); do
		for entry in "${LAB_QUEUE[@]}"; do
			eval "lab_one $r $entry"
		done
	done
	LAB_QUEUE=()
}

# lab_run LABEL FILE WORKLOAD MODE [ARGS...]: queue REPEAT runs (lab_flush
# runs them), each in its own session (setsid) so Ctrl-C can stop the whole
# tree.  A failed traced run is retried plain and noted; a failed run does not
# stop the experiment.
lab_run() {
	local label=$1 file=$2
	shift 2
	lab_repeat "$label" "$file" lab_once_corolab "$@"
}

# The built-in delay server, started outside the traced tree so its work is
# not charged to the client being measured.  Sets LAB_URL.
lab_server_start() {
	local log=$EXP_DIR/server.log port='' _
	setsid "$COROLAB" serve --bind 127.0.0.1 --port 0 --exit-with $$ >"$log" 2>&1 </dev/null &
	LAB_SERVER=$!
	for _ in $(seq 1 50); do
		port=$(grep -oE '(127\.0\.0\.1|localhost|0\.0\.0\.0|\]):[0-9]+' "$log" 2>/dev/null | head -n1 | sed 's/.*://')
		[ -n "$port" ] && break
		kill -0 "$LAB_SERVER" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		lab_server_stop
		lab_log "$LAB_NAME: 'corolab serve' did not report a port: $(tail -n1 "$log" 2>/dev/null)"
		return 1
	fi
	# shellcheck disable=SC2034  # used by 01-http.sh
	LAB_URL="http://127.0.0.1:$port/delay/{delay}"
	# The report names the server where it took the CPU from a traced run
	# (setsid forks only when it leads a process group: then its child).
	local spid=$LAB_SERVER
	[ "$(cat "/proc/$spid/comm" 2>/dev/null)" = corolab ] || spid=$(pgrep -P "$LAB_SERVER" | head -n1)
	[ -n "$spid" ] && echo "$spid" >"$EXP_DIR/server.pid"
	echo "$(lab_quote "$COROLAB" serve --bind 127.0.0.1 --port 0)  # listening on port $port" \
		>>"$RESULTS_DIR/commands.txt"
}

lab_server_stop() {
	if [ -n "${LAB_SERVER:-}" ]; then
		lab_kill_tree "$LAB_SERVER"
		LAB_SERVER=
	fi
}

lab_finish() {
	lab_flush
	lab_server_stop
	if [ "$LAB_OWNS_RESULTS" -eq 1 ]; then
		if [ "$LAB_FAILURES" -eq 0 ]; then
			rm -f "$RESULTS_DIR/PARTIAL"
		else
			echo "$LAB_FAILURES run(s) failed in $LAB_NAME (see NOTES.txt)" >"$RESULTS_DIR/PARTIAL"
		fi
	fi
	lab_log "== $LAB_NAME done: $LAB_STEP runs, $LAB_FAILURES failed"
	[ "$LAB_FAILURES" -eq 0 ]
}
