#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# One-off generator of tests/data/results-py/06-python/ (kept for reference;
# the JSON files are committed): CPython port results as lab/06-python.sh
# writes them (corolab.runtrace/1 with run.runtime "cpython-3.11.2") and the
# write-up's original program's output directory (summary.json in
# corolab.original/1, its trace.json, stdout.txt).  Figures follow
# notes/python.md's measurements on the project machine, on an idle machine.
import json, os

RT = "cpython-3.11.2"
host = {"kernel": "6.18.0", "machine": "x86_64", "cpu_model": "AMD EPYC", "cores": 2}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results-py", "06-python")
os.makedirs(os.path.join(out, "original"), exist_ok=True)


def thread(tid, oncpu_s, vol, invol, sysc=40, delay_ns=1000000):
    return {"tid": tid, "tgid": 5000, "comm": "python3", "voluntary": vol, "involuntary": invol,
            "page_faults": 10, "runq_sum_ns": delay_ns, "oncpu_ns": int(oncpu_s * 1e9),
            "syscalls": sysc, "run_delay_ns": delay_ns}


def trace(wall, vol, invol, sysc, threads, delay_ns=None, p99=30000):
    d = delay_ns if delay_ns is not None else sum(t["run_delay_ns"] for t in threads)
    return {"schema": "corolab.trace/1", "command": ["/usr/bin/python3", "corolab_py.py"],
            "exit_status": 0, "wall_s": wall + 0.03,
            "totals": {"ctx_switches": {"voluntary": vol, "involuntary": invol},
                       "page_faults": {"user": 3600, "kernel": 360},
                       "runq_latency": {"count": vol + invol, "sum_ns": d, "max_ns": p99 * 2,
                                        "p50_ns": 4000, "p99_ns": p99,
                                        "log2_hist_us": [10, 8, 6, 4, 2, 1, 1]},
                       "syscalls": sysc, "migrations": 3, "threads_created": len(threads) - 1,
                       "oncpu_ns": sum(t["oncpu_ns"] for t in threads),
                       "io_uring": {"submitted": 0, "completed": 0}},
            "rusage": {"nvcsw": vol, "nivcsw": invol, "minflt": 3600, "majflt": 0,
                       "maxrss_kb": 24000, "utime_s": wall, "stime_s": 0.01},
            "kernel_run_delay_ns": d, "threads": threads, "partial": False}


def run(w, mode, wall, tasks, workers=1, os_threads=1, params=None, **kw):
    o = {"schema": "corolab.run/1", "workload": w, "mode": mode, "tasks": tasks,
         "workers": workers, "ok": tasks, "failed": 0, "wall_s": wall, "max_rss_kb": 24000,
         "os_threads": os_threads, "cpu_user_s": 0.02, "cpu_sys_s": 0.01,
         "params": params or {}, "host": host, "runtime": RT}
    o.update(kw)
    return o


def save(name, r, t):
    with open(os.path.join(out, name + ".r1.json"), "w") as f:
        json.dump({"schema": "corolab.runtrace/1", "run": r, "trace": t}, f, indent=1)
        f.write("\n")


gil = {"n": 10000000, "gil": True, "gil_interval_s": 0.005}
# cpu: the real GIL.  threads ~ sequential, ~1300 voluntary hand-offs, +3000
# syscalls, 4 workers x 0.41 s on-CPU; processes (one GIL each) ~ half.
save("py-cpu-sequential", run("cpu", "sequential", 1.72, 4, params=gil, cpu_user_s=1.71),
     trace(1.72, 1, 40, 2222, [thread(5000, 1.71, 1, 40, 2200)]))
save("py-cpu-threads", run("cpu", "threads", 1.76, 4, 4, 5, params=gil, cpu_user_s=1.71),
     trace(1.76, 1300, 60, 5219, [thread(5000, 0.05, 20, 5, 2100)] +
           [thread(5001 + k, 0.41, 320, 14, 780) for k in range(4)]))
save("py-cpu-coroutines", run("cpu", "coroutines", 1.73, 4, params=gil, cpu_user_s=1.71),
     trace(1.73, 2, 41, 2230, [thread(5000, 1.71, 2, 41, 2200)]))
save("py-cpu-processes", run("cpu", "processes", 0.93, 4, 4, 7, params=dict(gil, gil=False)),
     trace(0.93, 30, 50, 3400, [thread(5000, 0.06, 12, 5, 2000)] +
           [thread(5010 + k, 0.40, 4, 10, 300, 100000000) for k in range(4)]))
