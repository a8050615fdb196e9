//! Picking a burn device at run time: the CPU (ndarray) or wgpu (WebGPU in a browser).
//!
//! Everything else in the crate takes a `&Device` and never asks which backend it is.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Which kind of device a run trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// A CPU backend (ndarray or flex; wasm in the browser).
    Cpu,
    /// burn's wgpu backend (WebGPU in the browser; Vulkan/Metal/DX12 natively).
    Wgpu,
}

/// A tensor's values read back to the host as f32 (awaiting the device, so the page's
/// WebGPU path never blocks); `what` names it in the error.
pub async fn read_floats<const D: usize>(t: Tensor<D>, what: &str) -> Result<Vec<f32>, String> {
    t.into_data_async()
        .await
        .map_err(|e| format!("reading {what}: {e:?}"))?
        .try_to_vec::<f32>()
        .map_err(|e| format!("reading {what}: {e:?}"))
}

/// The lab's CPU backend, burn-flex: pure Rust (gemm matmul), natively (rayon threads, AVX-512
/// kernels when the CPU has them) and in wasm (SIMD128, one thread); measured 2–4× faster than
/// burn-ndarray on both targets (docs/bench.md).
pub fn cpu() -> Device {
    Device::flex()
}

/// The CPU backend's name, as run records and the page show it.
pub const CPU_BACKEND: &str = "flex";

/// burn-ndarray, the lab's CPU backend until flex measured faster; kept for the benchmarks'
/// comparison (`dml-lab bench --backend ndarray`; in a page built with `--features ndarray`,
/// `?bench=cpu-ndarray`).
#[cfg(any(not(target_arch = "wasm32"), feature = "ndarray"))]
#[allow(deprecated)] // burn 0.22 deprecates ndarray in favour of flex.
pub fn ndarray() -> Device {
    Device::ndarray()
}

/// burn's wgpu backend, initialised asynchronously (required in the browser). burn initialises
/// it once per process; later calls give the same device.
#[cfg(any(target_arch = "wasm32", feature = "wgpu"))]
pub async fn wgpu() -> Result<Device, String> {
    use std::sync::Mutex;
    static DEVICE: Mutex<Option<Device>> = Mutex::new(None);
    if let Some(device) = DEVICE.lock().ok().and_then(|d| d.clone()) {
        return Ok(device);
    }
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| e.to_string())?;
    if let Ok(mut slot) = DEVICE.lock() {
        *slot = Some(device.clone());
    }
    Ok(device)
}

/// The name of the adapter behind a wgpu device, as the driver gives it (natively; the page
/// asks the browser instead).
#[cfg(all(not(target_arch = "wasm32"), feature = "wgpu"))]
pub fn adapter_name(device: &Device) -> String {
    device
        .identity()
        .map(|i| i.name)
        .unwrap_or_else(|| "unnamed adapter".into())
}
