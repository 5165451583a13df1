//! Pure pressure state machines.
