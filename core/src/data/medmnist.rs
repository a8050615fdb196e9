//! MedMNIST v2 `.npz` files (OrganAMNIST, or the user's own data in the same layout):
//! `train_images` `(n, 28, 28)` u8, `train_labels` `(n, 1)` or `(n,)` integers, likewise
//! `test_*` and, optionally, `val_*` (kept aside: the lab trains on `train` and scores `test`).

use rand::{rngs::StdRng, RngExt, SeedableRng};

use super::dataset::{DataError, Dataset, ImageSet};
use super::npy::{encode_npy, NpyArray};
use super::npz::{write_npz, Npz, NpzError};

/// OrganAMNIST's 11 classes, in label order (MedMNIST v2 `INFO['organamnist']['label']`).
pub const ORGANAMNIST_CLASSES: [&str; 11] = [
    "bladder",
    "femur-left",
    "femur-right",
    "heart",
    "kidney-left",
    "kidney-right",
    "liver",
    "lung-left",
    "lung-right",
    "pancreas",
    "spleen",
];

/// The official file's name (MedMNIST v2, Zenodo record 6496656).
pub const ORGANAMNIST_FILE: &str = "organamnist.npz";

/// Image side the models take (MedMNIST's 28 × 28 release).
pub const SIDE: usize = 28;

/// Parses OrganAMNIST from the bytes of `organamnist.npz` (`file` names it in messages).
pub fn organamnist_from_npz(file: &str, bytes: &[u8]) -> Result<Dataset, DataError> {
    let names: Vec<String> = ORGANAMNIST_CLASSES.iter().map(|s| s.to_string()).collect();
    dataset_from_npz("organamnist", file, bytes, Some(names))
}

/// Parses an npz in the MedMNIST layout. Without `class_names` the classes are `0..=max label`
/// of the training labels.
pub fn dataset_from_npz(
    name: &str,
    file: &str,
    bytes: &[u8],
    class_names: Option<Vec<String>>,
) -> Result<Dataset, DataError> {
    let npz_err = |e: NpzError| DataError::Io(format!("{file}: {e}"));
    let mut npz = Npz::open(bytes).map_err(npz_err)?;
    let mut split = |split: &str| -> Result<(Vec<u8>, Vec<u8>), DataError> {
        let images = npz.array(&format!("{split}_images")).map_err(npz_err)?;
        let labels = npz.array(&format!("{split}_labels")).map_err(npz_err)?;
        Ok((
            images_of(file, split, images)?,
            labels_of(file, split, labels)?,
        ))
    };
    let (train_pixels, train_labels) = split("train")?;
    let (test_pixels, test_labels) = split("test")?;
    let class_names = match class_names {
        Some(names) => names,
        None => {
            let classes = train_labels.iter().copied().max().unwrap_or(0) as usize + 1;
            (0..classes).map(|c| c.to_string()).collect()
        }
    };
    let k = class_names.len();
    Ok(Dataset {
        name: name.into(),
        class_names,
        train: ImageSet::new("train", train_pixels, train_labels, SIDE, SIDE, k)?,
        test: ImageSet::new("test", test_pixels, test_labels, SIDE, SIDE, k)?,
    })
}

/// Checks `{split}_images` is `(n, 28, 28)` unsigned bytes.
fn images_of(file: &str, split: &str, a: NpyArray) -> Result<Vec<u8>, DataError> {
    let ok_shape = a.shape.len() == 3 && a.shape[1] == SIDE && a.shape[2] == SIDE;
    if !ok_shape || a.dtype.size != 1 || a.dtype.signed {
        return Err(DataError::Io(format!(
            "{file}: {split}_images must be uint8 of shape (n, {SIDE}, {SIDE}) (MedMNIST's 28×28 release), found {} of shape {:?}",
            dtype_name(&a),
            a.shape
        )));
    }
    Ok(a.data)
}

/// Checks `{split}_labels` is `(n, 1)` or `(n,)` integers in 0..=255 and narrows them to bytes.
fn labels_of(file: &str, split: &str, a: NpyArray) -> Result<Vec<u8>, DataError> {
    let ok_shape = a.shape.len() == 1 || (a.shape.len() == 2 && a.shape[1] == 1);
    if !ok_shape {
        return Err(DataError::Io(format!(
            "{file}: {split}_labels must have shape (n, 1) or (n,), found {:?}",
            a.shape
        )));
    }
    (0..a.len())
        .map(|i| {
            let v = a.get(i);
            u8::try_from(v).map_err(|_| {
                DataError::Io(format!(
                    "{file}: {split}_labels[{i}] = {v} is not a class index (expected 0..=255)"
                ))
            })
        })
        .collect()
}

fn dtype_name(a: &NpyArray) -> String {
    format!(
        "{}{}",
        if a.dtype.signed { "int" } else { "uint" },
        a.dtype.size * 8
    )
}

