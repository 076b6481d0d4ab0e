#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""corolab_py: the write-up's four experiments in CPython, standard library only.

    python3 lab/python/corolab_py.py WORKLOAD --mode MODE [options] [--json FILE]

Workloads and modes mirror `corolab run` (same names, same JSON schema
"corolab.run/1", plus "runtime": "cpython-X.Y.Z"):

  sleep      10 tasks sleeping 1 s          sequential|threads|coroutines|processes
  cpu        4 tasks of sum(i ** 2), n=1e6  sequential|threads|coroutines|processes
  spawn      1000 coroutines / 50 threads   threads|coroutines
  lifecycle  A, B, C sleep 1.0/0.5/1.5 s    sequential|threads|coroutines
  switch     two tasks pass a token         threads|coroutines|processes
  http       50 GETs of /delay/{i%3+1}      sequential|threads|coroutines|processes

Threads are concurrent.futures.ThreadPoolExecutor (under the real GIL),
coroutines are asyncio, processes are ProcessPoolExecutor (or fork + pipes
for switch).  `--mode all` runs every supported mode in a fresh interpreter
and writes a JSON array.  Bad input: a message and exit status 2.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Optional

SCHEMA = "corolab.run/1"
ALL_MODES = ("sequential", "threads", "coroutines", "processes")
WORKLOAD_MODES: dict[str, tuple[str, ...]] = {
    "sleep": ALL_MODES,
    "cpu": ALL_MODES,
    "spawn": ("threads", "coroutines"),
    "lifecycle": ("sequential", "threads", "coroutines"),
    "switch": ("threads", "coroutines", "processes"),
    "http": ALL_MODES,
}
NO_MODE_WHY = {
    "spawn": "spawn measures many concurrent tasks in one process: threads or coroutines",
    "lifecycle": "the state log is shared memory of one process; use threads or coroutines",
    "switch": "a switch needs two tasks running concurrently",
}
LIFECYCLE_DELAYS = (1.0, 0.5, 1.5)
HTTP_FAILURE_CLASSES = ("refused", "timeout", "http_status", "reset", "other")


class UsageError(Exception):
    """Bad command-line input: reported with exit status 2."""


# ---- process figures ---------------------------------------------------------

