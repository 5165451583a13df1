//! Conversions between JavaScript values and the core's types, with errors that name the
//! field at fault.

use mempressure_core::{Config, PartialConfig, Profile};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

/// A Rust value as a plain JavaScript object (objects, not `Map`s; `null` for `None`).
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("cannot convert to JavaScript: {e}")))
}

/// A JavaScript value as a Rust value; the error names `what` and the path of the field.
///
/// The value goes through `JSON.stringify`, so that unknown keys are seen (and refused by
/// `deny_unknown_fields`) and numbers are checked the way the trace format checks them.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    let json = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| JsError::new(&format!("invalid {what}: not a plain object")))?;
    let mut deserializer = serde_json::Deserializer::from_str(&json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let inner = match inner.rfind(" at line ") {
            Some(i) => &inner[..i],
            None => &inner,
        };
        if path == "." {
            JsError::new(&format!("invalid {what}: {inner}"))
        } else {
            JsError::new(&format!("invalid {what}: {path}: {inner}"))
        }
    })
}

/// A config from `undefined` (the default profile), a profile name, or a config object
/// with the config file's keys.
pub(crate) fn config_from_js(value: JsValue) -> Result<Config, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Config::default());
    }
    if let Some(name) = value.as_string() {
        let profile: Profile = name.parse().map_err(|e| JsError::new(&format!("{e}")))?;
        return Ok(Config::profile(profile));
    }

    let partial: PartialConfig = from_js(value, "config")?;
    partial
        .into_config()
        .map_err(|e| JsError::new(&format!("invalid config: {e}")))
}

/// A whole, non-negative number of bytes or milliseconds from a JavaScript number.
pub(crate) fn whole_number(value: &JsValue, field: &str) -> Result<u64, JsError> {
    let Some(number) = value.as_f64() else {
        return Err(JsError::new(&format!(
            "{field} must be a number, got {value:?}"
        )));
    };
    let whole = number.is_finite() && number >= 0.0 && number.fract() == 0.0;
    if !whole || number > 9_007_199_254_740_991.0 {
        return Err(JsError::new(&format!(
            "{field} must be a whole number from 0 to 2^53 - 1, got {number}"
        )));
    }
    Ok(number as u64)
}