# sleep: 10 x 1 s
for mode, wall, th, vol in (("sequential", 10.0, 1, 11), ("threads", 1.004, 11, 50),
                            ("coroutines", 1.002, 1, 2), ("processes", 1.049, 13, 60)):
    save("py-sleep-" + mode, run("sleep", mode, wall, 10, th if mode != "sequential" else 1, th,
                                 {"duration_s": 1.0}),
         trace(wall, vol, 3, 300, [thread(5000 + k, 0.002, vol // th, 0) for k in range(th)]))
# spawn: 50 threads vs 1000 asyncio tasks
save("py-spawn-threads", run("spawn", "threads", 0.15, 50, 50, 51, {"duration_s": 0.1},
                             rss_kb={"before": 23900, "after_create": 24896, "after_done": 24900},
                             rss_per_task_bytes=20398, create_ns_per_task=578000),
     trace(0.15, 120, 10, 900, [thread(5000 + k, 0.001, 2, 0) for k in range(51)]))
save("py-spawn-coroutines", run("spawn", "coroutines", 0.13, 1000, 1, 1, {"duration_s": 0.1},
                                rss_kb={"before": 23856, "after_create_unstarted": 24792,
                                        "after_create": 25460, "after_done": 25700},
                                rss_per_task_bytes=1642, create_ns_per_task=10700),
     trace(0.13, 3, 2, 80, [thread(5000, 0.05, 3, 2)]))
# switch, pinned: threads 14.7 us, asyncio.Event 6.7 us, pipes 8.5 us
for mode, ns in (("threads", 14700), ("coroutines", 6700), ("processes", 8500)):
    save("py-switch-" + mode, run("switch", mode, 2 * 100000 * ns / 1e9, 100000, 2, 2,
                                  {"round_trips": 100000, "pinned_cpu": True}, ns_per_switch=ns),
         trace(2 * 100000 * ns / 1e9, 200000, 10, 400000, [thread(5000, 1.0, 100000, 5)]))
# http: the write-up's 50 x /delay/{1,2,3}; sequential the first 10
for mode, wall, n, wk, th in (("sequential", 19.04, 10, 1, 1), ("threads", 7.02, 50, 20, 21),
                              ("coroutines", 3.01, 50, 1, 1), ("processes", 7.19, 50, 20, 23)):
    save("py-http-" + mode, run("http", mode, wall, n, wk, th, {"delay_scale": 1.0},
                                latency_s={"p50": 2.0, "p99": 3.0}),
         trace(wall, n * 3, 5, n * 30, [thread(5000 + k, 0.01, 3, 0) for k in range(th)]))
# lifecycle: A, B, C
for mode in ("threads", "coroutines"):
    ev = []
    for k, (name, d) in enumerate((("A", 1.0), ("B", 0.5), ("C", 1.5))):
        tid = 6001 + k if mode == "threads" else 6000
        ev += [{"t_s": 0.001 * k, "task": name, "state": "start", "tid": tid},
               {"t_s": 0.001 * k + 0.0005, "task": name, "state": "waiting", "tid": tid},
               {"t_s": d, "task": name, "state": "done", "tid": tid}]
    ev.sort(key=lambda e: e["t_s"])
    save("py-lifecycle-" + mode, run("lifecycle", mode, 1.501, 3, 3 if mode == "threads" else 1,
                                     4 if mode == "threads" else 1, {}, events=ev),
         trace(1.501, 8, 1, 60, [thread(6000, 0.01, 4, 1)]))

# The original program (lab/python/run_original.sh OUTDIR): its parsed summary,
# its trace and its own output (not JSON, never a result).
orig = os.path.join(out, "original")
summary = {"schema": "corolab.original/1", "exit_status": 0, "note": "under corolab trace",
           "source": "the write-up's program, first ```python block, httpbin URL rewritten",
           "http": {"sequential": {"total_time_s": 19.02, "memory_usage_mb": 0.5, "success": 10,
                                   "requests": 10},
                    "threading": {"total_time_s": 7.01, "memory_usage_mb": 1.2, "success": 50,
                                  "requests": 50, "thread_count_printed": 0},
                    "asyncio": {"total_time_s": 3.03, "memory_usage_mb": 0.8, "success": 50,
                                "requests": 50},
                    "speedup_printed": 2.31},
           "cpu": {"threads_s": 0.21, "coroutines_s": 0.2},
           "io": {"threads_s": 1.0, "coroutines_s": 1.0},
           "lifecycle_switches_printed": 6,
           "memory_snapshots_mb": [{"label": "开始", "mb": 60.1}]}
with open(os.path.join(orig, "summary.json"), "w") as f:
    json.dump(summary, f, indent=2, ensure_ascii=False)
    f.write("\n")
with open(os.path.join(orig, "trace.json"), "w") as f:
    t = trace(40.5, 4200, 300, 90000, [thread(7000, 2.5, 400, 100)])
    t["totals"]["threads_created"] = 74
    json.dump(t, f, indent=1)
    f.write("\n")
with open(os.path.join(orig, "stdout.txt"), "w") as f:
    f.write("多线程:\n  总耗时: 7.01秒\n  线程数量: 0\n协程相比多线程性能提升: 2.31x\n")
