//! The user's own data as four IDX files (raw or gzip, MNIST's format), given in any order and
//! under any names: images are the rank-3 arrays, labels the rank-1 ones; each image file goes
//! with the label file of the same count, and the larger pair is the training split (with equal
//! counts, the files named like "test" or "t10k" are the test split). Classes are 0..=max label.

use super::dataset::{DataError, Dataset, ImageSet};
use super::idx::{parse_idx, IdxArray};

/// Most classes a label file may use (labels are bytes, but a lab of 256 classes is a mistake).
pub const MAX_USER_CLASSES: usize = 100;

/// Reads every file of `dir` (four IDX files, any names) into a dataset named after the folder.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_dir(dir: &std::path::Path) -> Result<Dataset, DataError> {
    let io = |e: std::io::Error| DataError::Io(format!("cannot read {}: {e}", dir.display()));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_file() {
            let len = std::fs::metadata(&path).map_err(io)?.len();
            if len > super::idx::MAX_IDX_BYTES as u64 {
                return Err(DataError::Io(format!(
                    "{}: {len} bytes, more than an IDX file may have ({} bytes)",
                    path.display(),
                    super::idx::MAX_IDX_BYTES
                )));
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&path)
                .map_err(|e| DataError::Io(format!("cannot read {}: {e}", path.display())))?;
            files.push((name, bytes));
        }
    }
    files.sort();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "your IDX files".into());
    dataset_from_idx_files(&name, &files)
}

