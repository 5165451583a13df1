//! Fuzz target `core_records`: see `mempressure_core::fuzzing::core_records`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mempressure_core::fuzzing::core_records(data);
});
