//! The JavaScript API under Node (wasm-bindgen-test's default runtime).
#![cfg(target_arch = "wasm32")]

mod common;

use mempressure_wasm::{JsPressureMonitor, capability};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn levels_evictions_and_alerts() {
    common::levels_evictions_and_alerts();
}

#[wasm_bindgen_test]
fn a_throwing_cache_is_reported_and_the_next_is_asked() {
    common::a_throwing_cache_is_reported_and_the_next_is_asked();
}

#[wasm_bindgen_test]
fn invalid_configs_and_samples_throw_errors_naming_the_field() {
    common::invalid_configs_and_samples_throw_errors_naming_the_field();
}

#[wasm_bindgen_test]
fn heap_usage_is_measured_against_the_limit() {
    common::heap_usage_is_measured_against_the_limit();
}

#[wasm_bindgen_test]
fn replay_gives_the_decision_log() {
    common::replay_gives_the_decision_log();
}

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
