#![no_main]
//! Fuzz target `npz`: see `core/src/fuzz_targets.rs` for what it checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| dml_lab_fuzz::targets::npz(data));
