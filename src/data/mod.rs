//! Stage 1, data: the parsers and datasets of `dml-lab-core` (no burn), and `batch`, which
//! turns byte images into tensors.

pub mod batch;

pub use dml_lab_core::data::*;
