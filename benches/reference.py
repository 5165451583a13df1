#!/usr/bin/env python3
"""The Python yardstick for the benchmarks (issue 6): the README's rules written the
plain way the reference design did them, on the same synthetic workloads as
`core/src/workload.rs` (same formulas), timed per sample or per plan.

This is not product code. It measures:

- core step: `samples(n)` through levels with hysteresis, eviction due (enable delta,
  cooldown, escalation), targets, plans and alerts with cooldown, with the three caches
  of `caches(3)` freeing exactly what they are asked; nanoseconds per sample;
- planning: `caches(n)` for n in 1k, 10k, 100k, 1M, target 30% of their bytes: score
  every cache, sort, take until the target is met; milliseconds per plan;
- sampling: `psutil.virtual_memory()` plus `Process().memory_info()`; microseconds per
  reading (psutil is installed into a venv under target/ when missing).

With `--rust-check BIN` (the `bench_workload` example of mempressure-core) it first
checks that the Python rules decide what the Rust core decides on a small case, and
warns when they differ. Prints one JSON object of medians (and writes it with --out).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOTAL = 16 << 30
TYPES = ["frame_cache", "validation_cache", "resize_cache", "thumbnails"]

# The default profile (README, "Config").
THRESHOLDS = [None, 0.70, 0.80, 0.95]  # by level: normal, warning, critical, emergency
TARGETS = [None, 0.15, 0.30, 0.50]
EXIT_BAND = 0.05
ENABLE_DELTA = 0.05
EVICTION_COOLDOWN_MS = 30_000
ALERT_LEVELS = {2, 3}
ALERT_COOLDOWN_MS = 300_000
W_AGE, W_SIZE, W_ACCESS, W_TYPE = 0.4, 0.3, 0.2, 0.1
TYPE_PRIORITIES = {"validation_cache": 3.0, "resize_cache": 2.0, "frame_cache": 1.0}
DEFAULT_TYPE_PRIORITY = 2.0
MIN_TARGET_BYTES = 10 * 1024 * 1024


# The workloads: the formulas of core/src/workload.rs.

def samples(n):
    """`n` samples (t_ms, total, available), 100 ms apart, usage a triangle 50%..98%."""
    out = []
    for i in range(n):
        phase = float(i % 2000)
        tri = phase / 1000.0 if phase < 1000.0 else (2000.0 - phase) / 1000.0
        usage = 0.5 + 0.48 * tri
        used = int(TOTAL * usage)
        out.append((i * 100, TOTAL, TOTAL - used))
    return out


def caches(n):
    """`n` caches as dicts: id, type, bytes, access_count, last_access_ms."""
    return [
        {
            "id": f"cache-{i:07d}",
            "type": TYPES[i % 4],
            "bytes": (1 << 20) + (i * 7919 % 1000) * 4096,
            "access_count": i * 31 % 100,
            "last_access_ms": i * 13 % 60_000,
        }
        for i in range(n)
    ]


# The rules (README, "The rules").

def entry_level(usage):
    for level in (3, 2, 1):
        if usage >= THRESHOLDS[level]:
            return level
    return 0


def next_level(current, usage):
    entered = entry_level(usage)
    if entered >= current:
        return entered
    for level in range(current, entered, -1):
        if usage >= THRESHOLDS[level] - EXIT_BAND:
            return level
    return entered


def target_bytes(cache_bytes, fraction):
    by_fraction = int(cache_bytes * fraction)
    floor = min(MIN_TARGET_BYTES, cache_bytes // 20)
    return min(max(by_fraction, floor), cache_bytes)


def plan(cache_list, now_ms, target):
    """Score every cache holding bytes, sort by score (ties by id), take until `target`."""
    held = [c for c in cache_list if c["bytes"] > 0]
    if not held or target == 0:
        return []
    ages = [max(now_ms - c["last_access_ms"], 0) for c in held]
    prios = [TYPE_PRIORITIES.get(c["type"], DEFAULT_TYPE_PRIORITY) for c in held]
    max_age = float(max(ages))
    max_bytes = float(max(c["bytes"] for c in held))
    max_count = float(max(c["access_count"] for c in held))
    max_prio = max(prios)
    w_sum = W_AGE + W_SIZE + W_ACCESS + W_TYPE
    # The formula of the Rust core's `priority` module: reciprocals of the maxima, weights
    # divided by their sum, the terms added left to right (the same bits as Rust).
    i_age = 1.0 / max_age if max_age > 0 else 0.0
    i_bytes = 1.0 / max_bytes if max_bytes > 0 else 0.0
    i_count = 1.0 / max_count if max_count > 0 else 0.0

    scored = []
    for c, age, prio in zip(held, ages, prios):
        age_f = age * i_age
        size_f = c["bytes"] * i_bytes
        access_f = max(1.0 - c["access_count"] * i_count, 0.0) if max_count > 0 else 0.0
        type_f = prio / max_prio if max_prio > 0 else 0.0
        score = (W_AGE / w_sum * age_f + W_SIZE / w_sum * size_f
                 + W_ACCESS / w_sum * access_f + W_TYPE / w_sum * type_f)
        scored.append((-score, c["id"], c))
    scored.sort(key=lambda s: (s[0], s[1]))

    requests = []
    remaining = target
    for _, cache_id, c in scored:
        if remaining == 0:
            break
        bytes_ = min(c["bytes"], remaining)
        requests.append((cache_id, bytes_))
        remaining -= bytes_
    return requests


class Monitor:
    """The pressure machine, with caches that free exactly what they are asked."""

    def __init__(self, cache_list):
        self.caches = {c["id"]: dict(c) for c in cache_list}
        self.level = 0
        self.last_eviction = None  # (t_ms, level)
        self.last_alert = [None] * 4
        self.level_changes = 0
        self.evictions = []  # (t_ms, requests)
        self.alerts = 0

    def handle_sample(self, t_ms, total, available):
        usage = (total - available) / total
        level = next_level(self.level, usage)
        if level != self.level:
            self.level = level
            self.level_changes += 1

        freed = 0
        requests = self.plan_eviction(t_ms, usage)
        if requests is not None:
            for cache_id, bytes_ in requests:
                cache = self.caches[cache_id]
                got = min(bytes_, cache["bytes"])
                cache["bytes"] -= got
                freed += got
            self.evictions.append((t_ms, requests))
        self.raise_alert(t_ms, freed)

    def plan_eviction(self, t_ms, usage):
        level = self.level
        if level == 0:
            return None
        threshold = THRESHOLDS[level]
        if not (level >= 2 or usage > threshold + ENABLE_DELTA):
            return None
        allowed = (
            self.last_eviction is None
            or level > self.last_eviction[1]
            or t_ms - self.last_eviction[0] >= EVICTION_COOLDOWN_MS
        )
        cache_bytes = sum(c["bytes"] for c in self.caches.values())
        target = target_bytes(cache_bytes, TARGETS[level])
        if not allowed or target == 0:
            return None
        requests = plan(self.caches.values(), t_ms, target)
        self.last_eviction = (t_ms, level)
        return requests

    def raise_alert(self, t_ms, evicted):
        level = self.level
        if level not in ALERT_LEVELS:
            return
        last = self.last_alert[level]
        if last is not None and t_ms - last < ALERT_COOLDOWN_MS:
            return
        self.last_alert[level] = t_ms
        self.alerts += 1


def run(sample_list):
    monitor = Monitor(caches(3))
    for t_ms, total, available in sample_list:
        monitor.handle_sample(t_ms, total, available)
    return monitor


# Checking against the Rust core.

def check_against_rust(binary, n_samples, n_caches):
    """Warnings (a list of text) where Python and the Rust core decide differently."""
    out = subprocess.run(
        [binary, str(n_samples), str(n_caches)], check=True, capture_output=True, text=True
    ).stdout
    rust = json.loads(out)
    warnings = []

    monitor = run(samples(n_samples))
    ours = {
        "level_changes": monitor.level_changes,
        "evictions": len(monitor.evictions),
        "alerts": monitor.alerts,
        "first_evictions": [
            {"t_ms": t, "requests": [[c, b] for c, b in r]} for t, r in monitor.evictions[:5]
        ],
    }
    for key, value in ours.items():
        if rust["core_step"][key] != value:
            warnings.append(
                f"core step on {n_samples} samples: {key} is {value} in Python, "
                f"{rust['core_step'][key]} in Rust"
            )

    cache_list = caches(n_caches)
    target = sum(c["bytes"] for c in cache_list) * 3 // 10
    requests = plan(cache_list, 60_000, target)
    ours = {
        "target_bytes": target,
        "request_count": len(requests),
        "first_requests": [[c, b] for c, b in requests[:10]],
    }
    for key, value in ours.items():
        if rust["planning"][key] != value:
            warnings.append(
                f"planning over {n_caches} caches: {key} is {value} in Python, "
                f"{rust['planning'][key]} in Rust"
            )
    return warnings


# Timing.

def median_time(fn, repeats):
    """The median wall time of `repeats` calls of `fn`, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_core_step(n, repeats):
    sample_list = samples(n)
    seconds = median_time(lambda: run(sample_list), repeats)
    return {"samples": n, "repeats": repeats, "ns_per_sample": seconds * 1e9 / n}


