//! The JavaScript API under Node (wasm-bindgen-test's default runtime).
#![cfg(target_arch = "wasm32")]

mod common;

use mempressure_wasm::{JsPressureMonitor, capability};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

shared_tests!(
    levels_evictions_and_alerts,
    a_throwing_cache_is_reported_and_the_next_is_asked,
    invalid_configs_and_samples_throw_errors_naming_the_field,
    heap_usage_is_measured_against_the_limit,
    replay_gives_the_decision_log,
);

/// Without the package's Node entry point (which hands over `v8.getHeapStatistics`) and
/// without `performance.memory`, sampling says `unsupported` instead of inventing figures.
#[wasm_bindgen_test]
fn sampling_without_a_heap_source_is_unsupported() {
    assert_eq!(capability(), "unsupported");
    let monitor = JsPressureMonitor::new(JsValue::UNDEFINED).unwrap();
    let error = JsValue::from(monitor.sample_now().unwrap_err());
    let message = js_sys::Reflect::get(&error, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(message.starts_with("unsupported:"), "{message}");
}
