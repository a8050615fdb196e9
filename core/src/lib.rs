//! dml-lab's core without burn: the experiment's description ([`config`]: every field, its
//! values, rules and text form), shareable [`link`]s, [`sweep`] grids, and the parsers of every
//! file format the lab reads ([`data`]: IDX, `.npy`, `.npz`, MNIST, MedMNIST, your own IDX
//! files, labelled subsets, augmentation). The lab crate (`dml-lab`) re-exports these modules;
//! the fuzz crate builds on this one alone.

pub mod config;
pub mod data;
pub mod link;
pub mod presets;
pub mod sweep;

/// What each fuzz target checks (the fuzz crate and `tests/fuzz_corpus.rs` share it).
#[cfg(feature = "fuzzing")]
pub mod fuzz_targets;
