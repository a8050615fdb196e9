//! MedMNIST v2 `.npz` files (OrganAMNIST, or the user's own data in the same layout):
//! `train_images` `(n, s, s)` u8 — s = 28, or MedMNIST+'s 64, 128 and 224, or any size —,
//! `train_labels` `(n, 1)` or `(n,)` integers, likewise `test_*` and, optionally, `val_*` (kept
//! aside: the lab trains on `train` and scores `test`). Colour files (`(n, s, s, 3)`, e.g.
//! PathMNIST) are refused with what would work: the models take one channel.

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

/// Image side of MedMNIST's first release (the synthetic file's default).
pub const SIDE: usize = 28;

/// MedMNIST+'s image sides (MedMNIST v2 at 28, and the 64, 128 and 224 pixel files).
pub const MEDMNIST_SIDES: [usize; 4] = [28, 64, 128, 224];

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
    type Split = ((Vec<u8>, (usize, usize)), Vec<u8>);
    let mut split = |split: &str| -> Result<Split, DataError> {
        let images = npz.array(&format!("{split}_images")).map_err(npz_err)?;
        let labels = npz.array(&format!("{split}_labels")).map_err(npz_err)?;
        Ok((
            images_of(file, split, images)?,
            labels_of(file, split, labels)?,
        ))
    };
    let ((train_pixels, train_shape), train_labels) = split("train")?;
    let ((test_pixels, test_shape), test_labels) = split("test")?;
    if train_shape != test_shape {
        return Err(DataError::Io(format!(
            "{file}: train_images are {}×{} but test_images are {}×{}; both splits must have one size",
            train_shape.0, train_shape.1, test_shape.0, test_shape.1
        )));
    }
    let (rows, cols) = train_shape;
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
        train: ImageSet::new("train", train_pixels, train_labels, rows, cols, k)?,
        test: ImageSet::new("test", test_pixels, test_labels, rows, cols, k)?,
    })
}

/// Checks `{split}_images` is `(n, rows, cols)` unsigned bytes; returns the pixels and
/// `(rows, cols)`.
fn images_of(file: &str, split: &str, a: NpyArray) -> Result<(Vec<u8>, (usize, usize)), DataError> {
    let is_colour = a.shape.len() == 4 && a.shape[3] == 3;
    if is_colour {
        let (rows, cols) = (a.shape[1], a.shape[2]);
        return Err(DataError::Io(format!(
            "{file}: {split}_images are colour images of shape {:?} (n, {rows}, {cols}, 3); the lab's models take one channel. Convert them to grey first (in NumPy: (x @ [0.299, 0.587, 0.114]).round().astype(np.uint8) gives (n, {rows}, {cols})), or pick a grey MedMNIST dataset (OrganAMNIST, OrganCMNIST, OrganSMNIST, ChestMNIST, PneumoniaMNIST, BreastMNIST, TissueMNIST, OCTMNIST)",
            a.shape
        )));
    }
    let ok_shape = a.shape.len() == 3 && a.shape[1] > 0 && a.shape[2] > 0;
    if !ok_shape || a.dtype.size != 1 || a.dtype.signed {
        return Err(DataError::Io(format!(
            "{file}: {split}_images must be uint8 of shape (n, rows, cols) (grey images, e.g. MedMNIST's (n, 28, 28) or MedMNIST+'s 64, 128 or 224 pixel files), found {} of shape {:?}",
            dtype_name(&a),
            a.shape
        )));
    }
    let shape = (a.shape[1], a.shape[2]);
    Ok((a.data, shape))
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
    synthetic_medmnist_npz(train, val, test, SIDE, seed)
}

