//! Stage 1, data: file formats, datasets, partial labels and batches.

pub mod augment;
pub mod batch;
pub mod dataset;
pub mod idx;
pub mod mnist;
pub mod partial;
pub mod synthetic;

pub use dataset::{DataError, Dataset, ImageSet};
