//! The JavaScript API of `mempressure`: the pressure core in browsers and Node through
//! wasm-bindgen, published as the npm package `mempressure`.
//!
//! This crate converts values and forwards calls; every decision is `mempressure-core`'s,
//! so a page and a native program give the same levels, plans and alerts for the same
//! samples. Data objects keep the core's snake_case field names (the same as the trace
//! format and `mempressure status --json`); methods are camelCase.
//!
//! ```js
//! import { PressureMonitor } from "mempressure";
//!
//! const monitor = new PressureMonitor("default");
//! monitor.registerCache({ id: "tiles", type: "frame_cache", bytes: 64 << 20,
//!                         evict: (bytes) => dropTiles(bytes) });
//! monitor.on("level", (e) => console.log(`${e.from} -> ${e.to}`));
//! monitor.observe({ total: 1 << 30, available: 100 << 20 });
//! ```

#![forbid(unsafe_code)]

#[cfg(feature = "_bench")]
mod bench;
mod convert;
mod heap;
mod monitor;
mod types;

use wasm_bindgen::prelude::*;

pub use heap::{capability, heap_sample_from_performance_memory, heap_sample_from_v8};
pub use monitor::JsPressureMonitor;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// Logs Rust panics to the console, so a broken invariant is seen rather than a bare
/// "unreachable" trap.
#[wasm_bindgen(start)]
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error(&format!("mempressure: {info}"))
    }));
}

/// Replays a trace's text (the trace format v1) with a config (a profile name, a config
/// object, or nothing for the default) and returns the decision log: JSON Lines, the same
/// bytes as `mempressure replay --json`.
///
/// ```js
/// const log = replay(traceText, "production");
/// for (const line of log.trim().split("\n")) console.log(JSON.parse(line));
/// ```
///
/// # Errors
/// Throws an `Error` naming the trace line, or the config field and value, at fault.
#[wasm_bindgen(js_name = replay)]
pub fn replay(
    trace_text: &str,
    #[wasm_bindgen(unchecked_param_type = "ProfileName | ConfigInput | undefined")] config: JsValue,
) -> Result<String, JsError> {
    let config = convert::config_from_js(config)?;
    mempressure_core::replay_to_log(trace_text, &config).map_err(|e| JsError::new(&e.to_string()))
}
