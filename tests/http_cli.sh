#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Description: the CLI around the http workload: corolab serve prints its
# port and exits 0 on SIGINT; `corolab run http` at small scale in every
# mode; a malformed --url is a usage error (exit 2); bad serve options exit 2;
# -v reports whether wake-ups are batched (--batch-wait 0 turns it off);
# a server out of descriptors backs off and recovers; make bench's reference
# clients (bench/) work against the server and refuse bad arguments; /delay's
# body and its 10 s cap, /bytes/N, 414; the built-in server's start costs the
# run nothing; --delay-scale 0; an unresolvable host.
set -u
C=${COROLAB:?set COROLAB to the corolab binary}
tmp=$(mktemp -d)
pid=
# A failed check exits at once: stop whichever server is up then too.
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$C" serve --port 0 -v >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on 127.0.0.1:[0-9]*$' "$tmp/out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/out")
[ -n "$port" ] || fail "no 'listening on' line: $(cat "$tmp/out" "$tmp/err")"
# /delay is capped at 10 s, as httpbin's: asked for 15, answered at ~10
# (in the background while the rest runs; checked before the server stops).
curl -s -o "$tmp/cap.body" -w '%{http_code} %{time_total}\n' --max-time 20 \
	"http://127.0.0.1:$port/delay/15" >"$tmp/cap.txt" 2>&1 &
cap=$!
body=$(curl -s "http://127.0.0.1:$port/get?x=1")
echo "$body" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["args"]=={"x":"1"}, d' ||
	fail "/get is not httpbin-shaped: $body"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope")
[ "$code" = 404 ] || fail "unknown path gave $code"

"$C" run http --mode all --delay-scale 0.01 --url "http://127.0.0.1:$port/delay/{delay}?i={i}" \
	--json "$tmp/r.json" >"$tmp/run.txt" 2>&1 || fail "run http: $(cat "$tmp/run.txt")"
grep -q 'speed-up of coroutines over threads' "$tmp/run.txt" || fail "no speed-up line: $(cat "$tmp/run.txt")"
python3 - "$tmp/r.json" <<'PY' || fail "bad run JSON"
import json, sys
rs = json.load(open(sys.argv[1]))
assert [r["mode"] for r in rs] == ["sequential", "threads", "coroutines", "processes"], rs
for r in rs:
    assert r["failed"] == 0 and r["ok"] == r["tasks"], r
    assert r["params"]["server"] == "external"
    assert set(r["failures"]) == {"refused", "timeout", "http_status", "reset", "other"}
# The same 50 requests carry the same bytes in every mode (coroutines ask to
# close; the server's echo leaves hop-by-hop headers out, as httpbin's does).
assert len({r["bytes"] for r in rs if r["tasks"] == 50}) == 1, [(r["mode"], r["bytes"]) for r in rs]
PY

# More than 1,024 concurrent transfers: spread over several curl multi
# handles on the one loop (3 here); then 2,000 workers making two requests
# each on their kept-alive connections.  All succeed, one OS thread.
"$C" run http --mode coroutines --tasks 2500 --url "http://127.0.0.1:$port/delay/0.2" \
	--json "$tmp/c.json" -q >"$tmp/c.txt" 2>&1 || fail "2,500 concurrent: $(cat "$tmp/c.txt")"
"$C" run http --mode coroutines --tasks 4000 --workers 2000 --url "http://127.0.0.1:$port/get?i={i}" \
	--json "$tmp/w.json" -q >"$tmp/w.txt" 2>&1 || fail "2,000 workers: $(cat "$tmp/w.txt")"
python3 - "$tmp/c.json" "$tmp/w.json" <<'PY' || fail "concurrent runs"
import json, sys
for f, n in ((sys.argv[1], 2500), (sys.argv[2], 4000)):
    r = json.load(open(f))
    assert r["ok"] == n and r["failed"] == 0 and r["os_threads"] == 1, (f, r["ok"], r["failures"])
    # rusage's faults beside its switches: 2,500 stacks alone fault in 2,500 pages.
    assert r["minflt"] >= 2500 and r["majflt"] >= 0, (f, r["minflt"])
PY

# /delay's body is httpbin's; /bytes/N sends N bytes (capped); a URI too long
# to echo is a 414, never a cut-off JSON body.
curl -s "http://127.0.0.1:$port/delay/0.01?a=b" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["args"] == {"a": "b"} and d["url"].endswith("/delay/0.01?a=b") and "Host" in d["headers"], d
for k in ("origin", "data", "files", "form"):
    assert k in d, k' || fail "/delay's body is not httpbin-shaped"
