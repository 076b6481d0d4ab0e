#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: SIGINT/SIGTERM at random points of `corolab trace -- ...`,
# `corolab run` in every mode (and --mode all, --trace) and
# `lab/all.sh --quick`.  After each trial: the JSON destination holds valid
# JSON or nothing (never a truncated file, no *.tmp.* left beside it), no
# process of the trial's session survives, no BPF program or link that
# appeared during the trial is left (ids owned by other processes — other
# tracers on the machine — are ignored), no /tmp/corolab-* file is left.
# Env: SIG_TRIALS (default 50), SIG_SEED, SIG_BUDGET (seconds, default 90:
# no new trial starts after that, so the runner's 120 s timeout holds).
set -u
cd "$(dirname "$0")/.."
COROLAB=${COROLAB:-$PWD/${OUT:-build}/corolab}
[ -x "$COROLAB" ] || { echo "skip: $COROLAB not built"; exit 77; }
command -v python3 >/dev/null || { echo "skip: needs python3"; exit 77; }
root=0
if [ "$(id -u)" -eq 0 ] && command -v bpftool >/dev/null; then root=1; fi
trials=${SIG_TRIALS:-50}
budget=${SIG_BUDGET:-90}
SECONDS=0
RANDOM=${SIG_SEED:-$$}
work=$(mktemp -d /tmp/reliab-sig.XXXXXX)
trap 'rm -rf "$work"' EXIT

# BPF ids (prog:N, link:N) that exist now.
bpf_ids() {
	[ $root -eq 1 ] || return 0
	{ bpftool prog show -j 2>/dev/null; echo; bpftool link show -j 2>/dev/null; } |
	python3 -c '
import json, sys
kinds = iter(("prog", "link"))
for line in sys.stdin:
    line = line.strip()
    if not line: continue
    k = next(kinds)
    for o in json.loads(line): print("%s:%d" % (k, o["id"]))
' | sort
}
# Of the ids in $2 (new since the trial started), those still loaded that no
# process outside session $1 holds (fdinfo prog_id / link_id): a program that
# outlives every fd of ours is pinned or leaked; one another tracer holds is
# not ours.  bpftool 7.1 here has no owner pids, hence /proc.
bpf_leaked() {
	[ -n "$2" ] || return 0
	python3 - "$1" "$2" <<'PY'
import os, sys, re
sid, want = int(sys.argv[1]), set(sys.argv[2].split())
others = set()
for p in os.listdir("/proc"):
    if not p.isdigit(): continue
    try:
        if os.getsid(int(p)) == sid: continue
        for fd in os.listdir("/proc/%s/fdinfo" % p):
            t = open("/proc/%s/fdinfo/%s" % (p, fd)).read()
            for k in ("prog", "link"):
                m = re.search(r"^%s_id:\s*(\d+)" % k, t, re.M)
                if m: others.add("%s:%s" % (k, m.group(1)))
    except OSError:
        pass
print(" ".join(sorted(want - others)))
PY
}
# Temporary files: each trial gets its own TMPDIR (run honours it), so
# other tests running at the same time cannot be mistaken for ours; /tmp
# itself is not checked (other tests write corolab-run-* there concurrently).
tmp_files() { ls -d /tmp/corolab-run-* "$TMPDIR"/corolab-* 2>/dev/null | sort; }

cmds=()
for m in sequential threads coroutines processes all; do
	cmds+=("run sleep --mode $m --tasks 4 --duration 0.6 -q --json @J")
	cmds+=("run http --mode $m --tasks 20 --delay-scale 0.2 -q --json @J")
done
cmds+=("run cpu --mode all --tasks 2 --n 20000000 -q --json @J")
cmds+=("run spawn --mode all --tasks 200 --duration 0.2 -q --json @J")
cmds+=("run switch --mode all --tasks 200000 -q --json @J")
if [ $root -eq 1 ]; then
	cmds+=("trace --json @J -- $COROLAB run sleep --mode threads --tasks 4 --duration 0.5 -q")
	cmds+=("trace --json @J -- sh -c 'sleep 0.3; sleep 0.3'")
	cmds+=("run sleep --mode all --tasks 2 --duration 0.3 -q --trace --json @J")
	cmds+=("run http --mode coroutines --tasks 12 --delay-scale 0.1 -q --trace --json @J")
	cmds+=("LAB")
fi

