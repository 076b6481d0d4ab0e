#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The tracer's overhead (issue 4), measured on this machine in one run:
#   switch-threads    `corolab run switch --mode threads`, ns_per_switch, traced
#                     vs untraced: the worst case (two sched_switch events and
#                     ~1.6 syscalls per ~2 µs switch; sched_wakeup is not hooked)
#                                                                 goal <= 10%
#   (nosys)           the same traced with --no-syscalls: reference only
#   (hooks)           the same with --hooks-only (the same hooks, empty
#                     programs): the floor no program body can go under
#   sleep-threads     the write-up's 10 x 1 s sleep test, wall_s  goal <= 2%
#   sleep-coroutines  the same, coroutines                        goal <= 2%
#   http-coroutines   the write-up's 50 requests to /delay/{1,2,3} against a
#                     `corolab serve` started outside the traced tree  goal <= 2%
#   perf-sched        `perf sched record` on the switch workload: ours must be
#                     below it (when perf is installed)
# Each figure is the median over REPEATS runs (the switch workload: 3 x REPEATS
# shorter runs, since its untraced median must hold still to well under the 10%
# it is judged by, and this VM slows down for tenths of a second at a time);
# untraced, traced (and perf) runs
# alternate so background load hits every variant alike.  min-max beside it.
# Prints a table, then lines "bench: trace-overhead NAME +X.X% (goal ...) ok"
# or "BELOW GOAL".  The verdict is the paired figure (the median of each
# round's traced/untraced ratio; the two runs of a round share the machine's
# speed); the medians and the untraced runs' spread are printed beside it.
# Exits 1 if any figure misses its goal, 77 if not root.
#
# Usage: scripts/bench-trace.sh [--quick] [--repeats N] [--profile]
#   --quick     short runs (switch 50k round trips, sleeps and delays x0.1)
#   --repeats   rounds per workload (default 7; quick 5; at least 5; x3 for switch)
#   --profile   also report each BPF program's run_time_ns/run_cnt on the
#               switch workload (sets kernel.bpf_stats_enabled for that run)
# Env: COROLAB=build/corolab
set -u
cd "$(dirname "$0")/.."
COROLAB=${COROLAB:-build/corolab}
QUICK=0 REPEATS= PROFILE=0
NOISE_MAX_PCT=15	# untraced min-max spread beyond which the line says the machine moved
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--repeats) REPEATS=$2; shift ;;
	--profile) PROFILE=1 ;;
	-h|--help) sed -n '3,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-trace: unknown option '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$REPEATS" ]; then REPEATS=7; [ "$QUICK" = 1 ] && REPEATS=5; fi
case $REPEATS in ''|*[!0-9]*) echo "bench-trace: --repeats wants a number" >&2; exit 2 ;; esac
[ "$REPEATS" -ge 5 ] || { echo "bench-trace: --repeats must be >= 5 (medians)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench: trace-overhead skipped: needs root (BPF)"; exit 77; }
[ -x "$COROLAB" ] || { echo "bench-trace: $COROLAB is not built (make)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench-trace: needs python3 (JSON)" >&2; exit 2; }

if [ "$QUICK" = 1 ]; then
	SWITCH_TASKS=50000 SLEEP_DUR=0.1 HTTP_SCALE=0.1
else
	SWITCH_TASKS=100000 SLEEP_DUR=1 HTTP_SCALE=1
fi
TMP=$(mktemp -d /tmp/corolab-bench-trace.XXXXXX)
SERVE_PID=
below=0
cleanup() {
	[ -n "$SERVE_PID" ] && { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
	[ -n "${STATS_OLD:-}" ] && sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# field FILE KEY: a field of a run JSON (the first object of an array).
field() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d=d[0] if isinstance(d,list) else d
print(d[sys.argv[2]])' "$1" "$2" 2>/dev/null
}

# stats V...: "median min max" (the median of an even count: mean of the two middle ones)
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.6g %.6g %.6g\n", m, v[1], v[NR] }'
}

# one VARIANT OUTFILE KEY CMD...: run once, print KEY of the JSON the run writes
# to $TMP/run.json (CMD must write it there).  Empty on failure.
one() {
	local variant=$1 key=$2 j=$TMP/run.json
	shift 2
	rm -f "$j"
	case $variant in
	plain) "$@" >"$TMP/out" 2>&1 ;;
	traced) "$COROLAB" trace --json "$TMP/trace.json" -- "$@" >"$TMP/out" 2>&1 ;;
	nosys) "$COROLAB" trace --no-syscalls --json "$TMP/trace.json" -- "$@" >"$TMP/out" 2>&1 ;;
	hooks) "$COROLAB" trace --hooks-only --json "$TMP/trace.json" -- "$@" >"$TMP/out" 2>&1 ;;
	perf) perf sched record -q -o "$TMP/perf.data" -- "$@" >"$TMP/out" 2>&1
	      rm -f "$TMP/perf.data" "$TMP/perf.data.old" ;;
	esac
	[ -s "$j" ] && field "$j" "$key"
}

