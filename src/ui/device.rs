//! Which device a run trains on in the browser: the CPU (wasm), WebGPU, or for Auto the faster
//! of the two on this experiment, measured with a few real steps on each (`train::speed`) and
//! remembered per browser, adapter and experiment shape. A software adapter (SwiftShader and
//! the like) is not timed: Auto trains on the CPU at once (`AutoChoice::software`).
//!
//! The page asks the browser for the WebGPU adapter (`find_adapter`; tests fake the page's
//! `navigator.gpu`) and looks up Auto's remembered choice; the training worker makes the device
//! and measures (`pick_device`). When no worker can start, the page does both.

use burn::prelude::Device;
use js_sys::{Function, Promise, Reflect};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::host::{js_err, sleep_ms};
use super::startup::{stall_message, StartStep};
use crate::backend::{self, BackendKind};
use crate::config::{name_of, BackendChoice, ExperimentConfig};
use crate::data::Dataset;
use crate::train::speed::{
    is_software_adapter, measure_speed, AutoChoice, BackendInfo, SpeedBudget,
};

/// The WebGPU adapter the browser offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adapter {
    /// Vendor, architecture and description, as the browser gives them.
    pub name: String,
    /// The GPU is emulated on the CPU (the browser's fallback adapter, or SwiftShader, etc.).
    pub software: bool,
}

/// The adapter, or why there is none.
pub type AdapterAnswer = Result<Adapter, String>;

