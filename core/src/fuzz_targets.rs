//! What each fuzz target does with one input, and the properties it checks beyond "no panic".
//!
//! Shared by the cargo-fuzz targets (`fuzz/`, which depends on this crate with the `fuzzing`
//! feature) and by `tests/fuzz_corpus.rs`, which replays the kept corpus on stable Rust in
//! every test run.

use crate::config::ExperimentConfig;
use crate::data::idx::parse_idx;
use crate::data::medmnist::organamnist_from_npz;
use crate::data::npy::parse_npy;
use crate::data::npz::Npz;
use crate::data::{Dataset, ImageSet};
use crate::link::{from_query, restore, share_query, to_query, LinkDefaults};

/// IDX (MNIST): one file, and the input cut in two as an (images, labels) pair.
pub fn idx(data: &[u8]) {
    if let Ok(array) = parse_idx(data) {
        assert_eq!(product(&array.dims), array.data.len() as u128);
    }
    let (images, labels) = data.split_at(data.len() / 2);
    if let Ok(set) = ImageSet::from_idx("train", "images", images, "labels", labels, 10) {
        check_set(&set, 10);
    }
}

/// One `.npy` array.
pub fn npy(data: &[u8]) {
    if let Ok(array) = parse_npy(data) {
        let n = array.len();
        assert_eq!(product(&array.shape), n as u128);
        assert_eq!(array.data.len(), n * array.dtype.size);
        if n > 0 {
            array.get(0);
            array.get(n - 1);
        }
    }
}

/// An `.npz` archive: every array in it, then the MedMNIST layout with OrganAMNIST's 11
/// classes (labels checked against them).
pub fn npz(data: &[u8]) {
    if let Ok(mut archive) = Npz::open(data) {
        for key in archive.keys() {
            let _ = archive.array(&key);
        }
    }
    if let Ok(dataset) = organamnist_from_npz("fuzz.npz", data) {
        check_dataset(&dataset);
    }
}

/// A link's query string and a JSON config: a link always yields a valid config, which
/// survives its own round trip through [`to_query`] (and, read as a versioned link, through
/// [`share_query`]) without a notice.
pub fn link(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let base = ExperimentConfig::default();
    let restored = from_query(&text, &base);
    if let Err(e) = restored.config.validate() {
        panic!("a link gave an invalid config ({e}): {text:?}");
    }
    let again = from_query(
        &to_query(&restored.config, &base, restored.autostart),
        &base,
    );
    assert_eq!(again.config, restored.config, "round trip of {text:?}");
    assert_eq!(again.autostart, restored.autostart);
    assert!(again.notices.is_empty(), "{:?}", again.notices);
    let defaults = LinkDefaults {
        of_version: &ExperimentConfig::recommended_in,
    };
    let restored = restore(&text, &defaults);
    let query = share_query(
        &restored.config,
        &defaults,
        restored.data_url.as_deref(),
        restored.autostart,
    );
    let again = restore(&query, &defaults);
    assert_eq!(
        again.config, restored.config,
        "versioned round trip of {text:?}"
    );
    assert_eq!(again.data_url, restored.data_url);
    assert!(again.notices.is_empty(), "{:?}", again.notices);
    if let Ok(config) = ExperimentConfig::from_json(&text) {
        assert!(config.validate().is_ok());
    }
}

/// The number of elements a shape claims (saturating: a zero dimension still gives 0).
fn product(dims: &[usize]) -> u128 {
    dims.iter()
        .fold(1u128, |acc, &d| acc.saturating_mul(d as u128))
}

fn check_dataset(dataset: &Dataset) {
    let classes = dataset.class_names.len();
    assert!(classes > 0);
    check_set(&dataset.train, classes);
    check_set(&dataset.test, classes);
}

fn check_set(set: &ImageSet, classes: usize) {
    assert!(!set.is_empty());
    assert_eq!(set.labels.len(), set.len());
    assert_eq!(set.pixels.len(), set.len() * set.rows * set.cols);
    assert!(set.labels.iter().all(|&l| (l as usize) < classes));
}