/// [`synthetic_organamnist_npz`] with images of `side` × `side` pixels (MedMNIST+'s layout at
/// 64, 128 or 224): the same blobs, scaled with the image.
pub fn synthetic_medmnist_npz(
    train: usize,
    val: usize,
    test: usize,
    side: usize,
    seed: u64,
) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let k = ORGANAMNIST_CLASSES.len();
    let scale = side as f32 / SIDE as f32;
    let mid = (side as f32 - 1.0) / 2.0;
    let mut split = |n: usize| {
        let labels: Vec<u8> = (0..n).map(|i| (i % k) as u8).collect();
        let mut pixels = vec![0u8; n * side * side];
        for (img, &label) in pixels.chunks_exact_mut(side * side).zip(&labels) {
            let angle = label as f32 / k as f32 * std::f32::consts::TAU;
            let (cy, cx) = (
                // Written so that at 28 px every value is the release's to the bit.
                mid + scale * 8.0 * angle.sin() + scale * rng.random_range(-1.5..1.5),
                mid + scale * 8.0 * angle.cos() + scale * rng.random_range(-1.5..1.5),
            );
            let width = 18.0 * scale * scale;
            for (p, px) in img.iter_mut().enumerate() {
                let (y, x) = ((p / side) as f32, (p % side) as f32);
                let d2 = (y - cy).powi(2) + (x - cx).powi(2);
                let blob = 220.0 * (-d2 / width).exp();
                *px = (blob + rng.random_range(0.0..40.0)).min(255.0) as u8;
            }
        }
        (
            encode_npy("|u1", &[n, side, side], &pixels),
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

    const CHECKSUM_0_5_0: u64 = 12483751797830309897;

    #[test]
    fn every_medmnist_plus_size_loads() {
        for side in MEDMNIST_SIDES {
            let bytes = synthetic_medmnist_npz(22, 0, 11, side, 1);
            let ds = organamnist_from_npz("organamnist_x.npz", &bytes).unwrap();
            assert_eq!((ds.train.rows, ds.train.cols), (side, side));
            assert_eq!((ds.test.rows, ds.test.cols), (side, side));
            assert_eq!(ds.train.pixels.len(), 22 * side * side);
            // The blob sits where its class puts it, whatever the size: class 0's is right
            // of the centre (angle 0), so the right half is brighter than the left.
            let img = &ds.train.pixels[..side * side];
            let half = |right: bool| -> u64 {
                img.chunks(side)
                    .flat_map(|row| {
                        if right {
                            &row[side / 2..]
                        } else {
                            &row[..side / 2]
                        }
                    })
                    .map(|&p| p as u64)
                    .sum()
            };
            assert!(half(true) > half(false) + (side * side) as u64, "{side}");
        }
        // The 28-pixel file's pixels are the ones release 0.5.0 wrote (its checksum).
        let ds = organamnist_from_npz("x", &synthetic_organamnist_npz(11, 0, 11, 3)).unwrap();
        let checksum = ds
            .train
            .pixels
            .iter()
            .chain(&ds.test.pixels)
            .enumerate()
            .fold(0u64, |h, (i, &p)| {
                h.wrapping_mul(1_000_003)
                    .wrapping_add(p as u64 * (i as u64 + 1))
            });
        assert_eq!(checksum, CHECKSUM_0_5_0);
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
                encode_npy("|u1", &[2, 64, 64, 3], &vec![0; 2 * 4096 * 3]),
            ),
            ("train_labels", lab(2, 0)),
        ]);
        assert!(
            e.contains("train_images are colour images of shape [2, 64, 64, 3]")
                && e.contains("gives (n, 64, 64)"),
            "{e}"
        );
        let e = err(vec![
            ("train_images", encode_npy("|u1", &[8], &[0; 8])),
            ("train_labels", lab(8, 0)),
        ]);
        assert!(
            e.contains("train_images must be uint8 of shape (n, rows, cols)") && e.contains("[8]"),
            "{e}"
        );
        let e = err(vec![
            ("train_images", img(2)),
            ("train_labels", lab(2, 0)),
            (
                "test_images",
                encode_npy("|u1", &[2, 64, 64], &vec![0; 2 * 4096]),
            ),
            ("test_labels", lab(2, 0)),
        ]);
        assert!(
            e.contains("train_images are 28×28 but test_images are 64×64"),
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
