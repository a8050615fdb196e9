//! Picking a burn device at run time: the CPU (ndarray) or wgpu (WebGPU in a browser).
//!
//! Everything else in the crate takes a `&Device` and never asks which backend it is.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// What actually ran, for the run record and the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendInfo {
    /// "cpu" or "wgpu".
    pub kind: String,
    /// Human-readable detail: the adapter, or why the CPU was used.
    pub detail: String,
}

/// burn's ndarray backend: pure Rust, runs natively and in wasm.
#[allow(deprecated)] // burn 0.22 deprecates ndarray in favour of flex; the stack asks for ndarray.
pub fn cpu() -> Device {
    Device::ndarray()
}

/// burn's wgpu backend, initialised asynchronously (required in the browser).
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
pub async fn wgpu() -> Result<Device, String> {
    Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| e.to_string())
}

/// burn-flex, burn's newer pure-Rust CPU backend (gemm matmul); `dml-lab bench --backend flex`.
#[cfg(not(target_arch = "wasm32"))]
pub fn flex() -> Device {
    Device::flex()
}
