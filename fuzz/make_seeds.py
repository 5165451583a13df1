#!/usr/bin/env python3
"""Writes the seed corpus in fuzz/seeds/ from tests/traces and a few hand-made inputs.

Run from the repository root: python3 fuzz/make_seeds.py. The seeds are committed; rerun
this only to change them.
"""

import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"
HEADER = '{"format":"mempressure-trace","version":1}\n'


def write(target, name, data):
    path = SEEDS / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def trace_seeds():
    # Small slices of the recorded traces: the header and a window around a crossing.
    windows = {
        "02-host-spike-90-stressng": [(470, 30), (548, 30)],
        "04-host-oscillate-70": [(50, 40)],
        "05-cgroup-512m-ramp-spike": [(195, 20), (280, 20)],
        "11-nezha-adservice-java-pod-near-limit": [(250, 20)],
        "12-nezha-cartservice-pod-transient-spikes": [(45, 20)],
        "13-nezha-currencyservice-pod-20h": [(85, 20)],
    }
    for name, slices in windows.items():
        lines = (ROOT / "tests" / "traces" / f"{name}.jsonl").read_text().splitlines(True)
        for start, count in slices:
            write("trace_replay", f"{name[:2]}-{start}", lines[0] + "".join(lines[start:start + count]))

    caches = [
        {"t_ms": 0, "total": 1000, "available": 500},
        {"t_ms": 0, "cache": {"id": "frames", "type": "frame_cache", "bytes": 104857600}},
        {"t_ms": 0, "cache": {"id": "v", "type": "validation_cache", "bytes": 5, "access_count": 3, "last_access_ms": 0}},
        {"t_ms": 100, "total": 1000, "available": 20, "throttled": True},
        {"t_ms": 200, "total": 1000, "available": 200, "psi_some_avg10": 1.5, "psi_full_avg10": 0.0},
        {"t_ms": 300, "cache": {"id": "frames", "bytes": 0, "remove": True}},
        {"t_ms": 40000, "total": 1000, "available": 10, "process": 900},
    ]
    write("trace_replay", "caches", HEADER + "".join(json.dumps(r) + "\n" for r in caches))
    write("trace_replay", "bom-and-blank", "\ufeff" + HEADER + "\n\n" + '{"t_ms":1,"total":1,"available":0}\n')
    write("trace_replay", "backwards", HEADER + '{"t_ms":5,"total":9,"available":1}\n{"t_ms":4,"total":9,"available":1}\n')
    write("trace_replay", "bad-line", HEADER + '{"t_ms":0,"total":-3,"available":1}\n')
    write("trace_replay", "both", HEADER + '{"t_ms":0,"total":3,"available":1,"cache":{"id":"x"}}\n')


def config_seeds():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("```toml\nprofile = \"production\"")
    full = readme[start + len("```toml\n"):readme.index("```", start + 8)]
    write("config_toml", "full-production", full)
    write("config_toml", "empty", "")
    write("config_toml", "low-memory-band", 'profile = "low_memory"\n[hysteresis]\nexit_band = 0.02\n')
    write("config_toml", "durations", 'sample_interval = "1m 30s"\n[alerts]\ncooldown = "0s"\nlevels = ["warning"]\n')
    write("config_toml", "types", '[scoring]\ntype_priorities = { "a.b" = 5.0, "\\u00e9" = 0 }\ndefault_type_priority = 0.5\n')
    write("config_toml", "invalid-order", "[thresholds]\nwarning = 0.9\n")
    write("config_toml", "nan", "[thresholds]\nwarning = nan\n")

    write("config_json", "empty", "{}")
    write("config_json", "development", '{"profile":"development","sample_interval":"500ms","scoring":{"type_priorities":{"thumbs":5}}}')
    write("config_json", "full", json.dumps({
        "profile": "default", "sample_interval": "5s", "auto_eviction": False,
        "thresholds": {"warning": 0.7, "critical": 0.8, "emergency": 0.95},
        "eviction_targets": {"warning": 0.15, "critical": 0.3, "emergency": 0.5},
        "hysteresis": {"enable_delta": 0.05, "exit_band": 0.05, "eviction_cooldown": "30s"},
        "alerts": {"levels": ["critical", "emergency"], "cooldown": "5m"},
        "scoring": {"weights": {"age": 0.4, "size": 0.3, "access": 0.2, "type": 0.1},
                    "type_priorities": {"frame_cache": 1.0}, "default_type_priority": 2.0},
    }))
    write("config_json", "bare-number-duration", '{"alerts":{"cooldown":-5}}')
    write("config_json", "null", '{"hysteresis":{"enable_delta":null}}')


def core_seeds():
    def sample(t_mode, total, share, flags=0x10):
        # kind 0 with flag 0x10: available = total / 256 * share.
        return bytes([flags, 1, t_mode]) + bytes([3]) + struct.pack("<Q", total) + bytes([0, 0, share, 0, 0])

    def cache(cid, type_index, size_shift):
        return bytes([2, 0, cid, type_index, 1, size_shift, 0, 0, 0])

    head = bytes([0, 1, 30, 60])  # default profile, auto eviction, 30 s cooldowns
    ramp = head + cache(0, 0, 26) + cache(1, 1, 20)
    for share in [200, 150, 100, 60, 40, 20, 10, 60, 120, 200]:
        ramp += sample(10, 1 << 34, share)
    write("core_records", "ramp", ramp)
    write("core_records", "lying", ramp + bytes([7, 0, 5, 1, 0]) + bytes([6, 0, 1]))
    write("core_records", "dry-run", bytes([1, 0, 0, 0]) + ramp[4:])
    write("core_records", "garbage-samples", head + bytes([0, 3]) + b"\xff" * 40)


if __name__ == "__main__":
    trace_seeds()
    config_seeds()
    core_seeds()
