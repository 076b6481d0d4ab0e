#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# One-off generator of the hand-made fixture results directory
# tests/data/results/ (kept for reference; the JSON files are committed).
# Figures follow DESIGN.md's reference measurements on the project machine.
import json, os, random
random.seed(5)
host = {"kernel": "6.18.0", "cpu_model": "Intel(R) Xeon(R) CPU @ 2.20GHz", "cores": 2}
def jit(v, r): return round(v * (1 + random.uniform(-0.03, 0.03)), 6) if r else v
def hist(mode):
    h = [0]*20
    if mode == "threads": h[0:14] = [40,80,30,12,6,3,2,1,1,2,4,20,35,10]
    elif mode == "processes": h[0:13] = [30,50,20,8,4,2,1,1,0,1,3,12,20]
    else: h[0:6] = [12,9,4,2,1,1]
    return h
def trace(vol, invol, pf, mode, wall):
    hs = hist(mode)
    return {"schema": "corolab.trace/1", "command": ["corolab", "run"], "exit_status": 0, "wall_s": wall,
      "totals": {"ctx_switches": {"voluntary": vol, "involuntary": invol}, "page_faults": {"user": pf, "kernel": 10},
                 "runq_latency": {"count": sum(hs), "sum_ns": 9000000, "max_ns": 6000000, "p50_ns": 2000, "p99_ns": 5000000 if mode in ("threads","processes") else 30000, "log2_hist_us": hs},
                 "syscalls": 400, "migrations": 5, "threads_created": 4, "oncpu_ns": int(wall*1e9*0.9), "io_uring": {"submitted": 0, "completed": 0}},
      "rusage": {"nvcsw": vol - 1, "nivcsw": invol, "minflt": pf, "majflt": 0, "maxrss_kb": 4000, "utime_s": wall*0.9, "stime_s": 0.01},
      "kernel_run_delay_ns": 8900000, "threads": [{"tid": 100, "tgid": 100, "comm": "corolab", "voluntary": vol, "involuntary": invol, "page_faults": pf, "runq_sum_ns": 9000000, "oncpu_ns": 1000}],
      "reconcile": {"ctx_switches.voluntary": {"bpf": vol, "kernel": vol - 1, "ok": True},
                    "ctx_switches.involuntary": {"bpf": invol, "kernel": invol, "ok": True},
                    "page_faults": {"bpf": pf + 10, "kernel": pf, "ok": True},
                    "runq_latency.sum_ns": {"bpf": 9000000, "kernel": 8900000, "ok": True}},
      "partial": False}
def run(w, mode, wall, tasks, workers=None, params=None, **kw):
    o = {"schema": "corolab.run/1", "workload": w, "mode": mode, "tasks": tasks,
         "workers": workers if workers is not None else (tasks if mode in ("threads", "processes") else 1),
         "ok": tasks, "failed": 0, "wall_s": wall, "max_rss_kb": 4000,
         "os_threads": {"sequential": 1, "threads": (workers or tasks) + 1, "coroutines": 1, "processes": 1}[mode],
         "cpu_user_s": 0.01, "cpu_sys_s": 0.01, "params": params or {}, "host": host}
    if mode == "coroutines":
        o["user_switches"] = tasks * 2
        o["coro"] = {"switches": tasks*2, "spawned": tasks, "peak_live": tasks, "stack_bytes_mapped": tasks*65536, "stack_bytes_touched": tasks*8192}
    o.update(kw)
    return o
def save(exp, name, r, rep, vol, invol, pf):
    os.makedirs(exp, exist_ok=True)
    doc = {"schema": "corolab.runtrace/1", "run": r, "trace": trace(vol, invol, pf, r["mode"], r["wall_s"])}
    json.dump(doc, open(f"{exp}/{name}.r{rep}.json", "w"), indent=1)
