// Type-checks a user's code against the package's definitions (tsc --strict, no emit).
import {
  PressureMonitor,
  capability,
  registerLruCache,
  replay,
  type Capability,
  type EvictEvent,
  type LevelName,
  type MonitorEvent,
  type Status,
} from "mempressure";

const monitor: PressureMonitor = new PressureMonitor({ profile: "low_memory", thresholds: { warning: 0.4 } });
const can: Capability = capability();

monitor.registerCache({ id: "tiles", type: "frame_cache", bytes: () => 1024, evict: (bytes: number) => bytes });
monitor.on("evict", (event: MonitorEvent) => {
  if (event.event === "evict") {
    const evict: EvictEvent = event;
    const asked: number = evict.requests[0].bytes;
    console.log(asked, evict.freed_bytes);
  }
});

const events: MonitorEvent[] = monitor.observe({ total: 1000, available: 10 });
const status: Status = monitor.status();
const level: LevelName = status.level;
const log: string = replay("", "production");
const touched: boolean = monitor.touch("tiles");
const removed: boolean = monitor.removeCache("tiles");
console.log(can, events.length, level, log, touched, removed, monitor.now());

// @ts-expect-error: a cache needs an evict callback.
monitor.registerCache({ id: "x", type: "y", bytes: 1 });
// @ts-expect-error: not a level name.
const wrong: LevelName = "panic";

declare const lru: { calculatedSize: number; size: number; get(k: string): unknown; pop(): unknown };
const unregister: () => void = registerLruCache(monitor, lru, { id: "lru" });
unregister();
console.log(wrong);
