// Node entry point: loads the wasm from disk and samples V8's heap statistics.
import { readFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import { initSync, setHeapStatisticsSource } from "./mempressure_wasm.js";

initSync({ module: readFileSync(new URL("./mempressure_wasm_bg.wasm", import.meta.url)) });
setHeapStatisticsSource(getHeapStatistics);

export {
  PressureMonitor,
  replay,
  capability,
  heapSampleFromPerformanceMemory,
  heapSampleFromV8,
} from "./mempressure_wasm.js";
export { registerLruCache } from "./lru.js";
