//! Fuzz target `config_toml`: see `mempressure_core::fuzzing::config_toml`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mempressure_core::fuzzing::config_toml(data);
});