def proc_status_kb(field: str, pid: str = "self") -> int:
    """A 'kB' field of /proc/PID/status (VmRSS, VmHWM, ...); 0 if absent."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def native_threads(pid: str = "self") -> int:
    """OS threads of a process, from /proc/PID/task."""
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def child_pids() -> list[int]:
    """Direct children of this process (all threads), from /proc/self/task/*/children."""
    pids: list[int] = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children", encoding="ascii") as f:
                pids.extend(int(p) for p in f.read().split())
        except OSError:
            pass
    return pids


class ThreadPeak:
    """Peak OS threads, sampled at checkpoints while pools are alive.

    The write-up reads threading.active_count() after the `with` block has
    shut the pool down, so it prints 0; here every sample is taken while the
    workers exist.  Child processes' threads count too (processes mode).
    """

    def __init__(self) -> None:
        self.os_threads = 0
        self.py_active = 0
        self.exclude: set[int] = set()

    def sample(self, children: bool = False) -> None:
        n = native_threads()
        if children:
            n += sum(native_threads(str(p)) for p in child_pids() if p not in self.exclude)
        self.os_threads = max(self.os_threads, n)
        self.py_active = max(self.py_active, threading.active_count())


def host_info() -> dict[str, Any]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    u = os.uname()
    return {"kernel": u.release, "machine": u.machine, "cpu_model": model,
            "cores": os.cpu_count() or 1}


def runtime_name() -> str:
    return f"{sys.implementation.name}-{platform.python_version()}"


def finish_result(res: dict[str, Any], workload: str, mode: str, tasks: int,
                  workers: int, peak: ThreadPeak) -> dict[str, Any]:
    """Add the fields every corolab.run/1 object carries."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    res.update({
        "schema": SCHEMA,
        "workload": workload,
        "mode": mode,
        "tasks": tasks,
        "workers": workers,
        "os_threads": max(peak.os_threads, 1),
        "py_threads_active": peak.py_active,
        "max_rss_kb": proc_status_kb("VmHWM") or me.ru_maxrss,
        "ru_maxrss_kb": me.ru_maxrss,
        "children_maxrss_kb": kids.ru_maxrss,
        "cpu_user_s": me.ru_utime + kids.ru_utime,
        "cpu_sys_s": me.ru_stime + kids.ru_stime,
        "nvcsw": me.ru_nvcsw + kids.ru_nvcsw,
        "nivcsw": me.ru_nivcsw + kids.ru_nivcsw,
        "host": host_info(),
        "runtime": runtime_name(),
    })
    res.setdefault("ok", tasks)
    res.setdefault("failed", 0)
    res.setdefault("params", {})
    return res


# ---- generic executors -------------------------------------------------------

def run_pool(mode: str, workers: int, fn: Callable[..., Any], args: list[tuple],
             peak: ThreadPeak) -> list[Any]:
    """fn(*a) for a in args on sequential / a thread pool / a process pool."""
    if mode == "sequential":
        peak.sample()
        return [fn(*a) for a in args]
    pool_cls = ThreadPoolExecutor if mode == "threads" else ProcessPoolExecutor
    with pool_cls(max_workers=workers) as pool:
        futures = [pool.submit(fn, *a) for a in args]
        peak.sample(children=mode == "processes")
        out = []
        for fut in futures:
            out.append(fut.result())
            peak.sample(children=mode == "processes")
        return out


def run_threads(fn: Callable[..., Any], args: list[tuple], peak: ThreadPeak) -> list[Any]:
    """One threading.Thread per task (a pool may hand a finished worker the
    next task, so 'one thread each' needs its own threads)."""
    out: list[Any] = [None] * len(args)

    def body(i: int) -> None:
        out[i] = fn(*args[i])

    threads = [threading.Thread(target=body, args=(i,)) for i in range(len(args))]
    for t in threads:
        t.start()
    peak.sample()
    for t in threads:
        t.join()
    return out


def run_async(coro_fn: Callable[[], Awaitable[Any]], peak: ThreadPeak) -> Any:
    peak.sample()
    result = asyncio.run(coro_fn())
    peak.sample()
    return result


# ---- sleep (section 3, IO-bound) ---------------------------------------------

def sleep_task(d: float) -> float:
    time.sleep(d)
    return d


async def sleep_task_async(d: float) -> float:
    await asyncio.sleep(d)
    return d


def wl_sleep(a: argparse.Namespace, mode: str, peak: ThreadPeak) -> dict[str, Any]:
    tasks = a.tasks if a.tasks is not None else 10
    d = a.duration if a.duration is not None else 1.0
    workers = a.workers or (1 if mode in ("sequential", "coroutines") else tasks)
    t0 = time.perf_counter()
    if mode == "coroutines":
        async def main() -> list[float]:
            return await asyncio.gather(*(sleep_task_async(d) for _ in range(tasks)))
        run_async(main, peak)
    else:
        run_pool(mode, workers, sleep_task, [(d,)] * tasks, peak)
    wall = time.perf_counter() - t0
    return finish_result({"wall_s": wall, "params": {"duration_s": d}},
                         "sleep", mode, tasks, workers, peak)


# ---- cpu (section 3, CPU-bound, under the real GIL) ---------------------------

def cpu_intensive_task(n: int) -> tuple[int, float, int]:
    """The write-up's loop, verbatim: result += i ** 2.  Returns (sum, wall, tid)."""
    t0 = time.perf_counter()
    result = 0
    for i in range(n):
        result += i ** 2
    return result, time.perf_counter() - t0, threading.get_native_id()


async def async_cpu_intensive_task(n: int) -> tuple[int, float, int]:
    """As in the write-up: an async def that never awaits (no gain possible)."""
    return cpu_intensive_task(n)


def wl_cpu(a: argparse.Namespace, mode: str, peak: ThreadPeak) -> dict[str, Any]:
    tasks = a.tasks if a.tasks is not None else 4
    n = a.n if a.n is not None else 1_000_000
    workers = a.workers or (1 if mode in ("sequential", "coroutines") else tasks)
    t0 = time.perf_counter()
    if mode == "coroutines":
        async def main() -> list[tuple[int, float, int]]:
            return await asyncio.gather(*(async_cpu_intensive_task(n) for _ in range(tasks)))
        out = run_async(main, peak)
    else:
        out = run_pool(mode, workers, cpu_intensive_task, [(n,)] * tasks, peak)
    wall = time.perf_counter() - t0
    res = {
        "wall_s": wall,
        "task_wall_s": [w for _, w, _ in out],
        # As the C workload prints it: the sum wrapped to 64 bits, halved so it
        # fits a signed JSON integer (jansson rejects integers >= 2**63, and
        # n >= ~2.6e6 gets there).
        "checksum": (sum(s for s, _, _ in out) & 0xFFFFFFFFFFFFFFFF) >> 1,
        "task_tids": sorted({t for _, _, t in out}),
        "params": {
            "n": n,
            "gil": mode != "processes",  # the real one; processes have one GIL each
            "gil_interval_s": sys.getswitchinterval(),
            "loop": "result += i ** 2",
        },
    }
    return finish_result(res, "cpu", mode, tasks, workers, peak)


# ---- spawn (section 4, CoroutineMemoryAnalysis) ------------------------------

def rss_kb() -> int:
    """VmRSS, as the write-up's psutil memory_info().rss reads it."""
    return proc_status_kb("VmRSS")


def spawn_thread_func(d: float) -> int:
    time.sleep(d)
    return threading.get_native_id()


def wl_spawn(a: argparse.Namespace, mode: str, peak: ThreadPeak) -> dict[str, Any]:
    d = a.duration if a.duration is not None else 0.1
    tasks = a.tasks if a.tasks is not None else (1000 if mode == "coroutines" else 50)
    workers = a.workers or (1 if mode == "coroutines" else tasks)
    snaps: dict[str, int] = {}
    vm: dict[str, int] = {}

    def snap(label: str) -> None:
        snaps[label] = rss_kb()
        vm[label] = proc_status_kb("VmSize")

    t0 = time.perf_counter()
    create_s = 0.0
    if mode == "coroutines":
        async def dummy_coroutine(i: int) -> int:
            await asyncio.sleep(d)
            return i

        async def main() -> int:
            nonlocal create_s
            snap("before")
            c0 = time.perf_counter()
            pending = [asyncio.create_task(dummy_coroutine(i)) for i in range(tasks)]
            snap("after_create_unstarted")      # the write-up's snapshot point
            await asyncio.sleep(0)              # every task runs to its first await
            create_s = time.perf_counter() - c0
            snap("after_create")
            peak.sample()
            done = await asyncio.gather(*pending)
            snap("after_done")
            return len(done)
        ok = run_async(main, peak)
    else:
        snap("before")
        c0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(spawn_thread_func, d) for _ in range(tasks)]
            create_s = time.perf_counter() - c0
            snap("after_create")
            peak.sample()
            ok = len([f.result() for f in futures])
            peak.sample()
        snap("after_done")
    wall = time.perf_counter() - t0
    res = {
        "ok": ok,
        "failed": tasks - ok,
        "wall_s": wall,
        "rss_kb": snaps,
        "vm_kb": vm,
        "rss_per_task_bytes": (snaps["after_create"] - snaps["before"]) * 1024 / tasks,
        "vm_per_task_bytes": (vm["after_create"] - vm["before"]) * 1024 / tasks,
        "create_ns_per_task": create_s * 1e9 / tasks,
        "params": {"duration_s": d, "thread_stack_bytes": thread_stack_bytes()},
    }
    return finish_result(res, "spawn", mode, tasks, workers, peak)


def thread_stack_bytes() -> int:
    size = threading.stack_size()
    if size:
        return size
    soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
    return soft if soft != resource.RLIM_INFINITY else 8 << 20


# ---- lifecycle (section 2, CoroutineLifecycleDemo) ---------------------------

class StateLog:
    """The write-up's log_state, with the OS thread id of every entry."""

    def __init__(self, quiet: bool) -> None:
        self.t0 = time.perf_counter()
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.quiet = quiet

    def log(self, task: str, state: str) -> None:
        ev = {"t_s": time.perf_counter() - self.t0, "task": task, "state": state,
              "tid": threading.get_native_id()}
        with self.lock:
            self.events.append(ev)
        if not self.quiet:
            print(f"  [{ev['t_s']:8.3f} s] tid {ev['tid']:<7} {task}: {state}", file=sys.stderr)


def lifecycle_body(log: StateLog, name: str) -> int:
    log.log(name, "computing")
    result = sum(range(1000))
    log.log(name, "done")
    return result


async def simple_coroutine(log: StateLog, name: str, delay: float) -> int:
    log.log(name, "start")
    log.log(name, "waiting")
    await asyncio.sleep(delay)
    log.log(name, "wait over")
    return lifecycle_body(log, name)


def simple_thread(log: StateLog, name: str, delay: float) -> int:
    log.log(name, "start")
    log.log(name, "waiting")
    time.sleep(delay)
    log.log(name, "wait over")
    return lifecycle_body(log, name)


def analyze_switching(events: list[dict[str, Any]]) -> tuple[int, int]:
    """The write-up's analyze_switching_pattern: task changes between entries."""
    switches, current = 0, None
    for ev in sorted(events, key=lambda e: e["t_s"]):
        if current is not None and current != ev["task"]:
            switches += 1
        current = ev["task"]
    return switches, len({ev["tid"] for ev in events})


def task_name(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"T{i}"


def wl_lifecycle(a: argparse.Namespace, mode: str, peak: ThreadPeak) -> dict[str, Any]:
    tasks = a.tasks if a.tasks is not None else 3
    scale = a.duration if a.duration is not None else 1.0
    workers = a.workers or (tasks if mode == "threads" else 1)
    delays = [LIFECYCLE_DELAYS[i % 3] * scale for i in range(tasks)]
    log = StateLog(a.quiet)
    t0 = time.perf_counter()
    if mode == "coroutines":
        async def main() -> list[int]:
            pending = [asyncio.create_task(simple_coroutine(log, task_name(i), delays[i]))
                       for i in range(tasks)]
            return await asyncio.gather(*pending)
        out = run_async(main, peak)
    elif mode == "threads":
        out = run_threads(simple_thread,
                          [(log, task_name(i), delays[i]) for i in range(tasks)], peak)
    else:
        out = run_pool(mode, workers, simple_thread,
                       [(log, task_name(i), delays[i]) for i in range(tasks)], peak)
    wall = time.perf_counter() - t0
    events = sorted(log.events, key=lambda e: e["t_s"])
    switches, tids = analyze_switching(events)
    if not a.quiet:
        print(f"  task switches between consecutive events: {switches}; "
              f"OS threads that logged: {tids}", file=sys.stderr)
    res = {
        "ok": len(out),
        "failed": tasks - len(out),
        "wall_s": wall,
        "events": events,
        "analysis": {"task_switches": switches, "distinct_tids": tids, "total_s": wall},
        "params": {"delays_s": delays, "scale": scale},
    }
    return finish_result(res, "lifecycle", mode, tasks, workers, peak)


# ---- switch ("switching is nearly free") -------------------------------------

def pin(cpu: int) -> Optional[int]:
    """Pin the calling thread (inherited by threads/children created later)."""
    if cpu < 0:
        return None
    try:
        os.sched_setaffinity(0, {cpu})
        return cpu
    except OSError as e:
        raise UsageError(f"--cpu {cpu}: {e.strerror}") from e


def switch_threads(rounds: int) -> float:
    """Two threads pass a token through a pair of threading.Event."""
    ping, pong = threading.Event(), threading.Event()

    def partner() -> None:
        for _ in range(rounds):
            ping.wait()
            ping.clear()
            pong.set()

    t = threading.Thread(target=partner)
    t.start()
    t0 = time.perf_counter()
    for _ in range(rounds):
        ping.set()
        pong.wait()
        pong.clear()
    wall = time.perf_counter() - t0
    t.join()
    return wall


async def switch_coroutines_event(rounds: int) -> float:
    """Two asyncio tasks pass a token through a pair of asyncio.Event."""
    ping, pong = asyncio.Event(), asyncio.Event()

    async def partner() -> None:
        for _ in range(rounds):
            await ping.wait()
            ping.clear()
            pong.set()

    task = asyncio.create_task(partner())
    await asyncio.sleep(0)
    t0 = time.perf_counter()
    for _ in range(rounds):
        ping.set()
        await pong.wait()
        pong.clear()
    wall = time.perf_counter() - t0
    await task
    return wall


async def switch_coroutines_sleep0(rounds: int) -> float:
    """Two asyncio tasks alternating through asyncio.sleep(0)."""
    async def spin() -> None:
        for _ in range(rounds):
            await asyncio.sleep(0)

    t0 = time.perf_counter()
    await asyncio.gather(spin(), spin())
    return time.perf_counter() - t0


def switch_processes(rounds: int) -> float:
    """Two processes pass a byte through a pair of pipes (fork, no pool)."""
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            for _ in range(rounds):
                os.read(r1, 1)
                os.write(w2, b"x")
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    t0 = time.perf_counter()
    for _ in range(rounds):
        os.write(w1, b"x")
        os.read(r2, 1)
    wall = time.perf_counter() - t0
    _, status = os.waitpid(pid, 0)
    for fd in (r1, w1, r2, w2):
        os.close(fd)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("switch partner process failed")
    return wall


def wl_switch(a: argparse.Namespace, mode: str, peak: ThreadPeak) -> dict[str, Any]:
    rounds = a.tasks if a.tasks is not None else 100_000
    cpu = pin(a.cpu)
    extra: dict[str, Any] = {}
    if mode == "threads":
        peak.os_threads = 2
        wall = switch_threads(rounds)
        mech = "threading.Event pair"
    elif mode == "processes":
        peak.os_threads = 2
        wall = switch_processes(rounds)
        mech = "os.pipe pair, fork"
    else:
        wall = run_async(lambda: switch_coroutines_event(rounds), peak)
        s0 = run_async(lambda: switch_coroutines_sleep0(rounds), peak)
        extra["sleep0_ns_per_switch"] = s0 * 1e9 / (2 * rounds)
        mech = "asyncio.Event pair"
    switches = 2 * rounds
    res = {
        "ok": 2, "failed": 0, "wall_s": wall, "switches": switches,
        "ns_per_switch": wall * 1e9 / switches,
        **extra,
        "params": {"round_trips": rounds, "pinned_cpu": cpu is not None,
                   "cpu": cpu if cpu is not None else -1, "mechanism": mech},
    }
    return finish_result(res, "switch", mode, rounds, 2, peak)


# ---- http (section 1, PerformanceComparison) ----------------------------------

def expand_url(tmpl: str, i: int, scale: float) -> str:
    return tmpl.replace("{i}", str(i)).replace("{delay}", f"{(i % 3 + 1) * scale:.6g}")


def check_url_template(tmpl: str) -> None:
    from urllib.parse import urlsplit
    rest = tmpl.replace("{i}", "").replace("{delay}", "")
    if "{" in rest or "}" in rest:
        raise UsageError(f"--url {tmpl}: unknown {{placeholder}} (use {{i}} and {{delay}})")
    u = urlsplit(expand_url(tmpl, 0, 1.0))
    if u.scheme != "http" or not u.hostname:
        raise UsageError(f"--url {tmpl}: want http://HOST[:PORT]/PATH (no TLS in the port)")


def classify(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "timeout"
    import http.client
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, http.client.IncompleteRead,
                        http.client.RemoteDisconnected, asyncio.IncompleteReadError)):
        return "reset"
    return "other"


def fetch_sync(url: str, timeout: float) -> tuple[str, float, int]:
    """One GET over http.client, a new connection as requests.get() makes.
    Returns (class: "ok" or a failure class, latency_s, body bytes)."""
    import http.client
    from urllib.parse import urlsplit
    u = urlsplit(url)
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    try:
        conn.request("GET", u.path + (f"?{u.query}" if u.query else ""),
                     headers={"Connection": "close"})
        resp = conn.getresponse()
        body = resp.read()
        kind = "ok" if resp.status < 400 else "http_status"
        return kind, time.perf_counter() - t0, len(body)
    except Exception as e:  # noqa: BLE001 - every failure is classified
        return classify(e), time.perf_counter() - t0, 0
    finally:
        conn.close()


async def fetch_async_raw(url: str) -> tuple[int, int]:
    """A minimal HTTP/1.1 GET over asyncio streams: (status, body bytes)."""
    from urllib.parse import urlsplit
    u = urlsplit(url)
    reader, writer = await asyncio.open_connection(u.hostname, u.port or 80)
    try:
        path = u.path + (f"?{u.query}" if u.query else "")
        writer.write(f"GET {path or '/'} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                     "User-Agent: corolab_py\r\nAccept: */*\r\nConnection: close\r\n\r\n"
                     .encode("ascii"))
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("empty response")
        parts = status_line.split()
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise ValueError(f"bad status line {status_line[:40]!r}")
        status = int(parts[1])
        length: Optional[int] = None
        chunked = False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            size = 0
            while True:
                n = int((await reader.readline()).split(b";")[0], 16)
                if n == 0:
                    break
                size += len(await reader.readexactly(n))
                await reader.readexactly(2)
            return status, size
        if length is not None:
            return status, len(await reader.readexactly(length))
        return status, len(await reader.read())
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def fetch_async(url: str, timeout: float) -> tuple[str, float, int]:
    t0 = time.perf_counter()
    try:
        status, size = await asyncio.wait_for(fetch_async_raw(url), timeout)
        return ("ok" if status < 400 else "http_status"), time.perf_counter() - t0, size
    except Exception as e:  # noqa: BLE001 - every failure is classified
        return classify(e), time.perf_counter() - t0, 0


