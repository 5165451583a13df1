//! The `PressureMonitor` class: the core's monitor with JavaScript caches, listeners and a
//! timer.
//!
//! JavaScript callbacks (a cache's `evict` and `bytes`, listeners) are always called with no
//! borrow of the monitor held, so they may call back into it; an exception in one is
//! caught and reported as an `error` event, and the others still run.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Reflect};
use mempressure_core::{
    CacheEntry, EvictionOutcome, EvictionPlan, EvictionReport, PressureMonitor, Sample, SmolStr,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::convert::{config_from_js, from_js, to_js, whole_number};
use crate::heap::{Quality, capability, read_heap};

/// How many recent events `status()` keeps.
const RECENT_EVENTS: usize = 50;

/// A sample as a page hands it to `observe`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleInput {
    t_ms: Option<u64>,
    total: u64,
    available: u64,
    process: Option<u64>,
    psi_some_avg10: Option<f64>,
    psi_full_avg10: Option<f64>,
    #[serde(default)]
    throttled: bool,
    quality: Option<Quality>,
    /// Where the page got the figures; informational.
    #[allow(dead_code)]
    source: Option<String>,
}

struct JsCache {
    evict: Function,
    bytes: Option<Function>,
}

struct Timer {
    id: JsValue,
    _tick: Closure<dyn FnMut()>,
}

struct Inner {
    core: PressureMonitor,
    caches: BTreeMap<String, JsCache>,
    listeners: Vec<(String, Function)>,
    recent: VecDeque<JsValue>,
    origin_ms: f64,
    /// The latest time handed to the core: `now_ms` never goes below it, so cache changes
    /// after a sample with its own `t_ms` (a recording's time) never go back in time.
    latest_ms: u64,
    last_quality: Option<Quality>,
    timer: Option<Timer>,
}

/// Memory-pressure monitor for a page or a Node process.
///
/// ```js
/// const monitor = new PressureMonitor({ profile: "low_memory", thresholds: { warning: 0.6 } });
/// monitor.on("evict", (e) => console.log(`asked ${e.target_bytes}, freed ${e.freed_bytes}`));
/// monitor.start(1000); // sampleNow() every second
/// ```
#[wasm_bindgen(js_name = PressureMonitor)]
pub struct JsPressureMonitor {
    inner: Rc<RefCell<Inner>>,
}

fn global_function(name: &str) -> Result<Function, JsError> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| JsError::new(&format!("{name} is not available in this runtime")))
}

fn performance_now() -> f64 {
    let performance = Reflect::get(&js_sys::global(), &JsValue::from_str("performance"));
    let now = performance.ok().and_then(|p| {
        let now = Reflect::get(&p, &JsValue::from_str("now"))
            .ok()?
            .dyn_into::<Function>()
            .ok()?;
        now.call0(&p).ok()?.as_f64()
    });
    now.unwrap_or_else(js_sys::Date::now)
}

