#!/usr/bin/env python3
"""Assembles the benchmark table (markdown) from one run's results: criterion's medians
(CRITERION_DIR/<group>/<param>/new/estimates.json) and the JSON files that
benches/run.sh writes into RESULTS_DIR (reference.json, wasm.json, wasm-small.json,
overhead.json, size.json, size-wasm-bench*.json). Each row has the median, the issue's
target, the ratio the target is about and whether it is met.

    report.py CRITERION_DIR RESULTS_DIR [--out FILE]
"""

import argparse
import json
import sys
from pathlib import Path


def criterion_ns(root, group, param):
    """The median of one criterion benchmark, in nanoseconds per iteration."""
    path = Path(root) / group / param / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"]


def load(results, name):
    path = Path(results) / name
    return json.loads(path.read_text()) if path.exists() else None


def callgrind_total(results, name):
    """The instructions counted in a callgrind output file (its `summary:` line)."""
    path = Path(results) / name
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    return None


def fmt_time(ns):
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def verdict(*checks):
    if any(c is None for c in checks):
        return "—"
    return "met" if all(checks) else "**missed**"


def build_rows(crit, results):
    ref = load(results, "reference.json") or {}
    wasm = load(results, "wasm.json") or {}
    over = load(results, "overhead.json") or {}
    size = load(results, "size.json") or {}
    rows = []

    # 1. Core step.
    steps = 1_000_000
    step = criterion_ns(crit, "core_step", str(steps)) / steps
    py_step = ref.get("core_step", {}).get("ns_per_sample")
    speedup = py_step / step if py_step else None
    rows.append((
        "core step (1M samples, 3 caches), native",
        f"{step:.1f} ns/sample",
        "≤ 20 ns; ≥ 25× Python",
        f"Python {py_step:.0f} ns: {speedup:.0f}× faster" if speedup else "no reference",
        verdict(step <= 20, speedup and speedup >= 25),
    ))
    if "core_step" in wasm:
        w = wasm["core_step"]["ns_per_sample"]
        rows.append((
            "core step, wasm in Node",
            f"{w:.1f} ns/sample",
            "(reported)",
            f"{w / step:.2f}× native",
            "—",
        ))

    # 2. Planning.
    plan = {}
    for n in (1_000, 10_000, 100_000, 1_000_000):
        plan[n] = criterion_ns(crit, "planning", str(n))
        py = ref.get("planning", {}).get(str(n), {}).get("ms")
        speedup = py * 1e6 / plan[n] if py else None
        ratio = f"Python {fmt_time(py * 1e6)}: {speedup:.0f}× faster" if py else "no reference"
        if n == 100_000:
            target = "≤ 3 ms; ≥ 50× Python"
            result = verdict(plan[n] <= 3e6, speedup and speedup >= 50)
        elif n == 1_000_000:
            target = "≤ 40 ms"
            result = verdict(plan[n] <= 40e6)
        else:
            target, result = "(reported)", "—"
        rows.append((f"planning, {n:,} caches, native", fmt_time(plan[n]), target, ratio, result))
    growth = plan[1_000_000] / plan[100_000]
    rows.append((
        "planning growth, 100k → 1M caches",
        f"{growth:.1f}×",
        "≤ 12×",
        f"10k → 100k: {plan[100_000] / plan[10_000]:.1f}×",
        verdict(growth <= 12),
    ))
    floor_path = Path(crit) / "planning_floor" / "1000000" / "new" / "estimates.json"
    if floor_path.exists():
        read_100k = criterion_ns(crit, "planning_floor", "100000")
        read_1m = criterion_ns(crit, "planning_floor", "1000000")
        rows.append((
            "one read of planning's input (32 B per cache), 100k → 1M",
            f"{read_1m / read_100k:.1f}×",
            "(the floor under the growth)",
            f"{fmt_time(read_100k)} → {fmt_time(read_1m)}; a plan reads it twice",
            "—",
        ))
    instructions = {n: callgrind_total(results, f"callgrind-plan-{n}.out")
                    for n in (100_000, 1_000_000)}
    if all(instructions.values()):
        rows.append((
            "instructions per plan (callgrind), 100k → 1M caches",
            f"{instructions[1_000_000] / instructions[100_000]:.2f}×",
            "(the growth of the work alone)",
            f"{instructions[100_000] / 1e6:.1f} M → {instructions[1_000_000] / 1e6:.1f} M "
            f"instructions; the time grows {growth:.1f}×",
            "—",
        ))
    for n in (100_000, 1_000_000):
        w = wasm.get("planning", {}).get(str(n), {}).get("ms")
        if w:
            rows.append((
                f"planning, {n:,} caches, wasm in Node",
                fmt_time(w * 1e6),
                "(reported)",
                f"{w * 1e6 / plan[n]:.2f}× native",
                "—",
            ))

    # 3. Sampling.
    full = criterion_ns(crit, "sample", "full")
    floor = criterion_ns(crit, "sample", "floor")
    psutil_us = ref.get("sampling", {}).get("us_per_reading")
    over_floor = full / floor
    vs_psutil = psutil_us * 1e3 / full if psutil_us else None
    rows.append((
        "full native sample",
        fmt_time(full),
        "≤ 1.5× floor; ≥ 4× psutil",
        f"floor {fmt_time(floor)}: {over_floor:.1f}× floor; "
        + (f"psutil {fmt_time(psutil_us * 1e3)}: {vs_psutil:.1f}× faster" if vs_psutil
           else "no psutil"),
        verdict(over_floor <= 1.5, vs_psutil and vs_psutil >= 4),
    ))
    if psutil_us:
        rows.append((
            "the floor against psutil",
            fmt_time(floor),
            "(the most any reader of these files can gain)",
            f"{psutil_us * 1e3 / floor:.1f}× faster than psutil, which reads 2 of the files",
            "—",
        ))

    # 4. Replay.
    replay_n = 200_000
    replay_ns = criterion_ns(crit, "replay", str(replay_n))
    native_rate = replay_n / (replay_ns / 1e9)
    rows.append((
        "replay (200k samples), native",
        f"{native_rate / 1e6:.2f} M samples/s",
        "≥ 5 M samples/s",
        f"{fmt_time(replay_ns)} per trace",
        verdict(native_rate >= 5e6),
    ))
    floor_ns = criterion_ns(crit, "replay_floor", str(replay_n))
    rows.append((
        "the floor under replay: serde_json reading the same lines into samples, alone",
        f"{replay_n / (floor_ns / 1e9) / 1e6:.2f} M samples/s",
        "(the library's part)",
        f"{floor_ns / replay_ns * 100:.0f}% of native replay's time",
        "—",
    ))
    if "replay" in wasm:
        rate = wasm["replay"]["samples_per_second"]
        slower = native_rate / rate
        rows.append((
            "replay (200k samples), wasm in Node",
            f"{rate / 1e6:.2f} M samples/s",
            "within 2.5× native",
            f"{slower:.2f}× slower than native",
            verdict(slower <= 2.5),
        ))
    small = load(results, "wasm-small.json") or {}
    package_size = load(results, "size-wasm-bench.json")
    small_size = load(results, "size-wasm-bench-small.json")
    if "replay" in small and package_size and small_size:
        rate = small["replay"]["samples_per_second"]
        step_ratio = small["core_step"]["ns_per_sample"] / step
        rows.append((
            "replay, wasm in Node, the core built for size too (`wasm-bench-small`, not "
            "the package)",
            f"{rate / 1e6:.2f} M samples/s",
            "(the other side of the trade)",
            f"{native_rate / rate:.2f}× slower than native (core step {step_ratio:.2f}× "
            f"native); .wasm {(small_size['raw_bytes'] - package_size['raw_bytes']) / 1e3:+.0f}"
            f" KB raw, {(small_size['gzip_bytes'] - package_size['gzip_bytes']) / 1e3:+.0f} "
            "KB gzipped against the package's build",
            "—",
        ))

    # 5. Monitor overhead.
    for name in ("1s", "100ms"):
        m = over.get("monitor", {}).get(name)
        if not m:
            continue
        pct = m["percent_of_one_core"]
        rows.append((
            f"monitor CPU at {name}",
            f"{m['cpu_s_per_minute'] * 1e3:.2f} ms CPU/min",
            "< 0.01% of one core" if name == "1s" else "(reported)",
            f"{pct:.4f}% of one core",
            verdict(pct < 0.01) if name == "1s" else "—",
        ))
        floor = over.get("floor", {}).get(name)
        if floor:
            rows.append((
                f"floor at {name}: only reading the sampler's files",
                f"{floor['cpu_s_per_minute'] * 1e3:.2f} ms CPU/min",
                "(the limit)",
                f"{floor['percent_of_one_core']:.4f}% of one core; the monitor is "
                f"{pct / floor['percent_of_one_core']:.1f}× this"
                if floor["percent_of_one_core"] > 0 else "below the clock's resolution",
                "—",
            ))
    if over.get("monitor"):
        added = max(m["rss_added_kib"] for m in over["monitor"].values())
        rows.append((
            "resident memory added by the monitor",
            f"{added} KiB",
            "< 1 MiB",
            "peak RSS above the idle process, worst of 1 s and 100 ms",
            verdict(added < 1024),
        ))

    # 6. wasm size: the package, a wasm-opt copy of it, and the libraries alone.
    def size_row(name, raw, gz, target, result):
        return (
            name,
            f"{raw / 1e3:.0f} KB raw, {gz / 1e3:.0f} KB gzipped",
            target,
            f"{raw / 150e3:.2f}× / {gz / 60e3:.2f}× the target",
            result,
        )

    if size:
        raw, gz = size["raw_bytes"], size["gzip_bytes"]
        rows.append(size_row("wasm size (release package)", raw, gz,
                             "≤ 150 KB raw, ≤ 60 KB gzipped",
                             verdict(raw <= 150e3, gz <= 60e3)))
        if size.get("wasm_opt_raw_bytes"):
            rows.append(size_row("wasm size after `wasm-opt -Oz` (a copy; not the package)",
                                 size["wasm_opt_raw_bytes"], size["wasm_opt_gzip_bytes"],
                                 "(what it would give)", "—"))
        if size.get("skeleton_raw_bytes"):
            rows.append(size_row(
                "wasm size of the package's libraries alone (one struct, no logic)",
                size["skeleton_raw_bytes"], size["skeleton_gzip_bytes"], "(the floor)", "—"))
    return rows, ref.get("warnings", [])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("criterion_dir")
    parser.add_argument("results_dir")
    parser.add_argument("--out", metavar="FILE")
    args = parser.parse_args()

    rows, warnings = build_rows(args.criterion_dir, args.results_dir)
    lines = [
        "| measurement | median | target | ratio | result |",
        "|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    for warning in warnings:
        lines.append(f"\nWARNING: the Python reference differs from Rust: {warning}")
    text = "\n".join(lines)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 1 if warnings else 0


if __name__ == "__main__":
    sys.exit(main())
