//! dml-lab: semi-supervised deep metric learning with VAE parts, for the browser and the CLI.
//!
//! The pipeline, stage by stage (see `docs/ARCHITECTURE.md`):
//! [`data`] → [`model`] → [`losses`] → [`train`] → [`eval`] → [`report`], tied together by
//! [`pipeline`]. Everything up to here is written once for any burn [`burn::prelude::Device`]
//! and compiles for both targets; the front ends are `cli` (native) and `ui` (wasm32).

pub mod backend;
pub mod data;
pub mod eval;
pub mod losses;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod train;

/// The experiment's description, links and sweeps live in `dml-lab-core` (no burn).
pub use dml_lab_core::{config, link, presets, sweep};

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(target_arch = "wasm32")]
pub mod ui;

#[cfg(target_arch = "wasm32")]
extern "C" {
    /// Runs the static constructors (wasm-ld makes it; a dependency registers some through
    /// `inventory`).
    fn __wasm_call_ctors();
}

/// The page's entry point (the wasm module is this library): mounts the lab, or in the training
/// worker waits for messages.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn wasm_start() {
    // Called here, once. When no code calls it, wasm-ld wraps every export in a
    // `*.command_export` that runs the constructors again first: each JS→wasm call (down to
    // allocating an externref slot) then cost ~0.6 ms, and a finished run stalled the page's
    // main thread for seconds (found with a CDP profile; inventory's documentation describes
    // the same call).
    unsafe { __wasm_call_ctors() };
    ui::start();
}

/// The training worker (src/ui/worker.js) hands each of the page's messages here.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn trainer_receive(message: wasm_bindgen::JsValue) {
    ui::worker_receive(message);
}
