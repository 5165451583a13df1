// Browser entry point: loads the wasm next to this file, then exports the API.
import init from "./mempressure_wasm.js";

await init({ module_or_path: new URL("./mempressure_wasm_bg.wasm", import.meta.url) });

export {
  PressureMonitor,
  replay,
  capability,
  heapSampleFromPerformanceMemory,
  heapSampleFromV8,
} from "./mempressure_wasm.js";
export { registerLruCache } from "./lru.js";