fn describe_exception(error: &JsValue) -> String {
    let message = Reflect::get(error, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string());
    message
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

fn error_event(t_ms: u64, message: String) -> JsValue {
    #[derive(Serialize)]
    struct ErrorEvent {
        t_ms: u64,
        event: &'static str,
        message: String,
    }
    to_js(&ErrorEvent {
        t_ms,
        event: "error",
        message,
    })
    .unwrap_or(JsValue::NULL)
}

fn event_name(event: &JsValue) -> String {
    Reflect::get(event, &JsValue::from_str("event"))
        .ok()
        .and_then(|e| e.as_string())
        .unwrap_or_default()
}

impl Inner {
    fn now_ms(&self) -> u64 {
        let clock = (performance_now() - self.origin_ms).max(0.0) as u64;
        clock.max(self.latest_ms)
    }
}

#[wasm_bindgen(js_class = PressureMonitor)]
impl JsPressureMonitor {
    /// A monitor from a profile name (`"default"`, `"development"`, `"production"`,
    /// `"low_memory"`), a config object with the config file's keys, or nothing.
    ///
    /// # Errors
    /// Throws an `Error` naming the field and value of an invalid config.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ProfileName | ConfigInput | undefined")]
        config: JsValue,
    ) -> Result<JsPressureMonitor, JsError> {
        let config = config_from_js(config)?;
        let core = PressureMonitor::new(config).map_err(|e| JsError::new(&e.to_string()))?;
        let inner = Inner {
            core,
            caches: BTreeMap::new(),
            listeners: Vec::new(),
            recent: VecDeque::new(),
            origin_ms: performance_now(),
            latest_ms: 0,
            last_quality: None,
            timer: None,
        };
        Ok(JsPressureMonitor {
            inner: Rc::new(RefCell::new(inner)),
        })
    }

    /// Milliseconds since the monitor was made: the time samples are stamped with.
    pub fn now(&self) -> f64 {
        self.inner.borrow().now_ms() as f64
    }

    /// The config in use, with every field.
    #[wasm_bindgen(unchecked_return_type = "Config")]
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(self.inner.borrow().core.config())
    }

    /// Feeds a sample the page measured itself (`{total, available}` in bytes, optional
    /// `t_ms`, defaulting to [`now`](Self::now)) and returns the events it caused.
    ///
    /// # Errors
    /// Throws for an impossible sample (total 0, available above total), a time before an
    /// earlier input's, or a field of the wrong type.
    #[wasm_bindgen(unchecked_return_type = "MonitorEvent[]")]
    pub fn observe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SampleInput")] sample: JsValue,
    ) -> Result<Array, JsError> {
        let input: SampleInput = from_js(sample, "sample")?;
        let t_ms = input.t_ms.unwrap_or_else(|| self.inner.borrow().now_ms());
        let sample = Sample {
            t_ms,
            total_bytes: input.total,
            available_bytes: input.available,
            process_bytes: input.process,
            psi_some_avg10: input.psi_some_avg10,
            psi_full_avg10: input.psi_full_avg10,
            throttled: input.throttled,
        };
        self.inner.borrow_mut().last_quality = input.quality;
        check(&self.inner, sample)
    }

    /// Reads the JavaScript heap (`performance.memory`, or V8's statistics in Node), feeds it
    /// like [`observe`](Self::observe), and returns the events it caused.
    ///
    /// # Errors
    /// Throws an `Error` starting with `unsupported:` where the runtime reports no heap
    /// figures (check [`crate::capability`] first); never a made-up sample.
    #[wasm_bindgen(js_name = sampleNow, unchecked_return_type = "MonitorEvent[]")]
    pub fn sample_now(&self) -> Result<Array, JsError> {
        let heap = read_heap()?;
        self.observe(heap)
    }

    /// Calls [`sampleNow`](Self::sample_now) every `interval_ms` (default: the config's
    /// sample interval), and once right away. A failed sample is reported as an `error`
    /// event. In Node the timer keeps the process alive until [`stop`](Self::stop).
    ///
    /// # Errors
    /// Throws when the runtime has no heap figures (`unsupported`) or no `setInterval`.
    pub fn start(&self, interval_ms: Option<f64>) -> Result<(), JsError> {
        self.stop();
        read_heap()?;
        let interval =
            interval_ms.unwrap_or(self.inner.borrow().core.config().sample_interval_ms as f64);
        if !(interval.is_finite() && interval > 0.0) {
            return Err(JsError::new(&format!(
                "interval_ms must be above 0, got {interval}"
            )));
        }

        let weak: Weak<RefCell<Inner>> = Rc::downgrade(&self.inner);
        let tick = Closure::<dyn FnMut()>::new(move || {
            let Some(inner) = weak.upgrade() else { return };
            let monitor = JsPressureMonitor { inner };
            if let Err(error) = monitor.sample_now() {
                let message = describe_exception(&JsValue::from(error));
                let t_ms = monitor.inner.borrow().now_ms();
                dispatch(&monitor.inner, &[error_event(t_ms, message)]);
            }
        });
        let set_interval = global_function("setInterval")?;
        let id = set_interval
            .call2(
                &JsValue::UNDEFINED,
                tick.as_ref(),
                &JsValue::from_f64(interval),
            )
            .map_err(|e| {
                JsError::new(&format!("setInterval failed: {}", describe_exception(&e)))
            })?;
        self.inner.borrow_mut().timer = Some(Timer { id, _tick: tick });

        self.sample_now().map(drop)
    }

    /// Stops periodic sampling.
    pub fn stop(&self) {
        let timer = self.inner.borrow_mut().timer.take();
        if let (Some(timer), Ok(clear)) = (timer, global_function("clearInterval")) {
            let _ = clear.call1(&JsValue::UNDEFINED, &timer.id);
        }
    }

    /// Registers a cache: `{id, type, bytes, evict}` where `bytes` is a number or a function
    /// returning the cache's bytes (asked before each check), and `evict(bytes)` frees up to
    /// that many bytes and returns how many it freed. Replaces a cache with the same id.
    ///
    /// # Errors
    /// Throws when `id` or `type` is not a string, `bytes` is neither a whole number nor a
    /// function, or `evict` is not a function.
    #[wasm_bindgen(js_name = registerCache)]
    pub fn register_cache(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CacheSpec")] spec: JsValue,
    ) -> Result<(), JsError> {
        let field = |name: &str| {
            Reflect::get(&spec, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
        };
        let id = field("id")
            .as_string()
            .ok_or_else(|| JsError::new("cache.id must be a string"))?;
        let cache_type = field("type")
            .as_string()
            .ok_or_else(|| JsError::new(&format!("cache {id:?}: type must be a string")))?;
        let evict = field("evict")
            .dyn_into::<Function>()
            .map_err(|_| JsError::new(&format!("cache {id:?}: evict must be a function")))?;
        let bytes_field = field("bytes");
        let (bytes, bytes_fn) = match bytes_field.dyn_ref::<Function>() {
            Some(f) => (call_bytes(&id, f)?, Some(f.clone())),
            None => (
                whole_number(&bytes_field, &format!("cache {id:?}: bytes"))?,
                None,
            ),
        };

        let mut inner = self.inner.borrow_mut();
        let t_ms = inner.now_ms();
        let mut entry = CacheEntry::new(&id, &cache_type, bytes, t_ms);
        let access_count = field("accessCount");
        if !access_count.is_undefined() {
            entry.access_count =
                whole_number(&access_count, &format!("cache {id:?}: accessCount"))?;
        }
        inner
            .core
            .register_cache(t_ms, entry)
            .map_err(|e| JsError::new(&e.to_string()))?;
        inner.caches.insert(
            id,
            JsCache {
                evict,
                bytes: bytes_fn,
            },
        );
        Ok(())
    }

    /// Sets a cache's bytes; returns false when no cache has that id.
    ///
    /// # Errors
    /// Throws when `bytes` is not a whole number.
    #[wasm_bindgen(js_name = updateCache)]
    pub fn update_cache(&self, id: &str, bytes: JsValue) -> Result<bool, JsError> {
        let bytes = whole_number(&bytes, &format!("cache {id:?}: bytes"))?;
        let mut inner = self.inner.borrow_mut();
        let t_ms = inner.now_ms();
        inner
            .core
            .set_cache_bytes(t_ms, id, bytes)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Counts one access to a cache, for its priority score; false when no cache has that id.
    pub fn touch(&self, id: &str) -> Result<bool, JsError> {
        let mut inner = self.inner.borrow_mut();
        let t_ms = inner.now_ms();
        inner
            .core
            .touch_cache(t_ms, id)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Removes a cache; false when no cache had that id.
    #[wasm_bindgen(js_name = removeCache)]
    pub fn remove_cache(&self, id: &str) -> Result<bool, JsError> {
        let mut inner = self.inner.borrow_mut();
        let t_ms = inner.now_ms();
        inner.caches.remove(id);
        let removed = inner
            .core
            .remove_cache(t_ms, id)
            .map_err(|e| JsError::new(&e.to_string()))?;
        Ok(removed.is_some())
    }

    /// Calls `listener(event)` for every event named `name`: `"level"`, `"evict"`,
    /// `"alert"`, `"sample"`, `"error"`, or `"*"` for all.
    ///
    /// # Errors
    /// Throws for an unknown event name.
    pub fn on(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MonitorEventName | \"*\"")] name: &str,
        #[wasm_bindgen(unchecked_param_type = "(event: MonitorEvent) => void")] listener: Function,
    ) -> Result<(), JsError> {
        const NAMES: [&str; 7] = ["level", "evict", "alert", "relief", "sample", "error", "*"];
        if !NAMES.contains(&name) {
            return Err(JsError::new(&format!(
                "unknown event {name:?}: expected level, evict, alert, relief, sample, error or *"
            )));
        }
        self.inner
            .borrow_mut()
            .listeners
            .push((name.to_string(), listener));
        Ok(())
    }

    /// The same as [`on`](Self::on), for code written against `EventTarget`.
    #[wasm_bindgen(js_name = addEventListener)]
    pub fn add_event_listener(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MonitorEventName | \"*\"")] name: &str,
        #[wasm_bindgen(unchecked_param_type = "(event: MonitorEvent) => void")] listener: Function,
    ) -> Result<(), JsError> {
        self.on(name, listener)
    }

    /// Removes a listener added with [`on`](Self::on); false when it was not there.
    pub fn off(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MonitorEventName | \"*\"")] name: &str,
        #[wasm_bindgen(unchecked_param_type = "(event: MonitorEvent) => void")] listener: Function,
    ) -> bool {
        let mut inner = self.inner.borrow_mut();
        let before = inner.listeners.len();
        inner
            .listeners
            .retain(|(n, f)| !(n == name && f == &listener));
        inner.listeners.len() != before
    }

    /// The level, last sample, caches by type and the most recent events.
    #[wasm_bindgen(unchecked_return_type = "Status")]
    pub fn status(&self) -> Result<JsValue, JsError> {
        #[derive(Serialize)]
        struct StatusOut {
            #[serde(flatten)]
            core: mempressure_core::Status,
            quality: Option<Quality>,
            capability: String,
            profile: mempressure_core::Profile,
        }

        let inner = self.inner.borrow();
        let status = to_js(&StatusOut {
            core: inner.core.status(),
            quality: inner.last_quality,
            capability: capability(),
            profile: inner.core.config().profile,
        })?;
        let recent: Array = inner.recent.iter().cloned().collect();
        Reflect::set(&status, &JsValue::from_str("recent_events"), &recent)
            .map_err(|_| JsError::new("cannot build the status object"))?;
        Ok(status)
    }
}

