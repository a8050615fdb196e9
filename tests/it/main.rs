//! The integration tests, one test binary (`cargo test --test it`; one module per subject, a
//! filter picks them, e.g. `cargo test --release --test it bad_inputs`). They were nine binaries,
//! each linking the lab and burn; one binary is linked once.

mod backend_agreement;
mod bad_inputs;
mod cli_bench;
mod cli_organamnist;
mod cli_sweep;
mod cli_train;
mod common;
mod determinism;
mod large_images;
mod odd_datasets;
mod reference_values;
