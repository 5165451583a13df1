//! Fuzz target `config_json`: see `mempressure_core::fuzzing::config_json`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mempressure_core::fuzzing::config_json(data);
});
