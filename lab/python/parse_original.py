#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Parse the write-up's program output (stdout.txt) into JSON for the report.

    parse_original.py STDOUT_TXT EXIT_STATUS NOTE  > summary.json
"""
from __future__ import annotations

import json
import re
import sys
from typing import Any

NUM = r"(-?[0-9]+(?:\.[0-9]+)?)"


def parse(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"http": {}, "cpu": {}, "io": {}, "memory_snapshots_mb": []}
    section = None
    names = {"顺序执行": "sequential", "多线程": "threading", "协程": "asyncio"}
    for line in text.splitlines():
        s = line.strip()
        if s.endswith(":") and s[:-1] in names:
            section = names[s[:-1]]
            out["http"].setdefault(section, {})
            continue
        if section:
            for key, label in (("total_time_s", "总耗时"), ("memory_usage_mb", "内存使用")):
                m = re.match(label + r": " + NUM, s)
                if m:
                    out["http"][section][key] = float(m.group(1))
            m = re.match(r"成功请求: (\d+)/(\d+)", s)
            if m:
                out["http"][section]["success"] = int(m.group(1))
                out["http"][section]["requests"] = int(m.group(2))
            m = re.match(r"线程数量: (-?\d+)", s)
            if m:
                out["http"][section]["thread_count_printed"] = int(m.group(1))
        m = re.match(r"协程相比多线程性能提升: " + NUM + "x", s)
        if m:
            out["http"]["speedup_printed"] = float(m.group(1))
            section = None
        for key, label, sub in (("threads_s", "多线程CPU密集型任务耗时", "cpu"),
                                ("coroutines_s", "协程CPU密集型任务耗时", "cpu"),
                                ("threads_s", "多线程IO密集型任务耗时", "io"),
                                ("coroutines_s", "协程IO密集型任务耗时", "io")):
            m = re.match(label + ": " + NUM, s)
            if m:
                out[sub][key] = float(m.group(1))
        m = re.match(r"总协程切换次数: (\d+)", s)
        if m:
            out["lifecycle_switches_printed"] = int(m.group(1))
        m = re.match(r"内存快照 \[(.*)\]: " + NUM + " MB", s)
        if m:
            out["memory_snapshots_mb"].append({"label": m.group(1), "mb": float(m.group(2))})
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8", errors="replace") as f:
        text = f.read()
    res = {"schema": "corolab.original/1", "exit_status": int(argv[1]), "note": argv[2],
           "source": "the write-up's program, first ```python block, httpbin URL rewritten",
           **parse(text)}
    json.dump(res, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