class Server:
    """`corolab serve --port 0` as a separate process (not a thread of ours)."""

    def __init__(self) -> None:
        self.proc: Optional[subprocess.Popen[str]] = None
        self.port = 0

    def start(self) -> str:
        binary = corolab_binary()
        self.proc = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True,
                                     start_new_session=True)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if "listening on" in line:
                self.port = int(line.strip().rsplit(":", 1)[1])
                return f"http://127.0.0.1:{self.port}/delay/{{delay}}"
        self.stop()
        raise RuntimeError(f"{binary} serve did not report 'listening on HOST:PORT'")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()


def corolab_binary() -> str:
    env = os.environ.get("COROLAB")
    if env:
        return env
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "build", "corolab")
    if os.access(path, os.X_OK):
        return path
    raise RuntimeError("corolab not found: set COROLAB or run 'make' (needed for "
                       "'corolab serve' when --url is not given)")


def percentile(sorted_vals: list[float], q: float) -> float:
    import math
    return sorted_vals[max(0, math.ceil(q * len(sorted_vals)) - 1)]


def wl_http(a: argparse.Namespace, mode: str, peak: ThreadPeak) -> dict[str, Any]:
    tasks = a.tasks if a.tasks is not None else (10 if mode == "sequential" else 50)
    workers = a.workers or {"threads": 20, "processes": 20, "coroutines": tasks}.get(mode, 1)
    scale = a.delay_scale
    server: Optional[Server] = None
    if a.url:
        tmpl, origin = a.url, "external"
    else:
        server = Server()
        tmpl, origin = server.start(), "builtin"
        if server.proc:
            peak.exclude.add(server.proc.pid)
    try:
        urls = [expand_url(tmpl, i, scale) for i in range(tasks)]
        t0 = time.perf_counter()
        if mode == "coroutines":
            async def main() -> list[tuple[str, float, int]]:
                return await asyncio.gather(*(fetch_async(u, a.timeout) for u in urls))
            out = run_async(main, peak)
        else:
            out = run_pool(mode, workers, fetch_sync, [(u, a.timeout) for u in urls], peak)
        wall = time.perf_counter() - t0
    finally:
        if server:
            server.stop()
    failures = {k: sum(1 for c, _, _ in out if c == k) for k in HTTP_FAILURE_CLASSES}
    lat = sorted(l for _, l, _ in out)
    ok = sum(1 for c, _, _ in out if c == "ok")
    res: dict[str, Any] = {
        "ok": ok,
        "failed": tasks - ok,
        "wall_s": wall,
        "failures": failures,
        "bytes": sum(b for _, _, b in out),
        "params": {"url": tmpl, "delay_scale": scale, "timeout_s": a.timeout,
                   "server": origin,
                   "client": "asyncio streams" if mode == "coroutines" else "http.client"},
    }
    if lat:
        res["latency_s"] = {"p50": lat[(len(lat) - 1) // 2], "p99": percentile(lat, 0.99),
                            "max": lat[-1]}
    return finish_result(res, "http", mode, tasks, workers, peak)


WORKLOADS: dict[str, Callable[[argparse.Namespace, str, ThreadPeak], dict[str, Any]]] = {
    "sleep": wl_sleep, "cpu": wl_cpu, "spawn": wl_spawn,
    "lifecycle": wl_lifecycle, "switch": wl_switch, "http": wl_http,
}


# ---- command line ------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"corolab_py: {message}", file=sys.stderr)
        sys.exit(2)


def positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"want a positive integer, not {s!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"want a positive integer, not {s!r}")
    return v


def seconds(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"want seconds (fractions allowed), not {s!r}") from None
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"want a non-negative number of seconds, not {s!r}")
    return v