/// A small npz in exactly OrganAMNIST's layout (keys, dtypes, shapes, 11 classes) with
/// learnable images: each class is a bright blob at its own place on a noisy background.
/// For tests and demos (`dml-lab make-npz`); not medical data.
pub fn synthetic_organamnist_npz(train: usize, val: usize, test: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let k = ORGANAMNIST_CLASSES.len();
    let mut split = |n: usize| {
        let labels: Vec<u8> = (0..n).map(|i| (i % k) as u8).collect();
        let mut pixels = vec![0u8; n * SIDE * SIDE];
        for (img, &label) in pixels.chunks_exact_mut(SIDE * SIDE).zip(&labels) {
            let angle = label as f32 / k as f32 * std::f32::consts::TAU;
            let (cy, cx) = (
                13.5 + 8.0 * angle.sin() + rng.random_range(-1.5..1.5),
                13.5 + 8.0 * angle.cos() + rng.random_range(-1.5..1.5),
            );
            for (p, px) in img.iter_mut().enumerate() {
                let (y, x) = ((p / SIDE) as f32, (p % SIDE) as f32);
                let d2 = (y - cy).powi(2) + (x - cx).powi(2);
                let blob = 220.0 * (-d2 / 18.0).exp();
                *px = (blob + rng.random_range(0.0..40.0)).min(255.0) as u8;
            }
        }
        (
            encode_npy("|u1", &[n, SIDE, SIDE], &pixels),
            encode_npy("|u1", &[n, 1], &labels),
        )
    };
    let (train_x, train_y) = split(train);
    let (val_x, val_y) = split(val);
    let (test_x, test_y) = split(test);
    write_npz(&[
        ("train_images", train_x),
        ("val_images", val_x),
        ("test_images", test_x),
        ("train_labels", train_y),
        ("val_labels", val_y),
        ("test_labels", test_y),
    ])
}

/// Reads OrganAMNIST (or an npz of its layout) from a file, refusing oversized files before
/// reading them.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_file(path: &std::path::Path) -> Result<Dataset, DataError> {
    let cannot = |e: std::io::Error| {
        DataError::Io(format!(
            "cannot read {}: {e} (download organamnist.npz from MedMNIST v2, https://zenodo.org/records/6496656, and pass its path with --data)",
            path.display()
        ))
    };
    let size = std::fs::metadata(path).map_err(cannot)?.len();
    if size > super::npz::MAX_NPZ_BYTES as u64 {
        return Err(DataError::Io(format!(
            "{}: {}",
            path.display(),
            NpzError::TooLarge(size as usize)
        )));
    }
    let bytes = std::fs::read(path).map_err(cannot)?;
    organamnist_from_npz(&path.display().to_string(), &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_file_has_organamnist_layout() {
        let bytes = synthetic_organamnist_npz(44, 11, 22, 0);
        let mut npz = Npz::open(&bytes).unwrap();
        let images = npz.array("train_images").unwrap();
        assert_eq!(images.shape, vec![44, 28, 28]);
        assert_eq!(npz.array("val_labels").unwrap().shape, vec![11, 1]);
        let ds = organamnist_from_npz(ORGANAMNIST_FILE, &bytes).unwrap();
        assert_eq!(
            (ds.train.len(), ds.test.len(), ds.num_classes()),
            (44, 22, 11)
        );
        assert_eq!(ds.class_names[6], "liver");
        assert_eq!(ds.test.labels[..3], [0, 1, 2]);
    }

    #[test]
    fn wrong_layouts_are_named() {
        let err = |arrays: Vec<(&str, Vec<u8>)>| {
            organamnist_from_npz(ORGANAMNIST_FILE, &write_npz(&arrays))
                .unwrap_err()
                .to_string()
        };
        let img = |n| encode_npy("|u1", &[n, 28, 28], &vec![0; n * 784]);
        let lab = |n, v: u8| encode_npy("|u1", &[n, 1], &vec![v; n]);
        let e = err(vec![("train_images", img(2)), ("train_labels", lab(2, 0))]);
        assert_eq!(e, "organamnist.npz: the archive has no array \"test_images\" (it has: train_images, train_labels)");
        let e = err(vec![
            (
                "train_images",
                encode_npy("|u1", &[2, 64, 64], &vec![0; 2 * 4096]),
            ),
            ("train_labels", lab(2, 0)),
        ]);
        assert!(
            e.contains("train_images must be uint8 of shape (n, 28, 28)")
                && e.contains("[2, 64, 64]"),
            "{e}"
        );
        let e = err(vec![
            (
                "train_images",
                encode_npy("<i2", &[1, 28, 28], &[0; 2 * 784]),
            ),
            ("train_labels", lab(1, 0)),
        ]);
        assert!(e.contains("found int16"), "{e}");
        let e = err(vec![
            ("train_images", img(2)),
            ("train_labels", encode_npy("|u1", &[2, 2], &[0; 4])),
        ]);
        assert!(
            e.contains("train_labels must have shape (n, 1) or (n,), found [2, 2]"),
            "{e}"
        );
        let e = err(vec![
            ("train_images", img(2)),
            ("train_labels", lab(2, 11)),
            ("test_images", img(1)),
            ("test_labels", lab(1, 0)),
        ]);
        assert_eq!(
            e,
            "train: label 11 at index 0 is out of range (expected 0..11)"
        );
        let e = err(vec![
            ("train_images", img(2)),
            ("train_labels", lab(3, 0)),
            ("test_images", img(1)),
            ("test_labels", lab(1, 0)),
        ]);
        assert_eq!(e, "train: 2 images but 3 labels");
        let e = err(vec![
            ("train_images", img(1)),
            (
                "train_labels",
                encode_npy("<i8", &[1], &(-1i64).to_le_bytes()),
            ),
            ("test_images", img(1)),
            ("test_labels", lab(1, 0)),
        ]);
        assert_eq!(
            e,
            "organamnist.npz: train_labels[0] = -1 is not a class index (expected 0..=255)"
        );
    }

    #[test]
    fn a_missing_file_says_where_to_get_it() {
        let e = load_file(std::path::Path::new("/nonexistent/organamnist.npz"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("zenodo.org") && e.contains("--data"), "{e}");
    }
}