[ "$(curl -s "http://127.0.0.1:$port/bytes/1000" | wc -c)" = 1000 ] || fail "/bytes/1000 is not 1000 bytes"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/bytes/-1")" = 400 ] || fail "/bytes/-1 is not a 400"
python3 - "$port" <<'PY' || fail "a URI too long to echo"
import socket, sys
# 7,000 quotes: a head under the 8 KiB limit, a JSON echo over 16 KiB.
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b'GET /get?' + b'"' * 7000 + b' HTTP/1.1\r\nHost: t\r\n\r\n')
head = s.recv(4096)
assert head.startswith(b"HTTP/1.1 414 "), head[:200]
PY

# The built-in server costs the workload nothing: the same run against it
# and against this external server takes the same page faults and switches
# (forked from the measured process, it cost ~15-60 more faults).
"$C" run http --mode sequential --delay-scale 0.01 --json "$tmp/bi.json" -q || fail "run http (built-in server)"
"$C" run http --mode sequential --delay-scale 0.01 --url "http://127.0.0.1:$port/delay/{delay}" \
	--json "$tmp/ex.json" -q || fail "run http (external server)"
python3 - "$tmp/bi.json" "$tmp/ex.json" <<'PY' || fail "the built-in server's start shows in the run's figures"
import json, sys
bi, ex = (json.load(open(f)) for f in sys.argv[1:3])
assert bi["params"]["server"] == "builtin" and bi["params"]["server_pid"] > 0, bi["params"]
assert ex["params"]["server"] == "external", ex["params"]
# No more than the noise (ASan's shadow memory moves a run's count by ~15
# either way); forked from the client, the server had added 58 to 65.
assert bi["minflt"] - ex["minflt"] <= max(8, ex["minflt"] // 10), (bi["minflt"], ex["minflt"])
assert abs(bi["nvcsw"] - ex["nvcsw"]) <= 2, (bi["nvcsw"], ex["nvcsw"])
PY
# The all-at-once coroutine path (one transfer per coroutine) classifies
# failures as the pooled modes do: 5xx, reset mid-response, past --timeout,
# refused.
for c in "status/503 http_status" "reset reset" "delay/2 timeout" "refused refused"; do
	set -- $c
	u="http://127.0.0.1:$port/$1"
	[ "$1" = refused ] && u="http://127.0.0.1:1/"
	"$C" run http --mode coroutines --tasks 20 --timeout 0.3 --url "$u" --json "$tmp/f.json" -q >/dev/null 2>&1
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["failed"] == 20 and d["failures"][sys.argv[2]] == 20, d["failures"]' \
		"$tmp/f.json" "$2" || fail "coroutines, 20 at once, /$1: not 20 x $2"
done
# --delay-scale 0 asks for /delay/0 (it was once taken for "unset": 1.0).
"$C" run http --mode sequential --tasks 3 --delay-scale 0 --url "http://127.0.0.1:$port/delay/{delay}" \
	--json "$tmp/d0.json" -q || fail "run http --delay-scale 0"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["params"]["delay_scale"] == 0 and d["wall_s"] < 0.5, d' \
	"$tmp/d0.json" || fail "--delay-scale 0 did not mean /delay/0"
# A host that does not resolve: said once, exit 1, not "No route to host".
"$C" run http --mode sequential --tasks 2 --url "http://no-such-host.invalid/" >"$tmp/nx.txt" 2>&1 && fail "unresolvable host exited 0"
grep -q "cannot resolve the host of http://no-such-host.invalid/" "$tmp/nx.txt" || fail "unresolvable host: $(cat "$tmp/nx.txt")"

# make bench's reference clients (bench/*.c) against the same server: libcurl
# alone on epoll, one-shot and keep-alive, and the client without libcurl.
# Every request ok, the one line of figures, and exit 2 for bad arguments.
B=$(dirname "$C")/bench
[ -x "$B/http_curl_epoll" ] && [ -x "$B/http_floor" ] || fail "bench/ clients not built in $B"
for args in "$B/http_curl_epoll http://127.0.0.1:$port/delay/0.1 1500" \
	"$B/http_curl_epoll http://127.0.0.1:$port/get 3000 50" \
	"$B/http_floor 127.0.0.1 $port /delay/0.1 1500"; do
	# shellcheck disable=SC2086 # one word per argument
	out=$($args 2>&1) || fail "$args: $out"
	n=${args##* }; [ "$n" = 50 ] && n=3000
	echo "$out" | grep -qE "^ok $n failed 0 wall_s [0-9.]+ .*user_s [0-9.]+ sys_s [0-9.]+ minflt [0-9]+$" ||
		fail "$args printed: $out"
done
"$B/http_floor" 127.0.0.1 "$port" /status/503 3 >/dev/null 2>&1 && fail "http_floor: a 503 counted as ok"
"$B/http_curl_epoll" "ftp://127.0.0.1:$port/" 3 >/dev/null 2>&1; [ $? = 2 ] || fail "http_curl_epoll: bad URL not exit 2"
"$B/http_floor" 127.0.0.1 "$port" /x many >/dev/null 2>&1; [ $? = 2 ] || fail "http_floor: bad count not exit 2"

wait "$cap"
read -r capcode capt <"$tmp/cap.txt"
[ "$capcode" = 200 ] && awk -v t="$capt" 'BEGIN{ exit !(t >= 9.9 && t < 11) }' ||
	fail "/delay/15: $(cat "$tmp/cap.txt") (capped at 10 s expected)"
grep -q '"delay": *10' "$tmp/cap.body" || fail "/delay/15's body: $(cat "$tmp/cap.body")"

kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 0 ] || fail "serve exited $rc on SIGINT"
# -v says whether its wake-ups were batched (io_uring min-wait, 6.12+) and why not.
grep -qE '^corolab serve: wake-ups (batched \(io_uring min-wait 50 us\)|not batched \(the kernel lacks)' "$tmp/err" ||
	fail "no batching line: $(cat "$tmp/err")"

# One easy handle per worker reuses its connection: a fresh -v server counts
# at most 1 connection for sequential's 10 requests, 20 for each pool of 20
# (fewer when a slow start leaves a worker without a task, as under ASan), 5
# for 5 coroutine workers: at most 46 connections for 160 requests.
"$C" serve --port 0 -v >"$tmp/outr" 2>"$tmp/errr" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/outr" && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/outr")
[ -n "$port" ] || fail "-v server did not start"
u="http://127.0.0.1:$port/delay/{delay}"
for m in sequential threads processes; do
	"$C" run http --mode $m --delay-scale 0.01 --url "$u" -q || fail "run http --mode $m"
