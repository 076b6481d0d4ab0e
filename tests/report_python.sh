#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: corolab report with CPython results (tests/data/results-py:
# the 06-python ports and the write-up's original program) beside the C
# fixture: the "Python (CPython) side by side with C" section, the original
# program's printed figures (never "unreadable"), the ledger's "Python
# (measured)" column with verdicts from its rules (busy and too-short
# guards included), C verdicts never fed by Python runs, and compare on a
# C vs CPython pair.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
C=${COROLAB:?COROLAB must point at the corolab binary}
[ -x "$C" ] || { echo "skip: $C not built"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mk() { # mk DIR [c] [py]: a results directory from the fixtures
	mkdir -p "$1"
	case " $* " in *" c "*) cp -r "$here/data/results/." "$1/" ;; esac
	case " $* " in *" py "*) cp -r "$here/data/results-py/06-python" "$1/" ;; esac
}
report() { "$C" report --no-charts "$1" >/dev/null 2>"$1.err" || { cat "$1.err"; fail "report $1 failed"; }; }
# Columns of a ledger row: 4 = C verdict, 6 = Python (measured).
col() { grep -E "^\| $2 \|" "$1/report.md" | sed 's/ |$//' | awk -F' \\| ' -v c="$3" '{ print $c }'; }
pyv() { col "$1" "$2" 6 | sed -nE 's/.*\*\*([a-z ]+)\*\*: .*/\1/p'; }

mk "$tmp/both" c py
report "$tmp/both"
md=$tmp/both/report.md
[ ! -s "$tmp/both.err" ] || fail "report complained: $(cat "$tmp/both.err")"
grep -q 'could not be read' "$md" && fail "a file was listed as unreadable: $(grep -A3 'could not be read' "$md")"
for s in '## Python (CPython) side by side with C' '### GIL evidence: CPU-bound threads' \
	'| cpython-3.11.2 | threads, real GIL | 1.760 | 1.02 |' '| C | threads, emulated GIL |' \
	'410, 410, 410, 410, 50' '### asyncio vs threads: sleep and HTTP' \
	'| http | cpython-3.11.2 | asyncio (50 tasks) | 3.010 |' '### Spawn and switch cost' \
	'| switch, ns (round trips) |' "### The write-up's own program" '| 2.31x |' \
	'**bug in the program**' '| traced: threads created | 74 |' \
	'| # | claim (write-up) | evidence (this run) | verdict | why | Python (measured) |' \
	'Python (measured): 15 claims judged on CPython'; do
	grep -qF -- "$s" "$md" || fail "report.md lacks '$s'"
done
# The C experiments are untouched by the Python runs: same C verdicts.
mk "$tmp/c" c
report "$tmp/c"
for i in $(seq 1 16); do
	[ "$(col "$tmp/c" "C$i" 4)" = "$(col "$tmp/both" "C$i" 4)" ] ||
		fail "C$i's C verdict changed with Python results: $(col "$tmp/c" "C$i" 4) -> $(col "$tmp/both" "C$i" 4)"
	[ "$(col "$tmp/c" "C$i" 6)" = "—" ] || fail "C$i has a Python cell without Python data"