/// Asks the browser for a WebGPU adapter.
pub async fn find_adapter() -> AdapterAnswer {
    let navigator =
        Reflect::get(&js_sys::global(), &"navigator".into()).map_err(|e| js_err("navigator", e))?;
    let gpu = Reflect::get(&navigator, &"gpu".into()).map_err(|e| js_err("navigator.gpu", e))?;
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU (navigator.gpu is missing)".into());
    }
    let request: Function = Reflect::get(&gpu, &"requestAdapter".into())
        .and_then(|f| f.dyn_into())
        .map_err(|e| js_err("navigator.gpu.requestAdapter", e))?;
    let promise: Promise = request
        .call0(&gpu)
        .and_then(|p| p.dyn_into())
        .map_err(|e| js_err("navigator.gpu.requestAdapter", e))?;
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|e| js_err("navigator.gpu.requestAdapter", e))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU offers no adapter".into());
    }
    let info = Reflect::get(&adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
    let field = |name: &str| {
        Reflect::get(&info, &name.into())
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    let parts: Vec<String> = ["vendor", "architecture", "description"]
        .iter()
        .filter_map(|f| field(f))
        .collect();
    let name = if parts.is_empty() {
        "unnamed adapter".to_string()
    } else {
        parts.join(" ")
    };
    // `info.isFallbackAdapter` (current spec) or `adapter.isFallbackAdapter` (older browsers).
    let flag = |o: &JsValue| {
        Reflect::get(o, &"isFallbackAdapter".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    let software = is_software_adapter(&name, flag(&info) || flag(&adapter));
    Ok(Adapter { name, software })
}

/// The adapter, asked for within the start-up step's time limit: a request that never
/// settles (or a test's `stall-adapter`) answers why after the limit.
pub async fn ask_adapter() -> AdapterAnswer {
    let bound = StartStep::Adapter.bound_ms();
    let request = async {
        if super::host::injected_fault().as_deref() == Some("stall-adapter") {
            std::future::pending::<()>().await;
        }
        find_adapter().await
    };
    super::host::within(bound, request)
        .await
        .unwrap_or_else(|| Err(stall_message(StartStep::Adapter, bound)))
}

/// Auto's remembered choices live in the page's localStorage under keys with this prefix.
const CACHE_PREFIX: &str = "dml-lab.auto.v1 ";

/// The experiment's shape as far as speed goes: what a step computes, not what it learns.
fn shape_key(adapter: &Adapter, cfg: &ExperimentConfig, data: &Dataset) -> String {
    format!(
        "{CACHE_PREFIX}{}|{}|{}|{}|b{}|d{}|{}x{}|{}|k{}",
        adapter.name,
        cfg.model.name(),
        name_of(&cfg.encoder),
        name_of(&cfg.loss),
        cfg.batch_size,
        cfg.lsdim,
        data.train.rows,
        data.train.cols,
        name_of(&cfg.miner),
        cfg.vamp_components,
    )
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Auto's earlier choice for this adapter and experiment shape, if this browser made one.
pub fn remembered(adapter: &Adapter, cfg: &ExperimentConfig, data: &Dataset) -> Option<AutoChoice> {
    let text = storage()?
        .get_item(&shape_key(adapter, cfg, data))
        .ok()
        .flatten()?;
    let mut choice: AutoChoice = serde_json::from_str(&text).ok()?;
    choice.cached = true;
    Some(choice)
}

/// Keeps Auto's measured choice for the next run of the same shape.
pub fn remember(adapter: &Adapter, cfg: &ExperimentConfig, data: &Dataset, choice: &AutoChoice) {
    if choice.cached || choice.untimed() {
        return;
    }
    if let (Some(store), Ok(text)) = (storage(), serde_json::to_string(choice)) {
        // A full or disabled storage only means Auto measures again next time.
        let _ = store.set_item(&shape_key(adapter, cfg, data), &text);
    }
}

/// The page's (or worker's) WebGPU device: burn initialises its wgpu runtime once, and later
/// runs reuse it and the pipelines it compiled (`backend::wgpu` keeps it).
async fn wgpu_device() -> Result<Device, String> {
    if super::host::injected_fault().as_deref() == Some("stall-webgpu") {
        std::future::pending::<()>().await;
    }
    backend::wgpu()
        .await
        .map_err(|e| format!("WebGPU initialisation failed: {e}"))
}

const CPU_NAME: &str = "CPU (wasm, flex)";

/// The device for `cfg.backend`. For Auto: `remembered` when the page has a choice for this
/// shape, else both backends measured on `data` (`status` hears what is being measured).
pub async fn pick_device(
    cfg: &ExperimentConfig,
    data: &Dataset,
    adapter: Option<AdapterAnswer>,
    remembered: Option<AutoChoice>,
    mut status: impl FnMut(String),
) -> Result<(Device, BackendInfo), String> {
    let cpu = |why: String| {
        (
            backend::cpu(),
            BackendInfo::new(BackendKind::Cpu, format!("{CPU_NAME}: {why}")),
        )
    };
    let gpu_info = |adapter: &Adapter| {
        let software = if adapter.software {
            ", a software adapter"
        } else {
            ""
        };
        format!("WebGPU: {}{software}", adapter.name)
    };
    let adapter = match (cfg.backend, adapter) {
        (BackendChoice::Cpu, _) => return Ok(cpu("chosen in the form".into())),
        (_, Some(Ok(adapter))) => adapter,
        (BackendChoice::Auto, Some(Err(why))) => return Ok(cpu(why)),
        (BackendChoice::Auto, None) => return Ok(cpu("no WebGPU adapter was asked for".into())),
        (_, Some(Err(why))) => return Err(why),
        (_, None) => return Err("no WebGPU adapter was asked for".into()),
    };
    if cfg.backend == BackendChoice::Wgpu {
        let device = wgpu_device().await?;
        return Ok((
            device,
            BackendInfo::new(BackendKind::Wgpu, gpu_info(&adapter)),
        ));
    }
    let choice = match remembered {
        Some(choice) => choice,
        None if adapter.software => AutoChoice::software(adapter.name.clone()),
        None => {
            let timer = |seconds: f64| sleep_ms((seconds * 1000.0) as i32);
            status(format!(
                "Auto: timing a few training steps on the {CPU_NAME}…"
            ));
            let cpu_speed =
                measure_speed(cfg, data, &backend::cpu(), SpeedBudget::QUICK, timer).await;
            status(format!(
                "Auto: timing a few training steps on WebGPU ({})…",
                adapter.name
            ));
            let gpu_speed = match wgpu_device().await {
                Ok(device) => {
                    measure_speed(cfg, data, &device, SpeedBudget::HARDWARE_GPU, timer).await
                }
                Err(e) => crate::train::speed::SpeedSample::failed(e),
            };
            AutoChoice::decide(adapter.name.clone(), false, gpu_speed, cpu_speed)
        }
    };
    let reason = choice.reason("WebGPU", CPU_NAME);
    let (device, kind) = if choice.use_wgpu {
        match wgpu_device().await {
            Ok(device) => (device, BackendKind::Wgpu),
            Err(e) => return Ok(cpu(e)),
        }
    } else {
        (backend::cpu(), BackendKind::Cpu)
    };
    let mut info = BackendInfo::new(kind, reason);
    info.auto = Some(choice);
    Ok((device, info))
}
