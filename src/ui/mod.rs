//! The lab page (wasm32 only): a leptos CSR app. One file per concern:
//! `host` (browser services: fetch, yielding, WebGPU), `state` (signals shared by the
//! components), `app` (layout and the run), `form`, `data_panel` (OrganAMNIST files), `charts`,
//! `runs` (comparison and exports), `share` (the link).

mod app;
mod bench;
mod charts;
mod data_panel;
mod form;
mod host;
mod runs;
mod share;
mod state;

/// Entry point of the wasm binary: install the panic hook and mount the app.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        host::show_fatal(&format!("internal error: {info}"));
    }));
    leptos::mount::mount_to_body(app::App);
}