done
grep -q '## Python (CPython)' "$tmp/c/report.md" && fail "Python section without Python results"
# Python verdicts by the rules (notes/claims.md).
for cv in C2:refuted C3:supported C4:supported C5:nuanced C6:supported C7:supported \
	C8:supported C9:nuanced C10:refuted C13:nuanced C14:refuted C15:supported C16:supported; do
	c=${cv%%:*} want=${cv#*:}
	[ "$(pyv "$tmp/both" "$c")" = "$want" ] || fail "$c Python verdict '$(pyv "$tmp/both" "$c")', want $want: $(col "$tmp/both" "$c" 6)"
done
[ "$(col "$tmp/both" C12 6)" = "—" ] || fail "C12 has no Python scale-up: want —"
col "$tmp/both" C9 6 | grep -q 'original program: 7.01 s vs 3.03 s, printed 2.31x' || fail "C9 lacks the original's figures"
col "$tmp/both" C6 6 | grep -q 'voluntary switches 1300 vs 1, syscalls +2997; on-CPU per thread 410' ||
	fail "C6 lacks the GIL evidence: $(col "$tmp/both" C6 6)"

# Python only: the C claims are "not measured" (never fed by CPython runs).
mk "$tmp/py" py
report "$tmp/py"
for c in C1 C6 C9 C10; do
	col "$tmp/py" "$c" 4 | grep -q 'not measured' || fail "$c C verdict from Python data: $(col "$tmp/py" "$c" 4)"
done
[ "$(pyv "$tmp/py" C6)" = supported ] || fail "Python-only C6: $(col "$tmp/py" C6 6)"

# A busy machine: the Python threads waited 5 s for a CPU in 1.76 s.
mk "$tmp/busy" c py
sed -i 's/"kernel_run_delay_ns": 5000000,/"kernel_run_delay_ns": 5000000000,/' "$tmp/busy/06-python/py-cpu-threads.r1.json"
grep -q '"kernel_run_delay_ns": 5000000000' "$tmp/busy/06-python/py-cpu-threads.r1.json" || fail "fixture edit did not apply"
report "$tmp/busy"
for c in C6 C8 C14; do
	col "$tmp/busy" "$c" 6 | grep -q '\*\*not measured\*\*: the machine was busy: py cpu threads' ||
		fail "$c Python not guarded on a busy machine: $(col "$tmp/busy" "$c" 6)"
done
[ "$(pyv "$tmp/busy" C15)" = supported ] || fail "C15 does not depend on the busy threads run"

# Too little work (--quick scale): no GIL verdict from start-up noise.
mk "$tmp/short" c py
sed -i 's/"wall_s": 1.72,/"wall_s": 0.05,/' "$tmp/short/06-python/py-cpu-sequential.r1.json"
report "$tmp/short"
col "$tmp/short" C6 6 | grep -q '\*\*not measured\*\*: too little work' || fail "short C6: $(col "$tmp/short" C6 6)"

# The original program alone (no port runs): C9 from its own figures; its
# stdout.txt / trace.json are never listed as unreadable.
mkdir -p "$tmp/orig/06-python"
cp -r "$here/data/results-py/06-python/original" "$tmp/orig/06-python/"
echo '{"not": "a corolab file"}' >"$tmp/orig/06-python/original/other.json"
report "$tmp/orig"
grep -q 'could not be read' "$tmp/orig/report.md" && fail "original-only: something listed as unreadable"
[ "$(pyv "$tmp/orig" C9)" = nuanced ] || fail "original-only C9: $(col "$tmp/orig" C9 6)"
col "$tmp/orig" C9 6 | grep -q 'original program: 50 requests, threads (pool 20) 7.01 s' || fail "C9 evidence: $(col "$tmp/orig" C9 6)"
grep -qF "### The write-up's own program" "$tmp/orig/report.md" || fail "original section missing"
# Without the original: no section, no original figures in the ledger.
rm -rf "$tmp/both/06-python/original"
report "$tmp/both"
grep -qF "### The write-up's own program" "$md" && fail "original section without an original run"
col "$tmp/both" C9 6 | grep -q 'original program' && fail "C9 cites an absent original"

# compare on a C vs CPython pair: one measurement each, lined up by field.
a=$here/data/results/03-cpu-vs-io/cpu-threads-gil.r1.json
b=$here/data/results-py/06-python/py-cpu-threads.r1.json
"$C" compare "$a" "$b" >"$tmp/cmp" 2>&1 || { cat "$tmp/cmp"; fail "compare C vs CPython failed"; }
grep -qE '^wall_s ' "$tmp/cmp" || fail "compare lacks wall_s: $(head -n 5 "$tmp/cmp")"
grep -qE '^trace\.totals\.ctx_switches\.voluntary ' "$tmp/cmp" || fail "compare lacks trace figures"
rc=0; "$C" compare -q "$a" "$b" --fail-if 'wall_s>1.1x' >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "compare --fail-if on C vs CPython: exit $rc, want 1 (1.76 s vs 1.2 s)"
echo "report python: all checks passed"
