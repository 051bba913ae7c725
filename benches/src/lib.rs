//! Benchmark inputs.
