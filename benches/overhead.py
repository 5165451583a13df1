#!/usr/bin/env python3
"""The monitor's own cost, measured from outside: runs `idle_monitor` (a process that
only sleeps) without a monitor, with one sampling every 1 s and every 100 ms, each for
the same time, and reads from /proc what each process uses:

- CPU in the steady state: the run time the kernel counts for all the process' threads
  (`/proc/PID/task/*/schedstat`, nanoseconds) between the end of a warm-up and a point
  shortly before the end, per second of that window;
- CPU in all, start-up included: user + system time from wait4's rusage at exit;
- resident memory: `VmHWM` (peak) and `VmRSS` from `/proc/PID/status` shortly before the
  end. (rusage's `ru_maxrss` is no use here: it keeps the peak of the forked Python
  process from before `exec`.)

The process without a monitor is the baseline; what the others use above it is the
monitor's. Two more processes give the floor at each interval: a thread that only reads
the files the sampler reads (kept descriptors, a direct parse, as the sampling bench's
floor) and sleeps, which is what the kernel's side of sampling costs at that interval.

    overhead.py BINARY [--seconds 20] [--warmup 2] [--out FILE]

The five processes run side by side (they sleep; the machine's cores are not the
limit), so the whole measurement takes about --seconds.
"""

import argparse
import json
import os
import subprocess
import sys
import time

RUNS = [
    ("none", None),
    ("1s", "1s"),
    ("100ms", "100ms"),
    ("floor 1s", "floor:1s"),
    ("floor 100ms", "floor:100ms"),
]


def run_ns(pid):
    """CPU time of all the process' threads so far, in nanoseconds."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return total


def memory_kib(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0])
    return fields


def measure(binary, seconds, warmup):
    children = {}
    for name, interval in RUNS:
        argv = [binary, str(seconds)] + ([interval] if interval else [])
        children[name] = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()

    # The steady-state window: from the end of the warm-up to a second before the end.
    time.sleep(warmup)
    first = {name: (time.monotonic(), run_ns(c.pid)) for name, c in children.items()}
    time.sleep(max(seconds - warmup - 1.0 - (time.monotonic() - started - warmup), 0.1))
    last = {name: (time.monotonic(), run_ns(c.pid)) for name, c in children.items()}
    memory = {name: memory_kib(c.pid) for name, c in children.items()}

    out = {}
    for name, child in children.items():
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        note = child.stderr.read().strip()
        if child.returncode != 0:
            sys.exit(f"overhead.py: idle_monitor ({name}) exited {child.returncode}: {note}")
        window_s = last[name][0] - first[name][0]
        out[name] = {
            "steady_cpu_s_per_s": (last[name][1] - first[name][1]) / 1e9 / window_s,
            "steady_window_s": window_s,
            "total_cpu_s": usage.ru_utime + usage.ru_stime,
            "vm_hwm_kib": memory[name]["VmHWM"],
            "vm_rss_kib": memory[name]["VmRSS"],
            "note": note,
        }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="the idle_monitor example, built with --release")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--out", metavar="FILE")
    args = parser.parse_args()

    runs = measure(args.binary, args.seconds, args.warmup)
    base = runs["none"]
    result = {"seconds": args.seconds, "runs": runs, "monitor": {}, "floor": {}}
    for name in ("1s", "100ms"):
        run = runs[name]
        steady = max(run["steady_cpu_s_per_s"] - base["steady_cpu_s_per_s"], 0.0)
        total = max(run["total_cpu_s"] - base["total_cpu_s"], 0.0)
        result["monitor"][name] = {
            "cpu_s_per_minute": steady * 60,
            "percent_of_one_core": steady * 100,
            "total_cpu_s_with_start": total,
            "rss_added_kib": run["vm_hwm_kib"] - base["vm_hwm_kib"],
        }
        floor = runs[f"floor {name}"]
        floor_steady = max(floor["steady_cpu_s_per_s"] - base["steady_cpu_s_per_s"], 0.0)
        result["floor"][name] = {
            "cpu_s_per_minute": floor_steady * 60,
            "percent_of_one_core": floor_steady * 100,
        }

    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
