//! The page's benchmark: `?bench=cpu` or `?bench=webgpu` (optionally `&bench_steps=N`) times
//! the same training steps as `dml-lab bench` in this browser, on random MNIST-shaped images,
//! and writes one JSON object per model into the page (`data-testid="bench-results"`), where
//! the end-to-end harness reads them.

use leptos::prelude::*;
use serde::Serialize;
use wasm_bindgen::JsValue;

use super::app::pick_device;
use super::host::{yield_now, Pacer};
use crate::config::BackendChoice;
use crate::data::synthetic::random_mnist_shaped;
use crate::train::bench::{bench_model, BenchSpec, BenchTiming, BENCH_MODELS};
use crate::train::{Flow, Observer, TrainEvent};

/// What the query string asks for: the backend and the timed steps per model.
pub(super) fn requested() -> Option<(BackendChoice, usize)> {
    let search = web_sys::window()?.location().search().ok()?;
    let mut backend = None;
    let mut steps = BenchSpec::default().steps;
    for pair in search.trim_start_matches('?').split('&') {
        match pair.split_once('=') {
            Some(("bench", "cpu")) => backend = Some(BackendChoice::Cpu),
            Some(("bench", "webgpu")) => backend = Some(BackendChoice::Wgpu),
            Some(("bench_steps", n)) => {
                steps = n.parse().ok().filter(|&n| (1..=1000).contains(&n))?
            }
            _ => {}
        }
    }
    backend.map(|b| (b, steps))
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

/// Bytes of the wasm module's linear memory.
fn wasm_memory_bytes() -> f64 {
    let buffer = js_sys::Reflect::get(&wasm_bindgen::memory(), &JsValue::from_str("buffer"));
    buffer
        .ok()
        .and_then(|b| js_sys::Reflect::get(&b, &JsValue::from_str("byteLength")).ok())
        .and_then(|n| n.as_f64())
        .unwrap_or(0.0)
}

/// Yields to the browser at most every 30 ms of work, so the page stays responsive.
struct Yielding(Pacer);

impl Observer for Yielding {
    async fn on_event(&mut self, _event: &TrainEvent) -> Flow {
        self.0.breathe().await;
        Flow::Continue
    }
}

/// Shown only when the query string asks for a benchmark; runs it once on mount.
#[component]
pub fn BenchPanel() -> impl IntoView {
    let lines = RwSignal::new(Vec::<String>::new());
    let status = RwSignal::new(String::new());
    let wanted = requested();
    if let Some((choice, steps)) = wanted {
        leptos::task::spawn_local(async move {
            let result = async {
                status.set("Benchmark: preparing data…".into());
                yield_now().await;
                let data = random_mnist_shaped(60_000, 1, 0);
                let (device, info) = pick_device(choice, None).await?;
                let spec = BenchSpec {
                    steps,
                    ..Default::default()
                };
                for model in BENCH_MODELS {
                    status.set(format!("Benchmark: {} on {}…", model.name(), info.detail));
                    let timing = bench_model(
                        model,
                        &spec,
                        &data,
                        &device,
                        &mut Yielding(Pacer::new(30.0)),
                    )
                    .await
                    .map_err(|e| format!("{}: {e}", model.name()))?;
                    let line = PageBenchLine {
                        backend: info.detail.clone(),
                        timing,
                        wasm_memory_mib: wasm_memory_bytes() / (1024.0 * 1024.0),
                    };
                    let json = serde_json::to_string(&line).map_err(|e| e.to_string())?;
                    lines.update(|l| l.push(json));
                }
                Ok::<_, String>(())
            }
            .await;
            status.set(match result {
                Ok(()) => "Benchmark done.".into(),
                Err(e) => format!("Benchmark failed: {e}"),
            });
        });
    }
    view! {
        <Show when=move || wanted.is_some()>
            <section class="panel" data-testid="bench">
                <h2>"Benchmark"</h2>
                <p data-testid="bench-status" aria-live="polite">{move || status.get()}</p>
                <pre data-testid="bench-results">{move || lines.get().join("\n")}</pre>
            </section>
        </Show>
    }
}