ROWS=()
# measure NAME KEY GOAL_PCT VARIANTS CMD...: alternate the variants REPEATS
# times; record medians; print the verdict line for traced (and perf).
measure() {
	local name=$1 key=$2 goal=$3 variants=$4 r v x rounds=$REPEATS
	shift 4
	[ "$name" = switch-threads ] && rounds=$((3 * REPEATS))
	declare -A vals=() cur=()
	local ratios=
	for r in $(seq "$rounds"); do
		cur=()
		# Odd rounds in order, even rounds reversed: no variant always runs
		# first (an alternated A/B once read +3.9% from order alone).
		local order=$variants
		# shellcheck disable=SC2086  # a list of words
		[ $((r % 2)) -eq 0 ] && order=$(printf '%s\n' $variants | tac | tr '\n' ' ')
		for v in $order; do
			x=$(one "$v" "$key" "$@")
			if [ -z "$x" ]; then
				echo "bench: trace-overhead $name: $v run failed: $(tail -3 "$TMP/out")" >&2
				continue
			fi
			vals[$v]="${vals[$v]:-} $x"
			cur[$v]=$x
		done
		# Paired: traced over the untraced run of the same round, which
		# shares its stretch of the machine's speed.
		[ -n "${cur[plain]:-}" ] && [ -n "${cur[traced]:-}" ] &&
			ratios="$ratios $(awk -v a="${cur[traced]}" -v b="${cur[plain]}" 'BEGIN{ printf "%.6f", a / b }')"
	done
	local base traced_pct perf_pct
	# shellcheck disable=SC2086
	read -r base bmin bmax <<<"$(stats ${vals[plain]:-})"
	for v in $variants; do
		local m lo hi pct
		# shellcheck disable=SC2086
		read -r m lo hi <<<"$(stats ${vals[$v]:-})"
		pct=
		[ -n "${base:-}" ] && [ -n "${m:-}" ] &&
			pct=$(awk -v a="$m" -v b="$base" 'BEGIN{ printf "%+.1f", (a / b - 1) * 100 }')
		ROWS+=("$(printf '%-17s %-7s %-14s %14s %25s %9s' "$name" "$v" "$key" "${m:-n/a}" \
			"${lo:-?}-${hi:-?}" "${pct:+$pct%}")")
		[ "$v" = traced ] && traced_pct=$pct
		[ "$v" = perf ] && perf_pct=$pct
		[ "$v" = nosys ] && echo "bench: trace-overhead $name-no-syscalls ${pct:-n/a}% (no goal: \`trace --no-syscalls\`, for reference)"
		[ "$v" = hooks ] && echo "bench: trace-overhead $name-hooks-only ${pct:-n/a}% (no goal: \`trace --hooks-only\`, the same hooks with empty programs: the floor under the programs' bodies)"
	done
	# The verdict is the paired figure: the median of each round's
	# traced/untraced ratio, whose two runs share the machine's stretch of
	# speed.  Medians of each variant alone let a slow stretch move the
	# baseline (00:50 on 2026-11-28: untraced 2075-2946 ns, "+7.6%" by
	# medians, +11.5% by minimums); with the paired figure a moving machine
	# widens the ratios' spread but no longer picks the verdict.  The
	# untraced spread is still printed, so a reader knows how steady the
	# machine was.
	local spread paired_pct='' rlo='' rhi='' how
	spread=$(awk -v a="${bmax:-0}" -v b="${bmin:-0}" 'BEGIN{ if (b > 0) printf "%.0f", (a / b - 1) * 100 }')
	if [ -n "$ratios" ]; then
		local pm
		# shellcheck disable=SC2086
		read -r pm rlo rhi <<<"$(stats $ratios)"
		paired_pct=$(awk -v r="$pm" 'BEGIN{ printf "%+.1f", (r - 1) * 100 }')
	fi
	how="paired: median of $(wc -w <<<"$ratios") rounds' traced/untraced ratios"
	how="$how $(awk -v a="${rlo:-1}" -v b="${rhi:-1}" 'BEGIN{ printf "%+.1f..%+.1f%%", (a - 1) * 100, (b - 1) * 100 }')"
	how="$how; by medians ${traced_pct:-n/a}%; untraced spread ${spread:-?}%"
	if [ -n "$spread" ] && [ "$spread" -gt "$NOISE_MAX_PCT" ]; then
		how="$how, a moving machine (corolab doctor --speed)"
	fi
	if [ -z "${traced_pct:-}" ] || [ -z "$paired_pct" ]; then
		echo "bench: trace-overhead $name n/a (goal <= $goal%) BELOW GOAL (runs failed)"
		below=1
	elif awk -v p="$paired_pct" -v g="$goal" 'BEGIN{ exit !(p <= g) }'; then
		echo "bench: trace-overhead $name ${paired_pct}% (goal <= $goal%) ok ($how)"
	else
		echo "bench: trace-overhead $name ${paired_pct}% (goal <= $goal%) BELOW GOAL ($how)"
		below=1
	fi
	if [ -n "${perf_pct:-}" ]; then
		if awk -v p="$traced_pct" -v q="$perf_pct" 'BEGIN{ exit !(p < q) }'; then
			echo "bench: trace-overhead $name-vs-perf ${traced_pct}% vs perf sched record ${perf_pct}% (goal: below perf) ok"
		else
			echo "bench: trace-overhead $name-vs-perf ${traced_pct}% vs perf sched record ${perf_pct}% (goal: below perf) BELOW GOAL"
			below=1
		fi
	fi
}

