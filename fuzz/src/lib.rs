//! The dml-lab parsers of untrusted input, from `dml-lab-core` (the lab's parsers without burn,
//! a normal dependency): IDX (MNIST), `.npy`/`.npz` (OrganAMNIST), the experiment config (JSON)
//! and shareable links (URL query strings). What each target checks is
//! `dml_lab_core::fuzz_targets`, shared with the corpus replay test (`core/tests/fuzz_corpus.rs`).

pub use dml_lab_core::fuzz_targets as targets;
pub use dml_lab_core::{config, data, link};
