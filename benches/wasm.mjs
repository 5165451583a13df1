// Times the core step, eviction planning and replay inside wasm under Node, on the same
// workloads as the native criterion benches (mempressure_core::workload), and prints the
// medians as JSON.
//
//   node benches/wasm.mjs DIR [--smoke] [--out FILE]
//
// DIR is the bench package built by benches/build-wasm.sh. Replay goes through the
// package's own `replay(text)`; the core step and planning through its hidden `__bench*`
// exports, with each workload built before the timing starts.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith("--"));
const smoke = args.includes("--smoke");
const outIndex = args.indexOf("--out");
const outFile = outIndex >= 0 ? args[outIndex + 1] : undefined;
if (!dir) {
  console.error("usage: node benches/wasm.mjs DIR [--smoke] [--out FILE]");
  process.exit(2);
}

const base = pathToFileURL(resolve(dir) + "/").href;
const { replay } = await import(base + "node.js");
const bench = await import(base + "mempressure_wasm.js");

// The median time of one call of `fn`, in milliseconds: calls are batched so that each
// batch runs for at least `minBatchMs`, and the median is taken over `batches` batches.
function medianMs(fn, { batches = 11, minBatchMs = 20 } = {}) {
  let start = performance.now();
  fn();
  const once = Math.max(performance.now() - start, 1e-3);
  const calls = smoke ? 1 : Math.max(1, Math.ceil(minBatchMs / once));

  const times = [];
  for (let b = 0; b < (smoke ? 1 : batches); b++) {
    start = performance.now();
    for (let i = 0; i < calls; i++) fn();
    times.push((performance.now() - start) / calls);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const result = { node: process.version };

// Core step: one sample through the whole machine, three caches.
const steps = smoke ? 2_000 : 1_000_000;
bench.__benchSetupCoreStep(steps);
const stepMs = medianMs(() => bench.__benchCoreStep());
result.core_step = { samples: steps, ns_per_sample: (stepMs * 1e6) / steps };

// Planning: 30% of the bytes of n caches, registered before the timing.
result.planning = {};
for (const n of smoke ? [1_000] : [1_000, 10_000, 100_000, 1_000_000]) {
  bench.__benchSetupPlanning(n);
  const ms = medianMs(() => bench.__benchPlanning(), { batches: n >= 1_000_000 ? 5 : 11 });
  result.planning[n] = { ms };
}
bench.__benchSetupPlanning(0);

// Replay: trace text to decision log through the package's API.
const replaySamples = smoke ? 2_000 : 200_000;
const text = bench.__benchTraceText(replaySamples);
const replayMs = medianMs(() => replay(text), { batches: 7 });
result.replay = {
  samples: replaySamples,
  ms: replayMs,
  samples_per_second: replaySamples / (replayMs / 1e3),
};

const json = JSON.stringify(result, null, 2);
if (outFile) writeFileSync(outFile, json + "\n");
console.log(json);
