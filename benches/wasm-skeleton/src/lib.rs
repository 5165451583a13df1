//! Benchmark only, never published: the libraries the npm package is built on
//! (wasm-bindgen, serde, serde_json with exact floats, serde_path_to_error,
//! serde-wasm-bindgen), used the way the package uses them, on one struct of five fields
//! instead of the package's thirty-odd types, and with no pressure logic at all.
//!
//! `benches/run.sh` builds it with the package's `wasm-release` profile and reports its
//! `.wasm` size beside the package's: what these libraries cost before the first line of
//! our own code, against the size target.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// A few thresholds, as a config holds them.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Thresholds {
    warning: Option<f64>,
    critical: Option<f64>,
    emergency: Option<f64>,
}

/// One record of five fields, as a trace line or a config holds them.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Record {
    t_ms: u64,
    total_bytes: u64,
    available_bytes: u64,
    thresholds: Option<Thresholds>,
    id: Option<String>,
}

/// Parses a JSON record, with an error naming the field, and hands it to JS as an object.
///
/// # Errors
/// When the text is not such a record.
#[wasm_bindgen]
pub fn parse(text: &str) -> Result<JsValue, JsError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let record: Record = serde_path_to_error::deserialize(de)
        .map_err(|e| JsError::new(&format!("{}: {}", e.path(), e.inner())))?;
    serde_wasm_bindgen::to_value(&record).map_err(|e| JsError::new(&e.to_string()))
}

/// Takes a record from JS and writes it as JSON.
///
/// # Errors
/// When the value is not such a record.
#[wasm_bindgen]
pub fn to_json(value: JsValue) -> Result<String, JsError> {
    let record: Record =
        serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&e.to_string()))?;
    serde_json::to_string(&record).map_err(|e| JsError::new(&e.to_string()))
}
