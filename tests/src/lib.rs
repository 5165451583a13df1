//! Cross-crate tests for mempressure.