echo "bench-trace: $(uname -r), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
	"clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)," \
	"load $(cut -d' ' -f1-3 /proc/loadavg), $REPEATS repeats$([ "$QUICK" = 1 ] && echo ', quick')"

SW=("$COROLAB" run switch --mode threads --tasks "$SWITCH_TASKS" -q --json "$TMP/run.json")
# nosys: the same with --no-syscalls; hooks: with --hooks-only (every hook
# attached, every program empty).  For reference; the goal is for the default.
variants="plain traced nosys hooks"
if command -v perf >/dev/null && perf sched record -q -o "$TMP/perf.data" -- true >/dev/null 2>&1; then
	variants="plain traced nosys hooks perf"
else
	echo "bench: trace-overhead perf-sched skipped: perf missing or cannot record sched events"
fi
rm -f "$TMP/perf.data" "$TMP/perf.data.old"
measure switch-threads ns_per_switch 10 "$variants" "${SW[@]}"

for m in threads coroutines; do
	measure "sleep-$m" wall_s 2 "plain traced" \
		"$COROLAB" run sleep --mode "$m" --duration "$SLEEP_DUR" -q --json "$TMP/run.json"
done

# The server runs outside the traced tree (started here, not by the command).
"$COROLAB" serve --port 0 --exit-with $$ >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$TMP/serve.out" 2>/dev/null)
	[ -n "$port" ] && break
	sleep 0.05
done
url="http://127.0.0.1:$port/delay/{delay}"
if [ -z "$port" ]; then
	echo "bench: trace-overhead http-coroutines skipped: corolab serve did not start ($(cat "$TMP/serve.err"))"
elif ! "$COROLAB" run http --mode coroutines --tasks 3 --url "$url" --delay-scale 0.01 -q \
	--json "$TMP/probe.json" >"$TMP/out" 2>&1; then
	echo "bench: trace-overhead http-coroutines skipped: corolab run http is not working yet ($(tail -1 "$TMP/out"))"
else
	measure http-coroutines wall_s 2 "plain traced" \
		"$COROLAB" run http --mode coroutines --url "$url" --delay-scale "$HTTP_SCALE" -q --json "$TMP/run.json"
fi

echo
printf '%-17s %-7s %-14s %14s %25s %9s\n' workload variant metric median min-max overhead
printf '%s\n' "${ROWS[@]}"

# Where the time goes: each program's average cost on the switch workload.
if [ "$PROFILE" = 1 ] && command -v bpftool >/dev/null; then
	STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
	# bpftool runs inside the traced command, while the programs are loaded;
	# the tracer's own program ids come from its fdinfo ($PPID is corolab
	# trace), so another tracer running on the machine is not mixed in.
	"$COROLAB" trace -- sh -c '"$@" && bpftool prog show -j >"'"$TMP"'/progs.json" &&
		cat /proc/$PPID/fdinfo/* 2>/dev/null | sed -n "s/^prog_id:[[:space:]]*//p" >"'"$TMP"'/ids"' \
		sh "${SW[@]}" >/dev/null 2>&1
	sysctl -qw kernel.bpf_stats_enabled="$STATS_OLD"
	STATS_OLD=
	echo
	python3 - "$TMP/progs.json" "$TMP/ids" <<'PY'
import json, sys
ours = ("sched_", "page_fault_", "sys_enter_", "io_uring_")
try:
    ids = {int(x) for x in open(sys.argv[2]).read().split()}
except (OSError, ValueError):
    ids = set()
print("%-26s %12s %14s %10s" % ("bpf program", "run_cnt", "run_time_ns", "ns/run"))
for p in json.load(open(sys.argv[1])):
    n = p.get("name", "")
    if n.startswith(ours) and p.get("run_cnt") and (not ids or p["id"] in ids):
        print("%-26s %12d %14d %10.1f" % (n, p["run_cnt"], p["run_time_ns"], p["run_time_ns"] / p["run_cnt"]))
PY
fi
exit $below
