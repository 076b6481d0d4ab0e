#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: `lab/all.sh --quick` for real, end to end: every experiment
# writes JSON that corolab itself accepts, the report has every chart and a
# verdict for every claim, traced runs carry eBPF data, nothing is left
# running, and it all takes well under two minutes.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
C=${COROLAB:?COROLAB must point at the corolab binary}
case $C in /*) ;; *) C=$root/$C ;; esac
[ -x "$C" ] || { echo "skip: $C not built"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "skip: not root (the lab traces with eBPF)"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export COROLAB=$C RESULTS_BASE=$tmp/results
# Everything the lab starts inherits this mark: the check for strays at the
# end looks only at those, not at a server someone else runs on the machine.
mark=lab_quick.$$.$RANDOM
export LAB_QUICK_MARK=$mark

start=$(date +%s)
rc=0
"$root/lab/all.sh" --quick >"$tmp/out" 2>"$tmp/err" || rc=$?
secs=$(( $(date +%s) - start ))
cat "$tmp/err"
r=$(find "$RESULTS_BASE" -mindepth 1 -maxdepth 1 -type d)
[ -n "$r" ] || fail "no results directory"
[ "$rc" -eq 0 ] || fail "all.sh --quick exited $rc; PARTIAL: $(cat "$r/PARTIAL" 2>/dev/null)"
[ "$secs" -lt 100 ] || fail "quick lab took $secs s (budget: under 100 s)"
[ ! -e "$r/PARTIAL" ] || fail "PARTIAL left: $(cat "$r/PARTIAL")"

n=0 traced=0
for e in 01-http 02-lifecycle 03-cpu-vs-io 04-memory 05-switch-cost 06-python; do
	found=0
	for f in "$r/$e"/*.json; do
		[ -e "$f" ] || continue
		found=1 n=$((n + 1))
		# compare validates the schema of both inputs and exits 1 if not.
		"$C" compare -q "$f" "$f" >/dev/null 2>"$tmp/cmp" || fail "$f does not validate: $(cat "$tmp/cmp")"
		if grep -q '"corolab.runtrace/1"' "$f"; then
			traced=$((traced + 1))
		else
			# A plain fallback is allowed only if the lab says so.
			b=$(basename "$f" .json)
			grep -q "traced run failed" "$r/$e/NOTES.txt" 2>/dev/null ||
				fail "$f is not traced and $e/NOTES.txt does not say why"
			echo "note: $e/$b fell back to a plain run: $(grep -m1 "$b" "$r/$e/NOTES.txt" || true)"
		fi
	done
	[ "$found" -eq 1 ] || fail "$e wrote no JSON"
done
[ "$n" -ge 43 ] || fail "only $n result files (want 43: 3 + 2 + 9 + 4 + 5 + 20 CPython)"
[ "$traced" -ge $((n / 2)) ] || fail "only $traced of $n runs were traced"

md=$r/report.md
[ -s "$md" ] || fail "no report.md"
for c in time switches runq memory lifecycle cost; do
	for ext in png svg; do
		[ -s "$r/charts/$c.$ext" ] || fail "chart $c.$ext missing: $(grep -F "$c" "$md" | head -n2)"
	done
done
claims=$(grep -cE '^\| C[0-9]+ \|' "$md")
verdicts=$(grep -cE '^\| C[0-9]+ \|.*\*\*(supported|refuted|nuanced|not measured)\*\*' "$md")
{ [ "$claims" -ge 16 ] && [ "$verdicts" -eq "$claims" ]; } || fail "$verdicts verdicts for $claims claims"
grep -q '^| tracing | eBPF trace' "$md" || fail "environment does not say the runs were traced"
# How idle CPUs wait, recorded by the lab (not looked up at report time).
grep -E '^\| idle CPUs \| (cpuidle |no cpuidle driver)' "$md" | grep -vq 'at report time' ||
	fail "idle CPUs row: $(grep 'idle CPUs' "$md")"
# What a system call and a first page touch cost, measured when the lab ran.
grep -qE '^\| kernel entry costs \| system call [0-9]+ ns \(getppid\), first touch of a page [0-9.]+ us ' "$md" ||
	fail "kernel entry costs row: $(grep 'kernel entry costs' "$md")"
# The machine's steadiness, measured when the lab started and ended.
for at in start end; do
	grep -qE "^\| CPU speed at $at \| [0-9.]+ ns per cpu-loop iteration" "$md" ||
		fail "CPU speed at $at: $(grep "CPU speed at $at" "$md")"
done
# Who took the CPU at the involuntary switches: at least the switch
# experiment's table, whose threads mode preempts itself by the thousand,
# with rows that add up (own + other traced + untraced = involuntary).
grep -q '^\*\*Who took the CPU at the involuntary switches\*\*' "$md" || fail "no who-took-the-CPU table"
grep -E '^\| switch threads \([0-9]+ tasks\) \| [0-9,]+' "$md" | sed 's/,//g' |
	awk -F' \\| ' 'NF == 6 { split($2, a, " "); if (a[1] != $3 + $4 + $5) bad = 1; n++ }
		END { exit !(n && !bad) }' ||
	fail "switch threads' who-took-the-CPU row does not add up: $(grep -E '^\| switch threads' "$md")"
# The CPython side: its section, and the ledger's Python column with a
# verdict wherever it is not "—" (GIL claims may be guarded on a busy machine).
grep -q '^## Python (CPython) side by side with C' "$md" || fail "no Python section"
grep -q '^### GIL evidence: CPU-bound threads' "$md" || fail "no GIL evidence table"
grep -q '| Python (measured) |$' "$md" || fail "ledger lacks the Python (measured) column"
pyc=$(grep -E '^\| C[0-9]+ \|' "$md" | sed 's/ |$//' | awk -F' \\| ' '$6 ~ /\*\*(supported|refuted|nuanced|not measured)\*\*: / { n++ } END { print n + 0 }')
[ "$pyc" -ge 12 ] || fail "only $pyc claims with a Python verdict"
grep -q 'could not be read' "$md" && fail "unreadable files: $(grep -A5 'could not be read' "$md")"
sleep 0.3
stray=
for p in $(pgrep -f "$C (run|serve)"); do
	grep -qsaF "LAB_QUICK_MARK=$mark" "/proc/$p/environ" && stray="$stray $p"
done
if [ -n "$stray" ]; then
	# shellcheck disable=SC2086 # one pid per word
	ps -o pid=,args= -p ${stray# } >&2
	fail "stray corolab processes after the lab:$stray"
fi
echo "quick lab: $n results ($traced traced), $claims claims ($pyc with a Python verdict), $secs s"