def positive_float(s: str) -> float:
    v = seconds(s)
    if v == 0:
        raise argparse.ArgumentTypeError(f"want a positive number, not {s!r}")
    return v


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = Parser(prog="corolab_py.py", description=__doc__,
               formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workload", choices=sorted(WORKLOADS))
    p.add_argument("-m", "--mode", default="all", choices=ALL_MODES + ("all",))
    p.add_argument("-t", "--tasks", type=positive_int, help="tasks (switch: round trips)")
    p.add_argument("-w", "--workers", type=positive_int, help="threads / processes in the pool")
    p.add_argument("-d", "--duration", type=seconds,
                   help="task sleep (sleep, spawn) or delay scale (lifecycle), seconds")
    p.add_argument("--n", type=positive_int, help="cpu: iterations of the loop per task")
    p.add_argument("--url", help="http: URL template, {i} and {delay} expand")
    p.add_argument("--delay-scale", type=positive_float, default=1.0,
                   help="http: multiply the write-up's delays (0.01 for tests)")
    p.add_argument("--timeout", type=positive_float, default=10.0, help="http: per request, s")
    p.add_argument("--cpu", type=int, default=0, help="switch: pin to CPU N (-1: no pinning)")
    p.add_argument("--json", metavar="FILE", help="write JSON ('-': stdout, table to stderr)")
    p.add_argument("-q", "--quiet", action="store_true", help="no table")
    a = p.parse_args(argv)
    if a.url is not None:
        if a.workload != "http":
            p.error("--url is for the http workload")
        try:
            check_url_template(a.url)
        except UsageError as e:
            p.error(str(e))
    if a.cpu >= (os.cpu_count() or 1):
        p.error(f"--cpu {a.cpu}: this machine has CPUs 0..{(os.cpu_count() or 1) - 1}")
    return a


def table(results: list[dict[str, Any]], out: Any) -> None:
    print(f"{'mode':<11} {'tasks':>7} {'ok':>7} {'failed':>7} {'wall_s':>9} "
          f"{'maxrss_MB':>10} {'threads':>8} {'vol_csw':>9} {'invol_csw':>9}", file=out)
    for r in results:
        print(f"{r['mode']:<11} {r['tasks']:>7} {r['ok']:>7} {r['failed']:>7} "
              f"{r['wall_s']:>9.3f} {r['max_rss_kb'] / 1024:>10.1f} {r['os_threads']:>8} "
              f"{r['nvcsw']:>9} {r['nivcsw']:>9}", file=out)
        if "ns_per_switch" in r:
            print(f"{r['mode']:<11} {r['ns_per_switch']:.1f} ns per switch", file=out)
        if "rss_per_task_bytes" in r:
            k = r["rss_kb"]
            print(f"{r['mode']:<11} RSS {k['before']} -> {k['after_create']} -> "
                  f"{k['after_done']} KiB; {r['rss_per_task_bytes']:.0f} bytes RSS per task; "
                  f"{r['create_ns_per_task']:.0f} ns to create each", file=out)


def write_json(obj: Any, dest: str) -> None:
    text = json.dumps(obj, indent=2) + "\n"
    if dest == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    tmp = f"{dest}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, dest)


def run_all(a: argparse.Namespace, argv: list[str]) -> list[dict[str, Any]]:
    """Every supported mode in a fresh interpreter, as corolab does."""
    import tempfile
    base = [x for x in strip_opt(strip_opt(argv, "--json"), "--mode", "-m")]
    results = []
    with tempfile.TemporaryDirectory(prefix="corolab_py.") as tmp:
        for mode in WORKLOAD_MODES[a.workload]:
            out = os.path.join(tmp, f"{mode}.json")
            cmd = [sys.executable, os.path.abspath(__file__), *base, "--mode", mode,
                   "--json", out, "--quiet"]
            rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, check=False).returncode
            if not os.path.exists(out):
                raise RuntimeError(f"{a.workload} in {mode} mode failed (exit {rc})")
            with open(out, encoding="utf-8") as f:
                results.append(json.load(f))
    return results


def strip_opt(argv: list[str], *names: str) -> list[str]:
    """argv without option NAME VALUE / NAME=VALUE."""
    out, skip = [], False
    for x in argv:
        if skip:
            skip = False
            continue
        if x in names:
            skip = True
            continue
        if any(x.startswith(n + "=") for n in names if n.startswith("--")):
            continue
        out.append(x)
    return out


def main(argv: list[str]) -> int:
    a = parse_args(argv)
    try:
        if a.mode == "all":
            results: Any = run_all(a, argv)
            rows = results
        else:
            if a.mode not in WORKLOAD_MODES[a.workload]:
                raise UsageError(f"{a.workload} has no {a.mode} mode: "
                                 f"{NO_MODE_WHY.get(a.workload, '')}")
            results = WORKLOADS[a.workload](a, a.mode, ThreadPeak())
            rows = [results]
    except UsageError as e:
        print(f"corolab_py: {e}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError) as e:
        print(f"corolab_py: {a.workload}: {e}", file=sys.stderr)
        return 1
    if a.json:
        write_json(results, a.json)
    if not a.quiet:
        table(rows, sys.stderr if a.json == "-" else sys.stdout)
    return 1 if any(r["failed"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
