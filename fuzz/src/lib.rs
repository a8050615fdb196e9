//! The dml-lab parsers of untrusted input, compiled without the rest of the crate.
//!
//! Each module below *is* the file in `../src` (included by path, not copied), so the fuzz
//! targets exercise exactly the code the CLI and the page run: IDX (MNIST), `.npy`/`.npz`
//! (OrganAMNIST), the experiment config (JSON) and shareable links (URL query strings).
//! What each target checks lives in [`targets`], shared with the corpus replay test of the
//! main crate (`tests/fuzz_corpus.rs`) through the same `#[path]` include.

#[path = "../../src/config.rs"]
pub mod config;
#[path = "../../src/link.rs"]
pub mod link;

pub mod data;

#[path = "../../src/fuzz_targets.rs"]
pub mod targets;
