//! `dml_lab::data`'s parsers (paths are relative to this file's folder, `fuzz/src`).

#[path = "../../src/data/dataset.rs"]
pub mod dataset;
#[path = "../../src/data/idx.rs"]
pub mod idx;
#[path = "../../src/data/medmnist.rs"]
pub mod medmnist;
#[path = "../../src/data/mnist.rs"]
pub mod mnist;
#[path = "../../src/data/npy.rs"]
pub mod npy;
#[path = "../../src/data/npz.rs"]
pub mod npz;

pub use dataset::{DataError, Dataset, ImageSet};