fail=0 n=0 outcomes=""
for ((t = 0; t < trials && SECONDS < budget; t++)); do
	c=${cmds[RANDOM % ${#cmds[@]}]}
	sig=$([ $((RANDOM % 2)) -eq 0 ] && echo INT || echo TERM)
	to_group=$((RANDOM % 2))	# 1: the whole process group (Ctrl-C), 0: the leader only (kill PID)
	delay=$(awk -v r=$RANDOM 'BEGIN{printf "%.2f", 0.02 + (r % 120) / 100}')
	d=$work/t$t; mkdir -p "$d"
	json=$d/out.json
	export TMPDIR=$d/tmp; mkdir -p "$TMPDIR"
	before_tmp=$(tmp_files)
	before_bpf=$(bpf_ids)
	if [ "$c" = LAB ]; then
		delay=$(awk -v r=$RANDOM 'BEGIN{printf "%.2f", 0.5 + (r % 600) / 100}')
		setsid env COROLAB="$COROLAB" RESULTS_BASE="$d/results" lab/all.sh --quick >"$d/log" 2>&1 &
	else
		setsid bash -c "exec $COROLAB ${c//@J/$json}" >"$d/log" 2>&1 &
	fi
	pid=$!
	sleep "$delay"
	if [ $to_group -eq 1 ]; then kill -s "$sig" -- "-$pid" 2>/dev/null; else kill -s "$sig" "$pid" 2>/dev/null; fi
	# Bounded wait: 30 s, then it counts as a hang.
	for ((w = 0; w < 300; w++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	problems=()
	if kill -0 "$pid" 2>/dev/null; then problems+=("still running 30 s after SIG$sig"); kill -KILL -- "-$pid" 2>/dev/null; fi
	wait "$pid" 2>/dev/null; rc=$?
	# Survivors: any live process still in the trial's session (sid = $pid);
	# zombies are dead already (PID 1 here reaps them late).
	sleep 0.3
	left=$(ps -eo pid=,sid=,stat=,comm= | awk -v s="$pid" '$2 == s && $3 !~ /^Z/ {print $1 "/" $4}' | tr '\n' ' ')
	[ -z "$left" ] || { problems+=("orphans: $left"); kill -KILL -- "-$pid" 2>/dev/null; }
	new_bpf=$(comm -13 <(echo "$before_bpf") <(bpf_ids) | tr '\n' ' ')
	leaked=$(bpf_leaked "$pid" "$new_bpf")
	# The kernel frees a closed program a little later (RCU), and another
	# tracer may be exiting right now: only ids that stay unheld count.
	for ((w = 0; w < 3; w++)); do
		[ -n "${leaked// /}" ] || break
		sleep 1
		leaked=$(bpf_leaked "$pid" "$(comm -12 <(echo "$leaked" | tr ' ' '\n' | sort) <(bpf_ids) | tr '\n' ' ')")
	done
	[ -z "$leaked" ] || problems+=("bpf left: $(echo $leaked)")
	# JSON results: the --json file, or every *.json of a lab results dir.
	for f in $json $(find "$d/results" -name '*.json' 2>/dev/null); do
		[ -e "$f" ] || continue
		python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" 2>/dev/null ||
			problems+=("invalid JSON: ${f#$d/} ($(wc -c <"$f") bytes)")
	done
	strays=$(find "$d" -name '*.tmp*' 2>/dev/null | tr '\n' ' ')
	[ -z "$strays" ] || problems+=("temporary files: $strays")
	new_tmp=$(comm -13 <(echo "$before_tmp") <(tmp_files) | grep -v "^/tmp/corolab-run-" | tr '\n' ' ')
	[ -z "${new_tmp// /}" ] || { problems+=("temporary files left: $new_tmp"); rm -rf $new_tmp; }
	n=$((n + 1))
	state=$([ -e "$json" ] && echo json || echo nojson)
	outcomes+="rc=$rc/$state "
	if [ ${#problems[@]} -gt 0 ]; then
		fail=1
		echo "FAIL trial $t: '$c' SIG$sig after ${delay}s to $([ $to_group -eq 1 ] && echo group || echo leader): ${problems[*]}"
		sed 's/^/    | /' "$d/log" | tail -n 5
	else
		echo "ok   trial $t: '${c:0:60}' SIG$sig ${delay}s $([ $to_group -eq 1 ] && echo group || echo leader) -> exit $rc, $state"
	fi
done
echo "$n trials; outcomes: $(echo "$outcomes" | tr ' ' '\n' | grep . | sort | uniq -c | tr '\n' ' ')"
[ $fail -eq 0 ] || exit 1
[ $root -eq 1 ] || { echo "skip: trace and lab trials need root and bpftool (run trials passed)"; exit 77; }
exit 0