fn call_bytes(id: &str, bytes: &Function) -> Result<u64, JsError> {
    let value = bytes.call0(&JsValue::UNDEFINED).map_err(|e| {
        JsError::new(&format!(
            "cache {id:?}: bytes() threw: {}",
            describe_exception(&e)
        ))
    })?;
    whole_number(&value, &format!("cache {id:?}: bytes()"))
}

/// One check: refresh cache sizes, feed the sample, run eviction plans, dispatch events.
fn check(inner: &Rc<RefCell<Inner>>, sample: Sample) -> Result<Array, JsError> {
    let mut errors = Vec::new();

    // Ask caches with a bytes() function their size, with no borrow held.
    let sizers: Vec<(String, Function)> = inner
        .borrow()
        .caches
        .iter()
        .filter_map(|(id, c)| c.bytes.clone().map(|f| (id.clone(), f)))
        .collect();
    let mut sizes = Vec::new();
    for (id, sizer) in sizers {
        match call_bytes(&id, &sizer) {
            Ok(bytes) => sizes.push((id, bytes)),
            Err(e) => errors.push(describe_exception(&JsValue::from(e))),
        }
    }

    let (mut events, mut plan) = {
        let mut state = inner.borrow_mut();
        for (id, bytes) in sizes {
            state
                .core
                .set_cache_bytes(sample.t_ms, &id, bytes)
                .map_err(|e| JsError::new(&e.to_string()))?;
        }
        state
            .core
            .handle_sample(sample)
            .map_err(|e| JsError::new(&e.to_string()))?;
        state.latest_ms = state.latest_ms.max(sample.t_ms);
        state.core.drain_events()
    };

    while let Some(current) = plan.take() {
        let outcomes = run_plan(inner, &current, &mut errors);
        let mut state = inner.borrow_mut();
        let report = EvictionReport {
            plan_id: current.id,
            outcomes,
        };
        state
            .core
            .handle_eviction_report(report)
            .map_err(|e| JsError::new(&e.to_string()))?;
        let (more, next) = state.core.drain_events();
        events.extend(more);
        plan = next;
    }

    let mut out = Vec::new();
    out.push(sample_event(inner, &sample)?);
    for event in &events {
        out.push(to_js(event)?);
    }
    for message in errors {
        out.push(error_event(sample.t_ms, message));
    }

    {
        let mut state = inner.borrow_mut();
        for event in out.iter().skip(1) {
            state.recent.push_back(event.clone());
            if state.recent.len() > RECENT_EVENTS {
                state.recent.pop_front();
            }
        }
    }
    dispatch(inner, &out);
    Ok(out.into_iter().collect())
}

