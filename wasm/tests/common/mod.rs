//! Tests shared by the Node and the browser runs of the wasm-bindgen tests.

use js_sys::{Array, Function, Reflect};
use mempressure_wasm::{
    JsPressureMonitor, heap_sample_from_performance_memory, heap_sample_from_v8, replay,
};
use wasm_bindgen::prelude::*;

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

fn object(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn message(error: JsValue) -> String {
    get(&error, "message").as_string().unwrap()
}

fn events_named(events: &Array, name: &str) -> Vec<JsValue> {
    events
        .iter()
        .filter(|e| get(e, "event").as_string().as_deref() == Some(name))
        .collect()
}

pub fn levels_evictions_and_alerts() {
    let monitor = JsPressureMonitor::new(JsValue::from_str("default")).unwrap();
    let evict = Function::new_with_args("bytes", "globalThis.__asked = bytes; return bytes;");
    let spec = object(r#"{"id":"frames","type":"frame_cache","bytes":104857600}"#);
    Reflect::set(&spec, &"evict".into(), &evict).unwrap();
    monitor.register_cache(spec).unwrap();

    let calm = monitor
        .observe(object(r#"{"t_ms":10,"total":1000,"available":900}"#))
        .unwrap();
    assert_eq!(calm.length(), 1, "only the sample event");

    let pressed = monitor
        .observe(object(r#"{"t_ms":20,"total":1000,"available":26}"#))
        .unwrap();
    let level = &events_named(&pressed, "level")[0];
    assert_eq!(get(level, "to").as_string().unwrap(), "emergency");
    let evicted = &events_named(&pressed, "evict")[0];
    assert_eq!(get(evicted, "freed_bytes").as_f64().unwrap(), 52428800.0);
    assert_eq!(
        get(&js_sys::global(), "__asked").as_f64().unwrap(),
        52428800.0
    );
    assert_eq!(events_named(&pressed, "alert").len(), 1);

    let status = monitor.status().unwrap();
    assert_eq!(get(&status, "level").as_string().unwrap(), "emergency");
    assert_eq!(get(&status, "cache_bytes").as_f64().unwrap(), 52428800.0);
}

pub fn a_throwing_cache_is_reported_and_the_next_is_asked() {
    let monitor = JsPressureMonitor::new(JsValue::UNDEFINED).unwrap();
    let boom = object(r#"{"id":"boom","type":"validation_cache","bytes":104857600}"#);
    Reflect::set(
        &boom,
        &"evict".into(),
        &Function::new_no_args("throw new Error('kaput')"),
    )
    .unwrap();
    let spare = object(r#"{"id":"spare","type":"frame_cache","bytes":104857600}"#);
    Reflect::set(
        &spare,
        &"evict".into(),
        &Function::new_with_args("b", "return b"),
    )
    .unwrap();
    monitor.register_cache(boom).unwrap();
    monitor.register_cache(spare).unwrap();

    let events = monitor
        .observe(object(r#"{"t_ms":1,"total":100,"available":1}"#))
        .unwrap();
    let evicted = &events_named(&events, "evict")[0];
    assert_eq!(get(evicted, "freed_bytes").as_f64().unwrap(), 104857600.0);
    let errors = events_named(&events, "error");
    assert!(message(errors[0].clone()).contains("kaput"));
}

pub fn invalid_configs_and_samples_throw_errors_naming_the_field() {
    let error = |config: &str| match JsPressureMonitor::new(object(config)) {
        Err(e) => message(JsValue::from(e)),
        Ok(_) => panic!("{config} was accepted"),
    };
    assert!(error(r#"{"thresholds":{"warning":0.9}}"#).contains("thresholds.warning = 0.9"));
    assert!(error(r#"{"thresholdz":{}}"#).contains("unknown field `thresholdz`"));
    assert!(
        error(r#"{"hysteresis":{"eviction_cooldown":"-5s"}}"#)
            .contains("hysteresis.eviction_cooldown")
    );

    let monitor = JsPressureMonitor::new(JsValue::UNDEFINED).unwrap();
    let refused = monitor
        .observe(object(r#"{"total":0,"available":0}"#))
        .unwrap_err();
    assert!(message(JsValue::from(refused)).contains("total is 0"));
    let refused = monitor
        .observe(object(r#"{"total":"lots","available":0}"#))
        .unwrap_err();
    assert!(message(JsValue::from(refused)).contains("total"));
}

/// Case 14: heap usage is used against the limit, never against the committed heap.
pub fn heap_usage_is_measured_against_the_limit() {
    let browser = object(
        r#"{"jsHeapSizeLimit":767557632,"totalJSHeapSize":58054528,"usedJSHeapSize":42930044}"#,
    );
    let sample = heap_sample_from_performance_memory(browser, false).unwrap();
    let total = get(&sample, "total").as_f64().unwrap();
    let available = get(&sample, "available").as_f64().unwrap();
    assert!(((total - available) / total - 0.0559).abs() < 0.0001);
    assert_eq!(get(&sample, "quality").as_string().unwrap(), "coarse");

    let mib = 1024.0 * 1024.0;
    for (used, limit, expected) in [
        (152.0, 2048.0, 0.0742),
        (197.0, 2048.0, 0.0962),
        (202.0, 2048.0, 0.0986),
    ] {
        let stats = object(&format!(
            r#"{{"used_heap_size":{},"total_heap_size":1,"heap_size_limit":{}}}"#,
            used * mib,
            limit * mib
        ));
        let sample = heap_sample_from_v8(stats).unwrap();
        let total = get(&sample, "total").as_f64().unwrap();
        let usage = (total - get(&sample, "available").as_f64().unwrap()) / total;
        assert!(
            (usage - expected).abs() < 0.0001,
            "{usage} is not {expected}"
        );
        assert_eq!(get(&sample, "quality").as_string().unwrap(), "precise");
    }

    let broken = heap_sample_from_v8(object(r#"{"used_heap_size":1}"#)).unwrap_err();
    assert!(message(JsValue::from(broken)).contains("heap_size_limit"));
}

pub fn replay_gives_the_decision_log() {
    let trace = "{\"format\":\"mempressure-trace\",\"version\":1}\n\
                 {\"t_ms\":0,\"total\":100,\"available\":50}\n\
                 {\"t_ms\":1000,\"total\":100,\"available\":20}\n";
    let log = replay(trace, JsValue::UNDEFINED).unwrap();
    assert_eq!(
        log,
        "{\"t_ms\":1000,\"event\":\"level\",\"from\":\"normal\",\"to\":\"critical\",\
         \"usage\":0.8,\"reason\":\"threshold\"}\n\
         {\"t_ms\":1000,\"event\":\"alert\",\"level\":\"critical\",\"usage\":0.8,\
         \"total_bytes\":100,\
         \"available_bytes\":20,\"process_bytes\":null,\"evicted_bytes\":0}\n"
    );
    let broken = replay(
        "{\"format\":\"mempressure-trace\",\"version\":1}\n{\"t_ms\":0}\n",
        JsValue::UNDEFINED,
    );
    assert!(message(JsValue::from(broken.unwrap_err())).contains("line 2: missing field `total`"));
}

/// The tests shared by both runs, each a `#[wasm_bindgen_test]` in the file that uses this.
#[macro_export]
macro_rules! shared_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            fn $name() {
                common::$name();
            }
        )*
    };
}
