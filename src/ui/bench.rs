//! The page's benchmark (the address is read by `link::bench_request`, so a bad `bench_steps`
//! says so): `?bench=cpu`, `?bench=cpu-ndarray` or `?bench=webgpu` (optionally `&bench_steps=N`) times
//! the same training steps as `dml-lab bench` in this browser, on random MNIST-shaped images,
//! and writes one JSON object per model into the page (`data-testid="bench-results"`), where
//! the end-to-end harness reads them. `?bench=agreement` trains a few steps of a model of each
//! kind of objective on the CPU and on WebGPU from the same seed and writes both runs' loss
//! terms, which the harness compares.

use leptos::prelude::*;
use serde::Serialize;

use super::host::{wasm_memory_bytes, yield_now, Pacer};
use crate::config::{BackendChoice, ExperimentConfig, ModelKind};
use crate::data::synthetic::random_mnist_shaped;
use crate::link::{bench_request, BenchMode};
use crate::train::bench::{bench_model, BenchSpec, BenchTiming, GpuTotals, BENCH_MODELS};
use crate::train::{Flow, Observer, Readback, TrainEvent};

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/ui/gpu_counts.js")]
extern "C" {
    #[wasm_bindgen(js_name = gpuCountsInstall)]
    fn gpu_counts_install() -> bool;
    #[wasm_bindgen(js_name = gpuCounts)]
    fn gpu_counts() -> wasm_bindgen::JsValue;
}

/// The WebGPU work this page (or worker) has asked of the browser so far, counted at the
/// browser's `GPU…` methods (`gpu_counts.js`).
fn read_gpu_counts() -> GpuTotals {
    serde_wasm_bindgen::from_value(gpu_counts()).unwrap_or_default()
}

/// What the address asks for (`link::bench_request`): `None` for the lab itself.
pub(super) fn requested() -> Option<Result<(BenchMode, usize), String>> {
    bench_request(&super::host::location_search())
}

/// One result line, as `dml-lab bench` prints it plus the browser's memory.
#[derive(Serialize)]
struct PageBenchLine {
    backend: String,
    #[serde(flatten)]
    timing: BenchTiming,
    /// Size of the wasm linear memory after this model (it only grows), MiB.
    wasm_memory_mib: f64,
}

/// Yields to the browser at most every 30 ms of work, so the page stays responsive; reads
/// the losses back as the backend's runs would, only by count on WebGPU (so that the counted
/// work is the same on any adapter).
struct Yielding(Pacer, Readback);

impl Observer for Yielding {
    async fn on_event(&mut self, _event: &TrainEvent) -> Flow {
        self.0.breathe().await;
        Flow::Continue
    }

    fn readback(&self) -> Readback {
        self.1
    }
}

/// Times every model family on `choice` (burn-ndarray instead of the lab's CPU backend when
/// `ndarray`; `adapter`: what the page found for WebGPU), reporting
/// progress to `status` and each result line (JSON) to `line`. The page's benchmark panel runs
/// it on the main thread; the training worker runs it for a `Bench` message (the Dawn runner).
pub(super) async fn run_bench(
    choice: BackendChoice,
    ndarray: bool,
    steps: usize,
    adapter: Option<super::device::AdapterAnswer>,
    mut status: impl FnMut(String),
    mut line: impl FnMut(String),
) -> Result<(), String> {
    status("Benchmark: preparing data…".into());
    yield_now().await;
    let data = random_mnist_shaped(60_000, 1, 0);
    let cfg = ExperimentConfig {
        backend: choice,
        ..Default::default()
    };
    let (device, info) = match ndarray {
        #[cfg(feature = "ndarray")]
        true => (
            crate::backend::ndarray(),
            crate::train::speed::BackendInfo::new(
                crate::backend::BackendKind::Cpu,
                "CPU (wasm, ndarray)",
            ),
        ),
        #[cfg(not(feature = "ndarray"))]
        true => {
            return Err(
                "this page is built without burn-ndarray; build it with `trunk build \
                        --release --features ndarray` for the comparison"
                    .into(),
            )
        }
        false => super::device::pick_device(&cfg, &data, adapter, None, &mut status).await?,
    };
    let spec = BenchSpec {
        steps,
        ..Default::default()
    };
    // WebGPU's work per step, counted where the browser sees it.
    let counted = info.kind == crate::backend::BackendKind::Wgpu && gpu_counts_install();
    let counter: Option<&dyn Fn() -> GpuTotals> = counted.then_some(&read_gpu_counts);
    let readback = Readback::for_bench(info.kind);
    for model in BENCH_MODELS {
        status(format!("Benchmark: {} on {}…", model.name(), info.detail));
        let timing = bench_model(
            model,
            &spec,
            &data,
            &device,
            &mut Yielding(Pacer::new(30.0), readback),
            counter,
        )
        .await
        .map_err(|e| format!("{}: {e}", model.name()))?;
        let result = PageBenchLine {
            backend: info.detail.clone(),
            timing,
            wasm_memory_mib: wasm_memory_bytes() / (1024.0 * 1024.0),
        };
        line(serde_json::to_string(&result).map_err(|e| e.to_string())?);
    }
    Ok(())
}