done
"$C" run http --mode coroutines --workers 5 --delay-scale 0.01 --url "$u" -q || fail "run http coroutines --workers 5"
kill -INT "$pid"; wait "$pid"
conns=$(sed -n 's/^corolab serve: \([0-9]*\) connections (0 rejected, peak [0-9]*), 160 requests.*/\1/p' "$tmp/errr")
[ -n "$conns" ] && [ "$conns" -ge 4 ] && [ "$conns" -le 46 ] || fail "connections not reused: $(cat "$tmp/errr")"

# The soft RLIMIT_NOFILE is raised to the hard one: 600 concurrent requests
# from a shell whose soft limit is 256; a server started there says so too.
(ulimit -S -n 256 && exec "$C" serve --port 0) >"$tmp/outl" 2>"$tmp/errl" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/outl" && break; sleep 0.05; done
[ "$(awk '/^Max open files/ { print ($4 == $5 && $4 > 256) }' "/proc/$pid/limits")" = 1 ] ||
	fail "serve did not raise its soft RLIMIT_NOFILE: $(grep 'open files' "/proc/$pid/limits")"
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/outl")
(ulimit -S -n 256 && exec "$C" run http --mode coroutines --tasks 600 --url "http://127.0.0.1:$port/delay/0.2" \
	--json "$tmp/l.json" -q) || fail "600 at once under a soft limit of 256"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ok"] == 600, d["failures"]' "$tmp/l.json" ||
	fail "600 at once under a soft limit of 256: not all ok"
# --idle-timeout: a client that connects and says nothing is closed.
kill -INT "$pid"; wait "$pid"
"$C" serve --port 0 --idle-timeout 0.5 >"$tmp/outi" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/outi" && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/outi")
python3 - "$port" <<'PY' || fail "--idle-timeout 0.5 did not close a silent client"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
t = time.time()
assert s.recv(100) == b"" and time.time() - t < 3, "still open"
PY
kill -INT "$pid"; wait "$pid"

# Out of descriptors: a server held to 40 while 60 clients connect and ask
# backs off (it does not spin on accept's EMFILE), and serves again once
# they have gone.
(ulimit -n 40 && exec "$C" serve --port 0) >"$tmp/outf" 2>"$tmp/errf" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/outf" && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/outf")
[ -n "$port" ] || fail "fd-limited server did not start: $(cat "$tmp/outf" "$tmp/errf")"
grep -q "RLIMIT_NOFILE is 40 (hard limit): fewer than 40 concurrent connections, not 10000" "$tmp/errf" ||
	fail "the fd-limited server does not say how many connections it can hold: $(cat "$tmp/errf")"
