#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the write-up's original program runner (lab/python/run_original.sh)
# extracts the program from the seed, rewrites only its httpbin URL to a
# `corolab serve`, and the rewritten program imports and fetches through its
# own sync_request (--check, a few seconds); or it skips with its reason
# (dependencies missing).  parse_original.py reads a sample of its output.
set -u
cd "$(dirname "$0")/.." || exit 1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || { echo "SKIP: no $PY"; exit 77; }

# The parser, on the printed lines of the program (no dependencies needed).
cat >"$tmp/sample.txt" <<'EOF'
顺序执行:
  总耗时: 19.02秒
  内存使用: 1.25MB
  成功请求: 10/10

多线程:
  总耗时: 7.01秒
  内存使用: 2.00MB
  成功请求: 50/50
  线程数量: 0

协程相比多线程性能提升: 2.33x
多线程CPU密集型任务耗时: 1.10秒
协程CPU密集型任务耗时: 1.05秒
内存快照 [创建协程前]: 30.10 MB
EOF
"$PY" lab/python/parse_original.py "$tmp/sample.txt" 0 test >"$tmp/sample.json" || fail "parse_original"
"$PY" - "$tmp/sample.json" <<'PY' || fail "parse_original output"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["http"]["sequential"]["total_time_s"] == 19.02, d
assert d["http"]["threading"]["thread_count_printed"] == 0, d
assert d["http"]["speedup_printed"] == 2.33 and d["cpu"]["threads_s"] == 1.1, d
assert d["memory_snapshots_mb"][0]["mb"] == 30.1, d
PY

rc=0
lab/python/run_original.sh --check "$tmp/out" >"$tmp/log" 2>&1 || rc=$?
case $rc in
0)
	grep -q '^+.*http://127.0.0.1:[0-9]*/delay/' "$tmp/out/rewrite.diff" || fail "no URL rewrite in the diff"
	[ "$(grep -c '^[-+][^-+]' "$tmp/out/rewrite.diff")" -eq 2 ] ||
		fail "the rewrite changed more than the one URL line: $(cat "$tmp/out/rewrite.diff")"
	echo "ok: $(tail -n1 "$tmp/log")" ;;
77) echo "SKIP: $(tail -n1 "$tmp/log" | sed 's/^SKIP: //')"; exit 77 ;;
*) fail "run_original.sh --check exited $rc: $(tail -n 5 "$tmp/log")" ;;
esac
