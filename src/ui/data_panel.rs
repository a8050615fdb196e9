//! The data panel: OrganAMNIST (or any npz in its layout) from a picked or dropped file, or a
//! URL, or the user's own data as four IDX files. Files are parsed in memory and never sent
//! anywhere.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::host::{fetch_bytes, read_file};
use super::state::LabState;
use crate::config::DatasetKind;
use crate::data::idx::MAX_IDX_BYTES;
use crate::data::medmnist::{organamnist_from_npz, ORGANAMNIST_FILE};
use crate::data::npz::MAX_NPZ_BYTES;
use crate::data::user_idx::dataset_from_idx_files;
use crate::data::Dataset;

thread_local! {
    /// The loaded OrganAMNIST-layout dataset, if any.
    static ORGANAMNIST: RefCell<Option<Rc<Dataset>>> = const { RefCell::new(None) };
}

/// The loaded OrganAMNIST dataset, if the user has given one.
pub fn organamnist() -> Option<Rc<Dataset>> {
    ORGANAMNIST.with(|d| d.borrow().clone())
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
            ORGANAMNIST.with(|d| *d.borrow_mut() = Some(Rc::new(data)));
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
async fn load_files(state: LabState, files: Vec<web_sys::File>) {
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
            ORGANAMNIST.with(|d| *d.borrow_mut() = Some(Rc::new(data)));
            state.npz_summary.set(Some(summary));
            state.data_url.set(None);
        }
        Err(e) => state
            .npz_error
            .set(Some(format!("{}: {e}", names.join(", ")))),
    }
}

/// Every file of a file list.
fn all_files(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}

/// Shown while the dataset is OrganAMNIST: file picker, drop zone and URL field.
#[component]
pub fn DataPanel() -> impl IntoView {
    let state = expect_context::<LabState>();
    let url = RwSignal::new(String::new());
    let is_organ = move || state.config.with(|c| c.dataset == DatasetKind::Organamnist);
    let on_pick = move |ev: web_sys::Event| {
        let files = all_files(
            ev.target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files()),
        );
        if !files.is_empty() {
            leptos::task::spawn_local(load_files(state, files));
        }
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        let files = all_files(ev.data_transfer().and_then(|d| d.files()));
        if !files.is_empty() {
            leptos::task::spawn_local(load_files(state, files));
        }
    };
    view! {
        <Show when=is_organ>
            <fieldset class="form data-panel" data-testid="data-panel"
                on:dragover=|ev: web_sys::DragEvent| ev.prevent_default()
                on:drop=on_drop>
                <legend>"OrganAMNIST or your own data"</legend>
                <p class="muted">{format!("OrganAMNIST is not redistributable here: pick or drop the official {ORGANAMNIST_FILE} (MedMNIST v2, zenodo.org/records/6496656), or any .npz with the same keys (train_/test_ images (n, 28, 28) uint8 and labels (n, 1)). Or your own data: four IDX files (MNIST's format, raw or .gz: training and test images and labels, any names). Files are read in this page only and never uploaded.")}</p>
                <label class="field">
                    <span>"file"</span>
                    <input type="file" multiple data-testid="npz-file" on:change=on_pick
                        disabled=move || state.running.get() />
                </label>
                <label class="field">
                    <span>"or URL"</span>
                    <input type="url" data-testid="npz-url" placeholder="https://…/organamnist.npz"
                        prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev)) />
                </label>
                <button data-testid="npz-load-url" disabled=move || state.running.get() || url.with(|u| u.trim().is_empty())
                    on:click=move |_| { leptos::task::spawn_local(load_url(state, url.get_untracked().trim().to_string())); }>
                    "Load URL"
                </button>
                <p data-testid="npz-summary" class="muted">{move || state.npz_summary.get()}</p>
                <Show when=move || state.npz_error.get().is_some()>
                    <p data-testid="npz-error" class="error" role="alert">{move || state.npz_error.get()}</p>
                </Show>
            </fieldset>
        </Show>
    }
}