for rep in (1, 2):
    j = rep == 2
    # 01-http
    for mode, wall, tasks, wk in (("sequential", 19.0, 10, 1), ("threads", 7.0, 50, 20), ("coroutines", 3.0, 50, 1)):
        save("01-http", f"http-{mode}", run("http", mode, jit(wall, j), tasks, wk, {"delay_scale": 1.0, "url": "http://127.0.0.1:{port}/delay/{delay}"},
             latency_s={"p50": 2.0, "p99": 3.0, "max": 3.01}, failures={"refused": 0, "timeout": 0, "http_status": 0, "reset": 0, "other": 0}, bytes=tasks*300), rep, tasks*3, 2, 300)
    # 02-lifecycle
    for mode in ("threads", "coroutines"):
        ev = []
        for k, (name, d) in enumerate((("A", 1.0), ("B", 0.5), ("C", 1.5))):
            tid = 200 + k + 1 if mode == "threads" else 200
            ev += [{"t_s": 0.0001*k, "task": name, "state": "created", "tid": tid},
                   {"t_s": 0.0002*k + 0.001, "task": name, "state": "running", "tid": tid},
                   {"t_s": 0.0002*k + 0.002, "task": name, "state": "waiting", "tid": tid},
                   {"t_s": d, "task": name, "state": "running", "tid": tid},
                   {"t_s": d + 0.01, "task": name, "state": "done", "tid": tid}]
        ev.sort(key=lambda e: e["t_s"])
        save("02-lifecycle", f"lifecycle-{mode}", run("lifecycle", mode, jit(1.51, j), 3, None, {}, events=ev, analysis={"switches": 8}), rep, 8, 0, 150)
    # 03-cpu-vs-io
    for gil in (False, True):
        for mode, wall in (("sequential", 1.2), ("threads", 1.22 if gil else 0.62), ("coroutines", 1.21), ("processes", 0.63)):
            if mode == "processes" and not gil: continue
            save("03-cpu-vs-io", f"cpu-{mode}{'-gil' if gil else ''}", run("cpu", mode, jit(wall, j), 4, 4 if mode in ("threads","processes") else 1, {"n": 300000000, "gil": gil},
                 task_wall_s=[wall/4]*4), rep, 900 if gil and mode == "threads" else 12, 150 if mode in ("threads",) else 3, 200)
    for mode, wall in (("sequential", 10.01), ("threads", 1.002), ("coroutines", 1.001), ("processes", 1.02)):
        save("03-cpu-vs-io", f"sleep-{mode}", run("sleep", mode, jit(wall, j), 10, None, {"duration_s": 1.0}), rep, 12, 0, 120)
    # 04-memory
    for mode, tasks, per, cns in (("coroutines", 1000, 9000, 180), ("threads", 50, 36000, 21000), ("coroutines", 100000, 8800, 150), ("threads", 30000, 35000, 25000)):
        save("04-memory", f"spawn-{mode}-{tasks}", run("spawn", mode, jit(0.1 + tasks*cns/1e9, j), tasks, None, {"duration_s": 0.1},
             rss_kb={"before": 3000, "after_create": 3000 + tasks*per//1024, "after_done": 3100}, rss_per_task_bytes=per, create_ns_per_task=jit(cns, j)), rep, tasks + 5, 2, tasks*3)
    # 05-switch-cost
    for mode, ns in (("threads", 1800.0), ("coroutines", 9.5), ("processes", 2100.0)):
        extra = {"swapcontext_ns_per_switch": 170.0} if mode == "coroutines" else {}
        save("05-switch-cost", f"switch-{mode}", run("switch", mode, jit(ns*2e6/1e9, j), 2, None, {"round_trips": 1000000},
             ns_per_switch=jit(ns, j), switches=2000000, **extra), rep, 2000000 if mode != "coroutines" else 3, 5, 100)
json.dump({"schema": "corolab.env/1", "kernel": "Linux 6.18.0 x86_64", "cpu_model": host["cpu_model"], "cores": 2, "governor": "unavailable (VM)",
           "versions": {"liburing": "2.3", "libbpf": "1.1.0", "libcurl": "7.88.1", "clang": "Debian clang version 14.0.6", "gnuplot": "gnuplot 5.4 patchlevel 4"},
           "commit": "fixture", "started": "2026-11-27T15:00:00Z", "tracing": "eBPF trace (corolab run --trace)"}, open("env.json", "w"), indent=1)
open("commands.txt", "w").write("# fixture: hand-made, not a real run\ncorolab run http --mode sequential --trace --json 01-http/http-sequential.r1.json\n")
