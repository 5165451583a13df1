//! TypeScript definitions of the objects the JavaScript API takes and returns.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A pressure level. */
export type LevelName = "normal" | "warning" | "critical" | "emergency";
/** A named profile. */
export type ProfileName = "default" | "development" | "production" | "low_memory";
/** What sampleNow() can read here. */
export type Capability = "precise" | "coarse" | "unsupported";
/** How exact a heap sample is. */
export type Quality = "precise" | "coarse";
/** A duration with its unit: "500ms", "5s", "2m". */
export type DurationInput = string;

/** Per-level numbers (thresholds or eviction target fractions). */
export interface Levels { warning: number; critical: number; emergency: number; }

/** A config object: a base profile and overrides, with the config file's keys. */
export interface ConfigInput {
  profile?: ProfileName;
  sample_interval?: DurationInput;
  auto_eviction?: boolean;
  thresholds?: Partial<Levels>;
  eviction_targets?: Partial<Levels>;
  hysteresis?: { enable_delta?: number; exit_band?: number; eviction_cooldown?: DurationInput };
  alerts?: { levels?: LevelName[]; cooldown?: DurationInput };
  scoring?: {
    weights?: { age?: number; size?: number; access?: number; type?: number };
    type_priorities?: Record<string, number>;
    default_type_priority?: number;
  };
  sampling?: { elevated_interval?: DurationInput };
  trend?: { enabled?: boolean; horizon?: DurationInput; smoothing?: DurationInput };
  psi?: Partial<Levels>;
  relief?: { enabled?: boolean; window?: DurationInput };
}

/** The whole config in use (durations as text). */
export interface Config {
  profile: ProfileName;
  sample_interval: string;
  auto_eviction: boolean;
  thresholds: Levels;
  eviction_targets: Levels;
  hysteresis: { enable_delta: number; exit_band: number; eviction_cooldown: string };
  alerts: { levels: LevelName[]; cooldown: string };
  scoring: {
    weights: { age: number; size: number; access: number; type: number };
    type_priorities: Record<string, number>;
    default_type_priority: number;
  };
  sampling: { elevated_interval: string };
  trend: { enabled: boolean; horizon: string; smoothing: string };
  psi: Partial<Levels>;
  relief: { enabled: boolean; window: string };
}

/** A sample the page measured: bytes, and the time (defaults to monitor.now()). */
export interface SampleInput {
  t_ms?: number;
  total: number;
  available: number;
  process?: number;
  psi_some_avg10?: number;
  psi_full_avg10?: number;
  throttled?: boolean;
  quality?: Quality;
  source?: string;
}

/** A heap reading, ready to observe(). */
export interface HeapSample {
  total: number; available: number; quality: Quality; source: "performance.memory" | "v8";
}
/** The fields of performance.memory that are read. */
export interface PerformanceMemoryLike {
  usedJSHeapSize: number; jsHeapSizeLimit: number; totalJSHeapSize?: number;
}
/** The fields of v8.getHeapStatistics() that are read. */
export interface V8HeapStatisticsLike { used_heap_size: number; heap_size_limit: number; }

/** A cache to register. `bytes` may be a function, asked before each check. */
export interface CacheSpec {
  id: string;
  type: string;
  bytes: number | (() => number);
  /** Frees up to `bytes` bytes, least valuable first, and returns how many it freed. */
  evict: (bytes: number) => number;
  accessCount?: number;
}

export interface SampleEvent {
  event: "sample"; t_ms: number; level: LevelName; usage: number; quality: Quality | null;
  total: number; available: number; process?: number;
}
/** What set a new level. */
export type LevelReason = "threshold" | "trend" | "psi";
export interface LevelEvent {
  event: "level"; t_ms: number; from: LevelName; to: LevelName; usage: number; reason: LevelReason;
}
/** Whether an eviction's freed bytes showed up as lower usage (config `relief`). */
export interface ReliefEvent {
  event: "relief"; t_ms: number; eviction_t_ms: number; relieved: boolean;
  freed_bytes: number; usage_drop_bytes: number;
}
export interface EvictionResult {
  cache: string; bytes: number; freed_bytes: number; error?: string;
}
export interface EvictEvent {
  event: "evict"; plan_id: number; t_ms: number; level: LevelName; usage: number;
  target_bytes: number; requests: EvictionResult[]; freed_bytes: number; dry_run: boolean;
}
export interface AlertEvent {
  event: "alert"; t_ms: number; level: LevelName; usage: number; total_bytes: number;
  available_bytes: number; process_bytes: number | null; evicted_bytes: number;
}
export interface ErrorEvent { event: "error"; t_ms: number; message: string; }
export type MonitorEvent =
  SampleEvent | LevelEvent | EvictEvent | AlertEvent | ReliefEvent | ErrorEvent;
export type MonitorEventName = MonitorEvent["event"];

export interface TypeBreakdown { bytes: number; count: number; average_bytes: number; }
export interface Status {
  level: LevelName;
  usage: number | null;
  sample: { t_ms: number; total: number; available: number; process?: number } | null;
  cache_bytes: number;
  cache_count: number;
  caches_by_type: Record<string, TypeBreakdown>;
  last_eviction_ms: number | null;
  pending_plan: number | null;
  seconds_to_exhaustion: number | null;
  usage_slope_per_s: number | null;
  unrelieved_evictions: number;
  unrelieved_bytes_by_cache: Record<string, number>;
  quality: Quality | null;
  capability: Capability;
  profile: ProfileName;
  recent_events: MonitorEvent[];
}
"#;
