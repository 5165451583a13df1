//! Reading the JavaScript heap: `performance.memory` in Chromium, V8's heap statistics in
//! Node.
//!
//! Usage is the heap in use against the heap's *limit* (`usedJSHeapSize / jsHeapSizeLimit`,
//! `used_heap_size / heap_size_limit`), never against the committed heap
//! (`totalJSHeapSize`, Node's `heapTotal`), which sits just above what is in use and would
//! read 90 % and more all the time (case 14 of the project's bug-report cases).
//!
//! Chromium rounds `performance.memory` into buckets and refreshes it rarely unless the
//! page is cross-origin isolated: such samples are marked `coarse`. Firefox and Safari have
//! no such API: the capability is `unsupported`, and nothing is made up in its place.

use std::cell::RefCell;

use js_sys::{Function, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::convert::{to_js, whole_number};

/// How exact a heap sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    /// Exact figures (Node, or a cross-origin isolated page).
    Precise,
    /// Bucketed, rarely refreshed figures (Chromium without cross-origin isolation).
    Coarse,
}

/// A heap reading, ready to `observe`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeapSample {
    /// The heap's limit, in bytes.
    pub total: u64,
    /// The limit minus the heap in use, in bytes.
    pub available: u64,
    /// How exact the figures are.
    pub quality: Quality,
    /// `performance.memory` or `v8`.
    pub source: &'static str,
}

thread_local! {
    static V8_STATISTICS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Sets the function that returns V8's heap statistics (`v8.getHeapStatistics`); the Node
/// entry point of the package calls it. Not for pages.
#[wasm_bindgen(js_name = setHeapStatisticsSource)]
pub fn set_heap_statistics_source(source: Function) {
    V8_STATISTICS.with(|slot| *slot.borrow_mut() = Some(source));
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn performance_memory() -> Option<JsValue> {
    let performance = get(&js_sys::global(), "performance");
    let memory = get(&performance, "memory");
    memory.is_object().then_some(memory)
}

fn cross_origin_isolated() -> bool {
    get(&js_sys::global(), "crossOriginIsolated").as_bool() == Some(true)
}

/// What `sampleNow()` can read here: `"precise"`, `"coarse"` or `"unsupported"`.
///
/// ```js
/// if (capability() === "unsupported") showNotice("this browser does not report its heap");
/// ```
#[wasm_bindgen(js_name = capability, unchecked_return_type = "Capability")]
pub fn capability() -> String {
    let has_v8 = V8_STATISTICS.with(|slot| slot.borrow().is_some());
    let capability = if performance_memory().is_some() {
        if cross_origin_isolated() {
            "precise"
        } else {
            "coarse"
        }
    } else if has_v8 {
        "precise"
    } else {
        "unsupported"
    };
    capability.to_string()
}

fn heap_sample(used: u64, limit: u64, names: (&str, &str)) -> Result<(u64, u64), JsError> {
    if limit == 0 {
        return Err(JsError::new(&format!(
            "{} is 0: no heap limit to measure against",
            names.1
        )));
    }
    if used > limit {
        return Err(JsError::new(&format!(
            "{} ({used}) is above {} ({limit})",
            names.0, names.1
        )));
    }
    Ok((limit, limit - used))
}

/// A sample from a `performance.memory`-like object: `usedJSHeapSize` against
/// `jsHeapSizeLimit`, `coarse` unless `crossOriginIsolated`.
///
/// ```js
/// const s = heapSampleFromPerformanceMemory(performance.memory, self.crossOriginIsolated);
/// monitor.observe(s);
/// ```
///
/// # Errors
/// Throws when a field is missing or not a whole number, or the heap in use is above the
/// limit.
#[wasm_bindgen(js_name = heapSampleFromPerformanceMemory, unchecked_return_type = "HeapSample")]
pub fn heap_sample_from_performance_memory(
    #[wasm_bindgen(unchecked_param_type = "PerformanceMemoryLike")] memory: JsValue,
    cross_origin_isolated: bool,
) -> Result<JsValue, JsError> {
    let used = whole_number(&get(&memory, "usedJSHeapSize"), "usedJSHeapSize")?;
    let limit = whole_number(&get(&memory, "jsHeapSizeLimit"), "jsHeapSizeLimit")?;
    let (total, available) = heap_sample(used, limit, ("usedJSHeapSize", "jsHeapSizeLimit"))?;
    let quality = if cross_origin_isolated {
        Quality::Precise
    } else {
        Quality::Coarse
    };
    to_js(&HeapSample {
        total,
        available,
        quality,
        source: "performance.memory",
    })
}

/// A sample from V8's heap statistics (`v8.getHeapStatistics()` in Node):
/// `used_heap_size` against `heap_size_limit`, `precise`.
///
/// # Errors
/// As [`heap_sample_from_performance_memory`].
#[wasm_bindgen(js_name = heapSampleFromV8, unchecked_return_type = "HeapSample")]
pub fn heap_sample_from_v8(
    #[wasm_bindgen(unchecked_param_type = "V8HeapStatisticsLike")] statistics: JsValue,
) -> Result<JsValue, JsError> {
    let used = whole_number(&get(&statistics, "used_heap_size"), "used_heap_size")?;
    let limit = whole_number(&get(&statistics, "heap_size_limit"), "heap_size_limit")?;
    let (total, available) = heap_sample(used, limit, ("used_heap_size", "heap_size_limit"))?;
    to_js(&HeapSample {
        total,
        available,
        quality: Quality::Precise,
        source: "v8",
    })
}

/// Reads the heap here, as a JS `HeapSample` object.
pub(crate) fn read_heap() -> Result<JsValue, JsError> {
    if let Some(memory) = performance_memory() {
        return heap_sample_from_performance_memory(memory, cross_origin_isolated());
    }
    let source = V8_STATISTICS.with(|slot| slot.borrow().clone());
    if let Some(source) = source {
        let statistics = source
            .call0(&JsValue::UNDEFINED)
            .map_err(|e| JsError::new(&format!("v8.getHeapStatistics() threw: {e:?}")))?;
        return heap_sample_from_v8(statistics);
    }
    Err(JsError::new(
        "unsupported: this runtime reports no JavaScript heap figures (no performance.memory, \
         as in Firefox and Safari); supply samples with observe() instead",
    ))
}
