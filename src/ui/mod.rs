//! The lab page (wasm32 only): a leptos CSR app. One file per concern:
//! `host` (browser services: fetch, yielding, WebGPU), `state` (signals shared by the
//! components), `app` (layout and the run), `form`, `data_panel` (OrganAMNIST files), `charts`,
//! `runs` (comparison, exports, history), `history` (IndexedDB), `share` (the link).

mod app;
mod bench;
mod charts;
mod data_panel;
mod form;
mod history;
mod host;
mod recovery;
mod runs;
mod share;
mod state;

/// Entry point of the wasm binary: install the panic hook (message, then a restart with the
/// state restored: `recovery`) and mount the app.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        host::show_fatal(&recovery::on_panic(&format!("internal error: {info}")));
    }));
    leptos::mount::mount_to_body(app::App);
}
