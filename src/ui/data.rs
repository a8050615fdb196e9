//! Every dataset the page trains on, wherever it comes from: MNIST (gzip IDX files served next
//! to the page, fetched once), OrganAMNIST or any npz in its layout (a picked or dropped file,
//! or a URL), and the user's own four IDX files. Each is kept in the session under its own
//! kind; files are parsed in memory and never sent anywhere.

use std::rc::Rc;

use leptos::prelude::*;

use super::host::{fetch_bytes, fetch_gunzipped, read_file, yield_now};
use super::state::LabState;
use crate::config::DatasetKind;
use crate::data::idx::MAX_IDX_BYTES;
use crate::data::medmnist::organamnist_from_npz;
use crate::data::npz::MAX_NPZ_BYTES;
use crate::data::user_idx::dataset_from_idx_files;
use crate::data::{mnist, Dataset};

/// The dataset `cfg` trains on: MNIST is fetched the first time; the user's files must have
/// been given in the data panel.
pub async fn dataset_for(state: LabState, kind: DatasetKind) -> Result<Rc<Dataset>, String> {
    match kind {
        DatasetKind::Mnist => load_mnist(state).await,
        DatasetKind::Organamnist => state.session.with_value(|s| s.dataset(kind)).ok_or_else(|| {
            "OrganAMNIST is not loaded: pick or drop organamnist.npz, or give its URL, in the data panel".into()
        }),
        DatasetKind::Idx => state.session.with_value(|s| s.dataset(kind)).ok_or_else(|| {
            "your IDX files are not loaded: pick or drop the four files in the data panel".into()
        }),
    }
}

/// Keeps a dataset the user gave, and switches the form to it.
fn keep(state: LabState, kind: DatasetKind, data: Dataset) {
    state
        .session
        .update_value(|s| s.keep_dataset(kind, Rc::new(data)));
    state.config.update(|c| c.dataset = kind);
}

/// Loads MNIST from the `mnist/` folder next to the page (gzip IDX files), once.
pub async fn load_mnist(state: LabState) -> Result<Rc<Dataset>, String> {
    if let Some(data) = state.session.with_value(|s| s.dataset(DatasetKind::Mnist)) {
        return Ok(data);
    }
    state.status.set("Downloading MNIST…".into());
    // Each file and each step in a task of its own: the page stays responsive.
    let mut files = Vec::new();
    for name in [
        mnist::TRAIN_IMAGES,
        mnist::TRAIN_LABELS,
        mnist::TEST_IMAGES,
        mnist::TEST_LABELS,
    ] {
        files.push(fetch_gunzipped(&format!("./mnist/{name}.gz")).await?);
        yield_now().await;
    }
    let [train_images, train_labels, test_images, test_labels] =
        <[Vec<u8>; 4]>::try_from(files).expect("four files");
    let data = mnist::from_bytes(mnist::MnistBytes {
        train_images: train_images.into(),
        train_labels: train_labels.into(),
        test_images: test_images.into(),
        test_labels: test_labels.into(),
    })
    .map_err(|e| e.to_string())?;
    yield_now().await;
    let data = Rc::new(data);
    state.data_summary.set(Some(format!(
        "MNIST: {} training / {} test images",
        data.train.len(),
        data.test.len()
    )));
    state.show_samples(&data);
    state
        .session
        .update_value(|s| s.keep_dataset(DatasetKind::Mnist, data.clone()));
    Ok(data)
}

/// Parses npz bytes and keeps them as the OrganAMNIST dataset; the message says what loaded
/// or what is wrong with the file. Earlier data stays when the new file is bad.
fn accept(state: LabState, source: &str, bytes: &[u8]) -> bool {
    match organamnist_from_npz(source, bytes) {
        Ok(data) => {
            let summary = format!(
                "OrganAMNIST from {source}: {} training / {} test images, {} classes ({})",
                data.train.len(),
                data.test.len(),
                data.num_classes(),
                data.class_names.join(", ")
            );
            state.show_samples(&data);
            keep(state, DatasetKind::Organamnist, data);
            state.npz_summary.set(Some(summary));
            state.npz_error.set(None);
            true
        }
        Err(e) => {
            state.npz_error.set(Some(format!("{source}: {e}")));
            false
        }
    }
}

/// Loads the npz at `url` (the `data_url` link parameter or the URL field).
pub async fn load_url(state: LabState, url: String) {
    state.npz_error.set(None);
    let before = state.npz_summary.get_untracked();
    state.npz_summary.set(Some(format!("Downloading {url}…")));
    match fetch_bytes(&url, MAX_NPZ_BYTES).await {
        Ok(bytes) => {
            if accept(state, &url, &bytes) {
                state.data_url.set(Some(url));
            }
        }
        Err(e) => {
            // The data loaded before (if any) is still the one in use.
            state.npz_summary.set(before);
            state.npz_error.set(Some(e));
        }
    }
}

/// One file: an npz in the OrganAMNIST layout; several: IDX files (`data::user_idx`).
pub async fn load_files(state: LabState, files: Vec<web_sys::File>) {
    state.npz_error.set(None);
    if let [file] = &files[..] {
        if file.name().to_ascii_lowercase().ends_with(".npz") {
            match read_file(file, MAX_NPZ_BYTES).await {
                Ok(bytes) => {
                    if accept(state, &file.name(), &bytes) {
                        state.data_url.set(None);
                    }
                }
                Err(e) => state.npz_error.set(Some(e)),
            }
            return;
        }
    }
    let mut read = Vec::new();
    for file in &files {
        match read_file(file, MAX_IDX_BYTES).await {
            Ok(bytes) => read.push((file.name(), bytes)),
            Err(e) => {
                state.npz_error.set(Some(e));
                return;
            }
        }
    }
    let names: Vec<&str> = read.iter().map(|(n, _)| n.as_str()).collect();
    let source = format!("Your IDX files ({})", names.join(", "));
    match dataset_from_idx_files("your-idx", &read) {
        Ok(data) => {
            let summary = format!(
                "{source}: {} training / {} test images, {} classes",
                data.train.len(),
                data.test.len(),
                data.num_classes()
            );
            state.show_samples(&data);
            keep(state, DatasetKind::Idx, data);
            state.npz_summary.set(Some(summary));
            state.data_url.set(None);
        }
        Err(e) => state
            .npz_error
            .set(Some(format!("{}: {e}", names.join(", ")))),
    }
}

/// Every file of a file list.
pub fn all_files(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}
