//! The JavaScript API in headless Chromium, where `performance.memory` exists.
#![cfg(target_arch = "wasm32")]

mod common;

use js_sys::Reflect;
use mempressure_wasm::{JsPressureMonitor, capability};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

shared_tests!(
    levels_evictions_and_alerts,
    a_throwing_cache_is_reported_and_the_next_is_asked,
    invalid_configs_and_samples_throw_errors_naming_the_field,
    heap_usage_is_measured_against_the_limit,
    replay_gives_the_decision_log,
);

/// Chromium has `performance.memory`; its figures are bucketed (`coarse`) unless the page
/// is cross-origin isolated (the test runner's server sends the isolation headers).
#[wasm_bindgen_test]
fn chromium_heap_is_sampled_with_its_quality() {
    let isolated = Reflect::get(&js_sys::global(), &"crossOriginIsolated".into()).unwrap();
    let expected = if isolated.as_bool() == Some(true) {
        "precise"
    } else {
        "coarse"
    };
    assert_eq!(capability(), expected);
    let monitor = JsPressureMonitor::new(JsValue::UNDEFINED).unwrap();
    let events = monitor.sample_now().unwrap();
    let sample = events.get(0);
    let get = |key: &str| Reflect::get(&sample, &key.into()).unwrap();
    assert_eq!(get("quality").as_string().unwrap(), expected);
    let total = get("total").as_f64().unwrap();
    let available = get("available").as_f64().unwrap();
    assert!(total > 0.0 && available > 0.0 && available < total);
    assert_eq!(get("level").as_string().unwrap(), "normal");
}