/// Records every step's total and terms (and yields to the browser).
struct StepTerms {
    pacer: Pacer,
    names: Vec<String>,
    steps: Vec<Vec<f64>>,
}

impl Observer for StepTerms {
    async fn on_event(&mut self, event: &TrainEvent) -> Flow {
        if let TrainEvent::Step { loss, terms, .. } = event {
            self.names = std::iter::once("total".to_string())
                .chain(terms.iter().map(|(n, _)| n.clone()))
                .collect();
            self.steps.push(
                std::iter::once(*loss)
                    .chain(terms.iter().map(|(_, v)| *v))
                    .collect(),
            );
        }
        self.pacer.breathe().await;
        Flow::Continue
    }
}

/// Trains `steps` steps of DML, DML-AE and MetricVAE from one seed on the CPU and on WebGPU and
/// reports both runs' loss terms per step (one JSON line per model).
pub(super) async fn run_agreement(
    steps: usize,
    adapter: Option<super::device::AdapterAnswer>,
    mut status: impl FnMut(String),
    mut line: impl FnMut(String),
) -> Result<(), String> {
    let data = random_mnist_shaped(2000, 10, 0);
    let gpu_cfg = ExperimentConfig {
        backend: BackendChoice::Wgpu,
        ..Default::default()
    };
    let (gpu, info) =
        super::device::pick_device(&gpu_cfg, &data, adapter, None, &mut status).await?;
    for model in [ModelKind::Dml, ModelKind::DmlAe, ModelKind::MetricVae] {
        let cfg = ExperimentConfig {
            model,
            pl: 100.0,
            lsdim: 4,
            epochs: 1,
            steps_per_epoch: steps,
            batch_size: 32,
            vamp_components: 10,
            seed: 5,
            ..Default::default()
        };
        let mut runs = Vec::new();
        for (name, device) in [("CPU", crate::backend::cpu()), ("WebGPU", gpu.clone())] {
            status(format!("Agreement: {} on the {name}…", model.name()));
            let mut rec = StepTerms {
                pacer: Pacer::new(30.0),
                names: Vec::new(),
                steps: Vec::new(),
            };
            crate::train::train(&cfg, &data, &device, &mut rec)
                .await
                .map_err(|e| format!("{} on the {name}: {e}", model.name()))?;
            runs.push(rec);
        }
        let json = serde_json::json!({
            "model": model.name(),
            "names": runs[0].names,
            "cpu": runs[0].steps,
            "wgpu": runs[1].steps,
            "adapter": info.detail,
        });
        line(json.to_string());
    }
    Ok(())
}

/// Shown only when the query string asks for a benchmark; runs it once on mount.
#[component]
pub fn BenchPanel() -> impl IntoView {
    let lines = RwSignal::new(Vec::<String>::new());
    let status = RwSignal::new(String::new());
    let wanted = requested();
    if let Some(Err(why)) = &wanted {
        status.set(format!("Benchmark failed: {why}"));
    }
    let shown = wanted.is_some();
    if let Some(Ok((mode, steps))) = wanted {
        leptos::task::spawn_local(async move {
            let adapter = match mode {
                BenchMode::Cpu | BenchMode::CpuNdarray => None,
                _ => Some(super::device::find_adapter().await),
            };
            let show = |s| status.set(s);
            let add = |l| lines.update(|all: &mut Vec<String>| all.push(l));
            let result = match mode {
                BenchMode::Cpu => {
                    run_bench(BackendChoice::Cpu, false, steps, adapter, show, add).await
                }
                BenchMode::CpuNdarray => {
                    run_bench(BackendChoice::Cpu, true, steps, adapter, show, add).await
                }
                BenchMode::Webgpu => {
                    run_bench(BackendChoice::Wgpu, false, steps, adapter, show, add).await
                }
                BenchMode::Agreement => run_agreement(steps, adapter, show, add).await,
            };
            status.set(match result {
                Ok(()) => "Benchmark done.".into(),
                Err(e) => format!("Benchmark failed: {e}"),
            });
        });
    }
    view! {
        <Show when=move || shown>
            <section class="panel bench" data-testid="bench">
                <h2>"Benchmark"</h2>
                <p data-testid="bench-status" aria-live="polite">{move || status.get()}</p>
                <pre data-testid="bench-results">{move || lines.get().join("\n")}</pre>
            </section>
        </Show>
    }
}