python3 - "$port" "$pid" <<'PY' || fail "fd-limited server"
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
socks = []
for i in range(60):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /get HTTP/1.1\r\nHost: t\r\n\r\n")
    socks.append(s)
time.sleep(0.3)
c0 = cpu(); time.sleep(1.0); c1 = cpu()
assert c1 - c0 < 0.5, f"server used {c1 - c0:.2f} s of CPU in 1 s while out of descriptors"
import select
ready, _, _ = select.select(socks, [], [], 0.5)
answered = sum(s.recv(4096).startswith(b"HTTP/1.1 200") for s in ready)
assert 0 < answered < 60, f"{answered} of 60 answered under a 40-descriptor limit"
for s in socks:
    s.close()
deadline = time.time() + 5
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(b"GET /get HTTP/1.1\r\nHost: t\r\n\r\n")
        s.settimeout(2)
        if s.recv(4096).startswith(b"HTTP/1.1 200"):
            break
    except OSError:
        pass
    assert time.time() < deadline, "server does not serve again after the clients left"
    time.sleep(0.1)
PY
kill -INT "$pid"
wait "$pid" || fail "fd-limited server exited $?"

# --batch-wait 0: one wake-up per event, as before; still serves.
"$C" serve --port 0 --batch-wait 0 -v >"$tmp/out0" 2>"$tmp/err0" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/out0" && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/out0")
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/delay/0.05")" = 200 ] ||
	fail "--batch-wait 0 server does not answer"
kill -INT "$pid"
wait "$pid" || fail "--batch-wait 0 server exited $?"
grep -q '^corolab serve: wake-ups not batched (--batch-wait 0)' "$tmp/err0" ||
	fail "--batch-wait 0 not reported: $(cat "$tmp/err0")"

# --exit-with PID: the server stops when PID ends, even by SIGKILL (which no
# trap of a lab script sees), after answering while PID lives.
sleep 60 &
watched=$!
"$C" serve --port 0 --exit-with "$watched" >"$tmp/outx" 2>"$tmp/errx" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/outx" && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/outx")
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/get")" = 200 ] ||
	fail "--exit-with server does not answer while its process lives"
kill -KILL "$watched"; wait "$watched" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fail "--exit-with: server still running 5 s after its process died"; fi
wait "$pid" || fail "--exit-with: server exited $? when its process died, want 0"
"$C" serve --port 0 --exit-with "$watched" >/dev/null 2>"$tmp/errx"; rc=$?
[ "$rc" = 1 ] && grep -q 'no such process' "$tmp/errx" ||
	fail "--exit-with a gone process: exit $rc, $(cat "$tmp/errx")"
"$C" serve --exit-with me >/dev/null 2>&1; [ $? = 2 ] || fail "bad --exit-with is not exit 2"

# "localhost" is both loopback addresses, as curl itself resolves it (here
# /etc/hosts lists only 127.0.0.1): a server on ::1 answers in every mode.
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	"$C" serve --bind ::1 --port 0 --exit-with $$ >"$tmp/out6" 2>"$tmp/err6" &
	pid=$!
	for _ in $(seq 100); do grep -q '^listening on' "$tmp/out6" && break; sleep 0.05; done
	port=$(sed -n 's/^listening on \[::1\]:\([0-9]*\)$/\1/p' "$tmp/out6")
	[ -n "$port" ] || fail "no 'listening on [::1]' line: $(cat "$tmp/out6" "$tmp/err6")"
	"$C" run http --mode all --tasks 4 --url "http://localhost:$port/get" --json "$tmp/l6.json" -q ||
		fail "run http against localhost with the server on ::1"
	python3 - "$tmp/l6.json" <<'PY' || fail "localhost -> ::1"
import json, sys
for r in json.load(open(sys.argv[1])):
    assert r["ok"] == 4 and r["failed"] == 0, (r["mode"], r["ok"], r["failures"])
PY
	kill -INT "$pid"; wait "$pid"
else
	echo "localhost -> ::1: not checked (no IPv6 loopback here)"
fi

"$C" serve --port 70000 >/dev/null 2>&1; [ $? = 2 ] || fail "bad --port is not exit 2"
"$C" serve --bind nowhere >/dev/null 2>&1; [ $? = 2 ] || fail "bad --bind is not exit 2"
"$C" serve --batch-wait soon >/dev/null 2>&1; [ $? = 2 ] || fail "bad --batch-wait is not exit 2"

"$C" run http --mode coroutines --url 'http://127.0.0.1:1/{nope}' >"$tmp/bad" 2>&1
rc=$?
[ "$rc" = 2 ] || fail "malformed --url exits $rc, want 2 (usage)"
exit 0