def bench_planning(sizes, repeats_for):
    out = {}
    for n in sizes:
        cache_list = caches(n)
        target = sum(c["bytes"] for c in cache_list) * 3 // 10
        repeats = repeats_for(n)
        seconds = median_time(lambda: plan(cache_list, 60_000, target), repeats)
        out[str(n)] = {"repeats": repeats, "ms": seconds * 1e3}
    return out


def bench_psutil(calls, repeats):
    import psutil

    process = psutil.Process()

    def read():
        for _ in range(calls):
            psutil.virtual_memory()
            process.memory_info()

    seconds = median_time(read, repeats)
    return {
        "psutil_version": psutil.__version__,
        "calls": calls,
        "repeats": repeats,
        "us_per_reading": seconds * 1e6 / calls,
    }


def ensure_psutil():
    """Re-runs this script in a venv under target/ that has psutil, when it is missing."""
    try:
        import psutil  # noqa: F401

        return
    except ImportError:
        pass
    if os.environ.get("MEMPRESSURE_BENCH_VENV"):
        sys.exit("error: psutil is still missing inside the bench venv")

    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    venv = target / "bench-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"reference.py: creating {venv} for psutil", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "psutil"],
        check=True,
    )
    env = dict(os.environ, MEMPRESSURE_BENCH_VENV="1")
    os.execve(str(python), [str(python), __file__, *sys.argv[1:]], env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, no psutil")
    parser.add_argument("--rust-check", metavar="BIN", help="the bench_workload example")
    parser.add_argument("--out", metavar="FILE", help="also write the JSON here")
    args = parser.parse_args()

    if not args.smoke:
        ensure_psutil()

    result = {"python": sys.version.split()[0], "warnings": []}
    if args.rust_check:
        n_samples, n_caches = (4_000, 500) if args.smoke else (20_000, 1_000)
        result["warnings"] = check_against_rust(args.rust_check, n_samples, n_caches)
        result["checked"] = {"samples": n_samples, "caches": n_caches}
        for warning in result["warnings"]:
            print(f"WARNING: reference differs from Rust: {warning}", file=sys.stderr)

    if args.smoke:
        result["core_step"] = bench_core_step(2_000, 1)
        result["planning"] = bench_planning([1_000], lambda n: 1)
    else:
        result["core_step"] = bench_core_step(1_000_000, 3)
        result["planning"] = bench_planning(
            [1_000, 10_000, 100_000, 1_000_000],
            lambda n: {1_000: 51, 10_000: 21, 100_000: 7}.get(n, 3),
        )
        result["sampling"] = bench_psutil(2_000, 7)

    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    # A smoke run (the test command) fails on a difference; a full run reports it.
    return 1 if result["warnings"] and args.smoke else 0


if __name__ == "__main__":
    sys.exit(main())
