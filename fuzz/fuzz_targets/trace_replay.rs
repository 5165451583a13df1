//! Fuzz target `trace_replay`: see `mempressure_core::fuzzing::trace_replay`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mempressure_core::fuzzing::trace_replay(data);
});