/// Parses four IDX files (name, bytes) into a dataset named `name`.
// Long: one check after another, each with the message that names the file at fault.
pub fn dataset_from_idx_files(
    name: &str,
    files: &[(String, Vec<u8>)],
) -> Result<Dataset, DataError> {
    let bad = |message: String| DataError::Io(message);
    if files.len() != 4 {
        return Err(bad(format!(
            "give four IDX files (training images and labels, test images and labels), not {}",
            files.len()
        )));
    }
    let mut images: Vec<(&str, IdxArray)> = Vec::new();
    let mut labels: Vec<(&str, IdxArray)> = Vec::new();
    for (file, bytes) in files {
        let array = parse_idx(bytes).map_err(|source| DataError::Idx {
            file: file.clone(),
            source,
        })?;
        match array.dims.len() {
            3 => images.push((file, array)),
            1 => labels.push((file, array)),
            _ => {
                return Err(bad(format!(
                    "{file}: an IDX array of shape {:?}; images are (n, rows, cols), labels (n)",
                    array.dims
                )))
            }
        }
    }
    if images.len() != 2 || labels.len() != 2 {
        return Err(bad(format!(
            "{} image file(s) (rank 3) and {} label file(s) (rank 1); two of each are needed",
            images.len(),
            labels.len()
        )));
    }
    let looks_like_test = |file: &str| {
        let f = file.to_ascii_lowercase();
        f.contains("test") || f.contains("t10k")
    };
    // Order each kind as (train, test).
    let order = |v: &mut Vec<(&str, IdxArray)>| {
        v.sort_by_key(|(file, a)| (std::cmp::Reverse(a.dims[0]), looks_like_test(file)));
    };
    order(&mut images);
    order(&mut labels);
    let (train_images, test_images) = (&images[0], &images[1]);
    let (train_labels, test_labels) = (&labels[0], &labels[1]);
    for (img, lab) in [(train_images, train_labels), (test_images, test_labels)] {
        if img.1.dims[0] != lab.1.dims[0] {
            return Err(bad(format!(
                "no label file has the {} images of {} ({} has {} labels)",
                img.1.dims[0], img.0, lab.0, lab.1.dims[0]
            )));
        }
    }
    if train_images.1.dims[0] == test_images.1.dims[0]
        && looks_like_test(train_images.0) == looks_like_test(test_images.0)
    {
        return Err(bad(format!(
            "{} and {} have the same number of images: name the test files with \"test\" or \"t10k\"",
            train_images.0, test_images.0
        )));
    }
    if train_images.1.dims[1..] != test_images.1.dims[1..] {
        return Err(bad(format!(
            "{} has {:?} images, {} has {:?}: both splits need one image size",
            train_images.0,
            &train_images.1.dims[1..],
            test_images.0,
            &test_images.1.dims[1..]
        )));
    }
    let max_label = train_labels
        .1
        .data
        .iter()
        .chain(&test_labels.1.data)
        .copied()
        .max()
        .unwrap_or(0) as usize;
    if max_label >= MAX_USER_CLASSES {
        return Err(bad(format!(
            "label {max_label} found: at most {MAX_USER_CLASSES} classes (labels 0–{})",
            MAX_USER_CLASSES - 1
        )));
    }
    let classes = max_label + 1;
    // Owned from here: the pixels move into the sets instead of being copied.
    let set = |split: &str, img: (&str, IdxArray), lab: (&str, IdxArray)| {
        let (rows, cols) = (img.1.dims[1], img.1.dims[2]);
        ImageSet::new(split, img.1.data, lab.1.data, rows, cols, classes)
    };
    // Both vectors hold exactly two entries, (train, test) (checked and sorted above).
    let (train_images, test_images) = (images.remove(0), images.remove(0));
    let (train_labels, test_labels) = (labels.remove(0), labels.remove(0));
    Ok(Dataset {
        name: name.into(),
        class_names: (0..classes).map(|c| c.to_string()).collect(),
        train: set("train", train_images, train_labels)?,
        test: set("test", test_images, test_labels)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::encode_idx;

    fn files(train: usize, test: usize, label: u8) -> Vec<(String, Vec<u8>)> {
        let images = |n: usize| encode_idx(&[n, 4, 3], &vec![7; n * 12]);
        let labels = |n: usize| {
            encode_idx(
                &[n],
                &(0..n).map(|i| (i % 3) as u8 * label).collect::<Vec<_>>(),
            )
        };
        vec![
            // Any order and any names.
            ("b.idx".into(), labels(test)),
            ("a.idx".into(), images(train)),
            ("d.idx".into(), images(test)),
            ("c.idx".into(), labels(train)),
        ]
    }

    #[test]
    fn four_files_in_any_order_make_a_dataset() {
        let data = dataset_from_idx_files("mine", &files(30, 12, 1)).unwrap();
        assert_eq!((data.train.len(), data.test.len()), (30, 12));
        assert_eq!((data.train.rows, data.train.cols), (4, 3));
        assert_eq!(data.class_names, ["0", "1", "2"]);
    }

    #[test]
    fn gzip_files_and_equal_counts_named_test_work() {
        use std::io::Write;
        let mut files = files(10, 10, 1);
        files[0].0 = "t10k-labels".into();
        files[2].0 = "t10k-images".into();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&files[1].1).unwrap();
        files[1].1 = gz.finish().unwrap();
        let data = dataset_from_idx_files("mine", &files).unwrap();
        assert_eq!(data.test.len(), 10);
    }

    #[test]
    fn wrong_sets_of_files_say_what_is_wrong() {
        let err =
            |f: &[(String, Vec<u8>)]| dataset_from_idx_files("mine", f).unwrap_err().to_string();
        assert!(err(&files(30, 12, 1)[..3]).contains("four IDX files"));
        let mut two_images = files(30, 12, 1);
        two_images[0] = ("x".into(), encode_idx(&[12, 4, 3], &[0; 144]));
        assert!(err(&two_images).contains("3 image file(s)"));
        let mut counts = files(30, 12, 1);
        counts[0].1 = encode_idx(&[11], &[0; 11]);
        assert!(err(&counts).contains("no label file has the 12 images"));
        assert!(err(&files(10, 10, 1)).contains("same number of images"));
        assert!(err(&files(30, 12, 60)).contains("at most 100 classes"));
        let mut broken = files(30, 12, 1);
        broken[3].1.truncate(5);
        assert!(err(&broken).contains("c.idx"));
    }
}