fn sample_event(inner: &Rc<RefCell<Inner>>, sample: &Sample) -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct SampleEvent<'a> {
        t_ms: u64,
        event: &'static str,
        level: mempressure_core::PressureLevel,
        usage: f64,
        quality: Option<Quality>,
        #[serde(flatten)]
        sample: &'a Sample,
    }

    let state = inner.borrow();
    to_js(&SampleEvent {
        t_ms: sample.t_ms,
        event: "sample",
        level: state.core.level(),
        usage: sample.usage(),
        quality: state.last_quality,
        sample,
    })
}

/// Calls each planned cache's `evict`, with no borrow held; exceptions become outcomes.
fn run_plan(
    inner: &Rc<RefCell<Inner>>,
    plan: &EvictionPlan,
    errors: &mut Vec<String>,
) -> Vec<EvictionOutcome> {
    let callbacks: Vec<(SmolStr, u64, Option<Function>)> = {
        let state = inner.borrow();
        plan.requests
            .iter()
            .map(|r| {
                (
                    r.cache.clone(),
                    r.bytes,
                    state.caches.get(r.cache.as_str()).map(|c| c.evict.clone()),
                )
            })
            .collect()
    };

    callbacks
        .into_iter()
        .map(|(cache, bytes, evict)| {
            let result = match evict {
                None => Err("the cache was removed before it could be asked".to_string()),
                Some(evict) => evict
                    .call1(&JsValue::UNDEFINED, &JsValue::from_f64(bytes as f64))
                    .map_err(|e| format!("evict threw: {}", describe_exception(&e)))
                    .and_then(|freed| {
                        whole_number(&freed, "evict's result")
                            .map_err(|e| describe_exception(&JsValue::from(e)))
                    }),
            };
            match result {
                Ok(freed_bytes) => EvictionOutcome {
                    cache,
                    freed_bytes,
                    error: None,
                },
                Err(message) => {
                    errors.push(format!("cache {cache:?}: {message}"));
                    EvictionOutcome {
                        cache,
                        freed_bytes: 0,
                        error: Some(message),
                    }
                }
            }
        })
        .collect()
}

/// Calls the listeners of each event, with no borrow held; an exception in a listener is
/// reported to the `error` listeners (but not one of theirs, to avoid a loop).
fn dispatch(inner: &Rc<RefCell<Inner>>, events: &[JsValue]) {
    let listeners = inner.borrow().listeners.clone();
    for event in events {
        let name = event_name(event);
        for (wanted, listener) in &listeners {
            if wanted != "*" && *wanted != name {
                continue;
            }
            if let Err(e) = listener.call1(&JsValue::UNDEFINED, event)
                && name != "error"
            {
                let t_ms = inner.borrow().now_ms();
                let message = format!("a {name} listener threw: {}", describe_exception(&e));
                dispatch(inner, &[error_event(t_ms, message)]);
            }
        }
    }
}
