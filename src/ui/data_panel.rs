//! The data panel: where the user gives OrganAMNIST (a picked or dropped npz, or a URL) or their
//! own four IDX files; `data` reads them.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::data::{all_files, load_files, load_url};
use super::state::LabState;
use crate::config::DatasetKind;
use crate::data::medmnist::ORGANAMNIST_FILE;

/// Shown while the dataset is OrganAMNIST: file picker, drop zone and URL field.
#[component]
pub fn DataPanel() -> impl IntoView {
    let state = expect_context::<LabState>();
    let url = RwSignal::new(String::new());
    let is_organ = move || state.config.with(|c| c.dataset != DatasetKind::Mnist);
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
                <p class="muted">{format!("OrganAMNIST is not redistributable here: pick or drop the official {ORGANAMNIST_FILE} (MedMNIST v2, zenodo.org/records/6496656), or any .npz with the same keys (train_/test_ images (n, s, s) uint8 — 28 px, or MedMNIST+'s 64, 128 or 224 px files — and labels (n, 1); colour files are refused). Or your own data: four IDX files (MNIST's format, raw or .gz: training and test images and labels, any names). Files are read in this page only and never uploaded.")}</p>
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
