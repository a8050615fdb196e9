//! dml-lab: semi-supervised deep metric learning with VAE parts, for the browser and the CLI.
//!
//! The pipeline, stage by stage (see `docs/ARCHITECTURE.md`):
//! [`data`] → [`model`] → [`losses`] → [`train`] → [`eval`] → [`report`], tied together by
//! [`pipeline`]. Everything up to here is written once for any burn [`burn::prelude::Device`]
//! and compiles for both targets; the front ends are `cli` (native) and `ui` (wasm32).

pub mod backend;
pub mod config;
pub mod data;
pub mod eval;
pub mod fuzz_targets;
pub mod link;
pub mod losses;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod sweep;
pub mod train;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(target_arch = "wasm32")]
pub mod ui;
