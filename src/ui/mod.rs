//! The lab page (wasm32 only): a leptos CSR app. One file per concern:
//! `host` (browser services: fetch, yielding, WebGPU), `state` (signals shared by the
//! components), `app` (layout and the run), `form`, `data_panel` (OrganAMNIST files), `charts`,
//! `runs` (the table, exports, history), `compare` (runs side by side), `history` (IndexedDB), `share` (the link),
//! `remote` (the page's side of the training worker), `startup` (the steps that start a run,
//! each with a time limit) and `worker` (the worker's side).

mod app;
mod bench;
mod charts;
mod compare;
mod data;
mod data_panel;
mod device;
mod form;
mod history;
mod host;
mod image_rows;
mod presets;
mod progress;
mod protocol;
mod recovery;
mod remote;
mod runs;
mod scatter;
mod session;
mod share;
mod startup;
mod state;
mod sweep_panel;
mod worker;

/// Entry point of the wasm binary: install the panic hook (message, then a restart with the
/// state restored: `recovery`) and mount the app.
pub fn start() {
    if web_sys::window().is_none() {
        // The training worker (`worker.js` booted this module there): it waits for messages.
        worker::install_panic_hook();
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        host::show_fatal(&recovery::on_panic(&format!("internal error: {info}")));
    }));
    leptos::mount::mount_to_body(app::App);
}

/// The training worker's message handler (`worker.js` calls it for each message).
pub fn worker_receive(message: wasm_bindgen::JsValue) {
    worker::receive(message);
}
