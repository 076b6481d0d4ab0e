#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the write-up's ORIGINAL Python program, unmodified in logic, against
# corolab's own httpbin-compatible server, under `corolab trace` when root.
#
#   lab/python/run_original.sh [--check] [--no-trace] OUTDIR
#
# The program is extracted from the seed document at run time (its first
# ```python block) into a temporary directory; the only change is its
# "https://httpbin.org" base URL, rewritten to http://127.0.0.1:PORT of a
# `corolab serve --port 0` started here as a separate process (outside the
# traced tree).  OUTDIR receives:
#   stdout.txt stderr.txt   the program's own output
#   trace.json              corolab.trace/1 of the run (root only)
#   summary.json            its printed figures, parsed (corolab.original/1)
#   original.py.sha256      hash of the extracted program; rewrite.diff the URL change
#   coroutine_vs_thread_comparison.png   the chart it saves (if matplotlib did)
#   commands.txt            what ran
# --check only extracts, imports the rewritten program and makes one request
# through its own sync_request (a few seconds; for the tests).
#
# Exit: 0 ok; 1 the program or the set-up failed; 2 usage; 77 dependencies
# missing (aiohttp, requests, psutil, matplotlib for PYTHON, or corolab).
#
# ENVIRONMENT: COROLAB (default build/corolab), PYTHON (default /usr/bin/python3:
# Debian's python3-aiohttp & co. install for it), SEED (the write-up).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
SEED=${SEED:-}
CHECK=0
TRACE=1

usage() { sed -n '4,25p' "$0" | sed 's/^# \{0,1\}//'; }
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "run_original: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--check) CHECK=1 ;;
	--no-trace) TRACE=0 ;;
	-h|--help) usage; exit 0 ;;
	-*) echo "run_original: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || { usage >&2; exit 2; }
OUT=$1

if [ -z "$SEED" ]; then
	for s in /work/shared/seed/000_3640714f1088e0c1.txt "$ROOT/seed/000_3640714f1088e0c1.txt" \
		"$ROOT/../shared/seed/000_3640714f1088e0c1.txt"; do
		[ -r "$s" ] && { SEED=$s; break; }
	done
fi
{ [ -n "$SEED" ] && [ -r "$SEED" ]; } || skip "the write-up (seed/000_3640714f1088e0c1.txt) is not readable here; set SEED"
[ -x "$PYTHON" ] || skip "no Python interpreter at $PYTHON (set PYTHON)"
missing=$("$PYTHON" - <<'EOF'
import importlib
need = ["aiohttp", "requests", "psutil", "matplotlib"]
miss = []
for m in need:
    try:
        importlib.import_module(m)
    except Exception:
        miss.append(m)
print(" ".join(miss))
EOF
)
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086  # one word per module
	pkgs=$(printf 'python3-%s ' $missing)
	skip "the write-up's program needs $missing for $PYTHON (Debian: apt-get install ${pkgs% })"
fi
if [ -z "${COROLAB:-}" ]; then
	if [ -x "$ROOT/build/corolab" ]; then COROLAB=$ROOT/build/corolab
	else COROLAB=$(command -v corolab || true); fi
fi
{ [ -n "$COROLAB" ] && [ -x "$COROLAB" ]; } || skip "corolab not found (needed for 'corolab serve'): run 'make' or set COROLAB"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/corolab-original.XXXXXX")
SERVER=
cleanup() {
	if [ -n "$SERVER" ]; then
		kill -TERM "$SERVER" 2>/dev/null || true
		wait "$SERVER" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The program: the first ```python block of the write-up, verbatim.
awk '/^```python[[:space:]]*$/ && !done { inb = 1; next }
     inb && /^```[[:space:]]*$/ { inb = 0; done = 1; next }
     inb { print }' "$SEED" >"$WORK/original.py"
grep -q 'class PerformanceComparison' "$WORK/original.py" ||
	die "no program found in $SEED (first \`\`\`python block)"
(cd "$WORK" && sha256sum original.py) >"$OUT/original.py.sha256"

# 2. The server, a separate process not traced with the client.
setsid "$COROLAB" serve --bind 127.0.0.1 --port 0 --exit-with $$ >"$WORK/server.log" 2>&1 </dev/null &
SERVER=$!
port=
for _ in $(seq 1 50); do
	port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$WORK/server.log" | head -n1)
	[ -n "$port" ] && break
	kill -0 "$SERVER" 2>/dev/null || break
	sleep 0.1
done
[ -n "$port" ] || die "'corolab serve' did not report a port: $(tail -n1 "$WORK/server.log" 2>/dev/null)"
BASE=http://127.0.0.1:$port

# 3. The only change: its httpbin base URL.
sed "s#https://httpbin\.org#$BASE#g" "$WORK/original.py" >"$WORK/program.py"
(cd "$WORK" && diff -u original.py program.py) >"$OUT/rewrite.diff" || true
{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) write-up program from $SEED"
	echo "$COROLAB serve --bind 127.0.0.1 --port 0   # port $port"
} >"$OUT/commands.txt"

if [ "$CHECK" -eq 1 ]; then
	cmd=("$PYTHON" -c '
import sys
sys.path.insert(0, ".")
import program
c = program.PerformanceComparison()
assert all(u.startswith(sys.argv[1]) for u in c.urls), c.urls[:2]
status, secs = c.sync_request(c.urls[0])
print(status, round(secs, 2))
sys.exit(0 if status.startswith("Success: 200") else 1)
' "$BASE")
	echo "(cd $WORK && $(printf '%q ' "${cmd[@]}"))" >>"$OUT/commands.txt"
	(cd "$WORK" && MPLBACKEND=Agg "${cmd[@]}") >"$OUT/stdout.txt" 2>"$OUT/stderr.txt" ||
		die "check failed: $(tail -n 3 "$OUT/stderr.txt" "$OUT/stdout.txt")"
	echo "run_original: check ok: $(cat "$OUT/stdout.txt") (program imports, URLs point at $BASE)"
	exit 0
fi

# 4. Run it, traced when we can.
cmd=("$PYTHON" program.py)
note="plain run"
if [ "$TRACE" -eq 1 ] && [ "$(id -u)" -eq 0 ] &&
	! "$COROLAB" trace --help 2>&1 | grep -q "not built into this binary"; then
	cmd=("$COROLAB" trace --json "$OUT/trace.json" -- "${cmd[@]}")
	note="under corolab trace"
elif [ "$TRACE" -eq 1 ]; then
	note="plain run: not root or no tracer, so no trace.json"
fi
echo "(cd $WORK && MPLBACKEND=Agg $(printf '%q ' "${cmd[@]}"))  # $note" >>"$OUT/commands.txt"
echo "run_original: running the write-up's program ($note), about 40 s ..." >&2
rc=0
(cd "$WORK" && MPLBACKEND=Agg PYTHONUNBUFFERED=1 "${cmd[@]}") \
	>"$OUT/stdout.txt" 2>"$OUT/stderr.txt" </dev/null || rc=$?
[ -f "$WORK/coroutine_vs_thread_comparison.png" ] && cp "$WORK/coroutine_vs_thread_comparison.png" "$OUT/"

# 5. Its printed figures, parsed for the report.
"$PYTHON" "$ROOT/lab/python/parse_original.py" "$OUT/stdout.txt" "$rc" "$note" \
	>"$OUT/summary.json" || echo "run_original: could not parse its output" >&2
if [ "$rc" -ne 0 ]; then
	die "the program exited with status $rc (see $OUT/stderr.txt)"
fi
echo "run_original: done, output in $OUT" >&2
