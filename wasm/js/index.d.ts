export {
  PressureMonitor,
  replay,
  capability,
  heapSampleFromPerformanceMemory,
  heapSampleFromV8,
} from "./mempressure_wasm.js";
export type {
  AlertEvent,
  CacheSpec,
  Capability,
  Config,
  ConfigInput,
  DurationInput,
  ErrorEvent,
  EvictEvent,
  EvictionResult,
  HeapSample,
  LevelEvent,
  LevelName,
  Levels,
  MonitorEvent,
  MonitorEventName,
  PerformanceMemoryLike,
  ProfileName,
  Quality,
  SampleEvent,
  SampleInput,
  Status,
  TypeBreakdown,
  V8HeapStatisticsLike,
} from "./mempressure_wasm.js";

import type { PressureMonitor } from "./mempressure_wasm.js";

/** The parts of an `lru-cache` instance the adapter uses. */
export interface LruCacheLike {
  readonly calculatedSize: number;
  readonly size: number;
  get(key: unknown, options?: unknown): unknown;
  pop(): unknown;
}

/**
 * Registers an `lru-cache` with a monitor: bytes from its size accounting, eviction of its
 * least recently used entries, an access per successful `get`. Returns a function that
 * removes it again.
 */
export function registerLruCache(
  monitor: PressureMonitor,
  lru: LruCacheLike,
  options: { id: string; type?: string },
): () => void;
