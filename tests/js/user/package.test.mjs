// The package as a user installs it (`npm install mempressure`), from Node.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";

import { LRUCache } from "lru-cache";
import { PressureMonitor, capability, registerLruCache, replay } from "mempressure";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** A cache of real ArrayBuffers that frees whole buffers, oldest first. */
function bufferCache(count, size) {
  const buffers = Array.from({ length: count }, () => new ArrayBuffer(size));
  return {
    buffers,
    bytes: () => buffers.reduce((sum, b) => sum + b.byteLength, 0),
    evict(bytes) {
      let freed = 0;
      while (freed < bytes && buffers.length > 0) freed += buffers.shift().byteLength;
      return freed;
    },
  };
}

test("two caches of ArrayBuffers: levels rise and the lower-priority cache goes first", () => {
  // Thumbnails can be re-made cheaply: type priority 3 (evicted first); frames 1.
  const monitor = new PressureMonitor({
    scoring: { type_priorities: { thumbnails: 3, frame_cache: 1 } },
  });
  const thumbs = bufferCache(40, MIB);
  const frames = bufferCache(40, MIB);
  monitor.registerCache({ id: "thumbs", type: "thumbnails", bytes: thumbs.bytes, evict: (b) => thumbs.evict(b) });
  monitor.registerCache({ id: "frames", type: "frame_cache", bytes: frames.bytes, evict: (b) => frames.evict(b) });

  const levels = [];
  const evictions = [];
  monitor.on("level", (e) => levels.push(e.to));
  let framesAtFirstEviction;
  monitor.on("evict", (e) => {
    framesAtFirstEviction ??= frames.buffers.length;
    evictions.push(e);
  });

  // A rising sequence of samples, one second apart: 50% to 98% used.
  let t = 0;
  for (const used of [0.5, 0.6, 0.72, 0.77, 0.83, 0.9, 0.96, 0.98]) {
    monitor.observe({ t_ms: (t += 1000), total: GIB, available: Math.round(GIB * (1 - used)) });
  }

  assert.deepEqual(levels, ["warning", "critical", "emergency"]);
  assert.ok(evictions.length >= 2, JSON.stringify(evictions));
  // Same sizes, same age: the type priority decides, and the thumbnails go first.
  assert.deepEqual(evictions[0].requests.map((r) => r.cache), ["thumbs"]);
  assert.equal(framesAtFirstEviction, 40, "no frame was dropped by the first eviction");
  assert.ok(thumbs.buffers.length < 40, "thumbnails were dropped");
  for (const e of evictions) {
    assert.equal(e.freed_bytes, e.requests.reduce((s, r) => s + r.freed_bytes, 0));
  }
  const status = monitor.status();
  assert.equal(status.level, "emergency");
  assert.equal(status.cache_bytes, thumbs.bytes() + frames.bytes());
  assert.deepEqual(Object.keys(status.caches_by_type).sort(), ["frame_cache", "thumbnails"]);
});

test("an lru-cache gives back its least recently used entries", () => {
  const lru = new LRUCache({ maxSize: 64 * MIB, sizeCalculation: (v) => v.byteLength });
  for (let i = 0; i < 10; i++) lru.set(`tile-${i}`, new ArrayBuffer(MIB));
  lru.get("tile-0"); // now the most recently used

  const monitor = new PressureMonitor();
  const unregister = registerLruCache(monitor, lru, { id: "tiles", type: "frame_cache" });
  monitor.observe({ t_ms: 1, total: 1000, available: 10 }); // 99%: emergency, 50% target

  assert.equal(lru.size, 5);
  assert.ok(lru.has("tile-0"), "the entry just read stays");
  assert.ok(!lru.has("tile-1"), "the least recently used went first");
  assert.equal(monitor.status().cache_bytes, 5 * MIB);
  unregister();
  assert.equal(monitor.status().cache_count, 0);

  assert.throws(() => registerLruCache(monitor, new LRUCache({ max: 5 }), { id: "n" }), /size accounting/);
});

test("in Node the V8 heap is sampled against its limit", () => {
  assert.equal(capability(), "precise");
  const monitor = new PressureMonitor();
  const [sample] = monitor.sampleNow();
  assert.equal(sample.event, "sample");
  assert.equal(sample.quality, "precise");
  assert.ok(sample.total > 100 * MIB, "the heap limit, not the committed heap");
  assert.ok(sample.usage > 0 && sample.usage < 0.5, `usage ${sample.usage}`);
});

test("start() samples periodically and stop() ends it", async () => {
  const monitor = new PressureMonitor();
  let samples = 0;
  monitor.on("sample", () => samples++);
  monitor.start(10);
  await new Promise((resolve) => setTimeout(resolve, 200));
  monitor.stop();
  const seen = samples;
  assert.ok(seen >= 2, `${seen} samples`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(samples, seen);
});

test("a listener that throws is reported and the others still run", () => {
  const monitor = new PressureMonitor();
  const errors = [];
  let second = 0;
  monitor.on("level", () => {
    throw new Error("listener broke");
  });
  monitor.on("level", () => second++);
  monitor.on("error", (e) => errors.push(e.message));
  monitor.observe({ total: 100, available: 10 });
  assert.equal(second, 1);
  assert.match(errors[0], /listener broke/);
});

test("invalid configs throw an Error naming the field and the value", () => {
  assert.throws(() => new PressureMonitor({ thresholds: { critical: 0.5 } }), (e) => {
    return e instanceof Error && /thresholds\.warning = 0\.7/.test(e.message) && /thresholds\.critical = 0\.5/.test(e.message);
  });
  assert.throws(() => new PressureMonitor("turbo"), /unknown profile "turbo"/);
  assert.throws(() => new PressureMonitor({ alerts: { cooldown: "soon" } }), /alerts\.cooldown/);
});

test("the README example runs as written", async () => {
  const readme = readFileSync(new URL("./node_modules/mempressure/README.md", import.meta.url), "utf8");
  const example = readme.match(/```js\n([\s\S]*?)```/)[1];
  writeFileSync(new URL("./readme-example.mjs", import.meta.url), example);
  await import("./readme-example.mjs");
});

test("replay gives the decision log of a trace", () => {
  const trace = readFileSync(`${process.env.MEMPRESSURE_REPO}/tests/traces/02-host-spike-90-stressng.jsonl`, "utf8");
  const lines = replay(trace, "default").trim().split("\n").map((l) => JSON.parse(l));
  const levels = lines.filter((l) => l.event === "level").map((l) => [l.t_ms, l.to]);
  assert.deepEqual(levels.slice(0, 2), [[47700, "warning"], [55200, "critical"]]);
});
