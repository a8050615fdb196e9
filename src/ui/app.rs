//! The page layout and what the Train button starts.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::Device;
use leptos::prelude::*;

use super::bench::BenchPanel;
use super::charts::{LossChart, Results, Samples};
use super::data_panel::{load_url, organamnist, DataPanel};
use super::form::ExperimentForm;
use super::host::{fetch_gunzipped, location_search, now_ms, sleep_ms, webgpu_adapter, yield_now};
use super::runs::RunsPanel;
use super::share::{mirror_config_in_address_bar, SharePanel};
use super::state::{page_defaults, LabState, RunView};
use crate::backend::{self, BackendInfo};
use crate::config::{BackendChoice, DatasetKind, ExperimentConfig};
use crate::data::{mnist, Dataset};
use crate::eval::Probes;
use crate::link::from_query;
use crate::pipeline::run_experiment;
use crate::report::plot::{reconstructions_svg, scatter_svg};
use crate::train::events::Terms;
use crate::train::{Flow, Observer, TrainEvent};

thread_local! {
    /// MNIST, parsed once per page load.
    static MNIST: RefCell<Option<Rc<Dataset>>> = const { RefCell::new(None) };
    /// burn's wgpu runtime can be initialised once per page; later runs reuse the device.
    static WGPU: RefCell<Option<(Device, String)>> = const { RefCell::new(None) };
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let state = LabState::new();
    provide_context(state);
    let start = move || {
        if state.running.get_untracked() {
            return;
        }
        let cfg = state.config.get_untracked();
        if let Err(e) = cfg.validate() {
            state.error.set(Some(e.to_string()));
            return;
        }
        leptos::task::spawn_local(run(state, cfg));
    };
    let train = move |_| start();
    // A shared link: restore the form (bad parameters fall back, with a notice), load its data
    // URL, and start the run when it says so.
    if let Some(message) = super::recovery::message_after_restart() {
        state.error.set(Some(format!(
            "The page restarted after an internal error ({message}); the experiment and the saved runs are back."
        )));
    }
    let search = location_search();
    let restored = from_query(&search, &page_defaults());
    state.config.set(restored.config);
    state.link_notices.set(restored.notices);
    mirror_config_in_address_bar(state);
    // The saved runs come back first, then the link's data and run.
    let data_url = restored.data_url.clone();
    leptos::task::spawn_local(async move {
        state.restore_history().await;
        if let Some(url) = data_url {
            load_url(state, url).await;
        }
        if restored.autostart {
            start();
        }
    });
    view! {
        <header>
            <h1>"dml-lab"</h1>
            <p class="muted">"Semi-supervised deep metric learning, trained in your browser."</p>
        </header>
        <main>
            <div class="controls">
                <ExperimentForm />
                <DataPanel />
                <div class="buttons">
                    <button data-testid="train" on:click=train
                        disabled=move || state.running.get() || state.config.with(|c| c.validate().is_err())>"Train"</button>
                    <button data-testid="pause" on:click=move |_| state.paused.update(|p| *p = !*p)
                        disabled=move || !state.running.get()>
                        {move || if state.paused.get() { "Resume" } else { "Pause" }}
                    </button>
                    <button data-testid="stop" on:click=move |_| state.stop_requested.set(true)
                        disabled=move || !state.running.get()>"Stop"</button>
                </div>
                <SharePanel />
                <p data-testid="status" class="status" aria-live="polite">{move || state.status.get()}</p>
                <p data-testid="data-summary" class="muted">{move || state.data_summary.get()}</p>
                <p data-testid="backend-used" data-kind=move || state.backend_kind.get() class="muted">
                    {move || state.backend_used.get().map(|b| format!("Backend: {b}"))}
                </p>
                <Show when=move || state.error.get().is_some()>
                    <p data-testid="error" class="error" role="alert">{move || state.error.get()}</p>
                </Show>
            </div>
            <BenchPanel />
            <LossChart />
            <Results />
            <RunsPanel />
            <Samples />
        </main>
    }
}

/// Loads MNIST from the `mnist/` folder next to the page (gzip IDX files), once.
async fn load_mnist(state: LabState) -> Result<Rc<Dataset>, String> {
    if let Some(data) = MNIST.with(|m| m.borrow().clone()) {
        return Ok(data);
    }
    state.status.set("Downloading MNIST…".into());
    let mut files = Vec::new();
    for name in [
        mnist::TRAIN_IMAGES,
        mnist::TRAIN_LABELS,
        mnist::TEST_IMAGES,
        mnist::TEST_LABELS,
    ] {
        files.push(fetch_gunzipped(&format!("./mnist/{name}.gz")).await?);
    }
    let [train_images, train_labels, test_images, test_labels] =
        <[Vec<u8>; 4]>::try_from(files).expect("four files");
    let data = mnist::from_bytes(mnist::MnistBytes {
        train_images: &train_images,
        train_labels: &train_labels,
        test_images: &test_images,
        test_labels: &test_labels,
    })
    .map_err(|e| e.to_string())?;
    let data = Rc::new(data);
    state.data_summary.set(Some(format!(
        "MNIST: {} training / {} test images",
        data.train.len(),
        data.test.len()
    )));
    state.show_samples(&data);
    MNIST.with(|m| *m.borrow_mut() = Some(data.clone()));
    Ok(data)
}

/// The device for `choice`: WebGPU when asked for (or for Auto when an adapter exists), else the
/// wasm CPU backend, with the reason.
pub(super) async fn pick_device(choice: BackendChoice) -> Result<(Device, BackendInfo), String> {
    let cpu = |why: String| {
        (
            backend::cpu(),
            BackendInfo {
                kind: "cpu".into(),
                detail: why,
            },
        )
    };
    if choice == BackendChoice::Cpu {
        return Ok(cpu("CPU (wasm, ndarray): chosen in the form".into()));
    }
    if let Some((device, adapter)) = WGPU.with(|w| w.borrow().clone()) {
        return Ok((
            device,
            BackendInfo {
                kind: "wgpu".into(),
                detail: format!("WebGPU: {adapter}"),
            },
        ));
    }
    let attempt = async {
        let adapter = webgpu_adapter().await?;
        let device = backend::wgpu()
            .await
            .map_err(|e| format!("WebGPU initialisation failed: {e}"))?;
        Ok::<_, String>((device, adapter))
    };
    match attempt.await {
        Ok((device, adapter)) => {
            WGPU.with(|w| *w.borrow_mut() = Some((device.clone(), adapter.clone())));
            Ok((
                device,
                BackendInfo {
                    kind: "wgpu".into(),
                    detail: format!("WebGPU: {adapter}"),
                },
            ))
        }
        Err(why) if choice == BackendChoice::Auto => Ok(cpu(format!("CPU (wasm, ndarray): {why}"))),
        Err(why) => Err(why),
    }
}

/// Loads data, picks the device, trains, evaluates and shows the result; errors land in the page.
async fn run(state: LabState, cfg: ExperimentConfig) {
    if super::host::injected_fault().as_deref() == Some("panic") {
        panic!("fault injected by a test (window.__dmlLabFault = \"panic\")");
    }
    state.running.set(true);
    state.stop_requested.set(false);
    state.paused.set(false);
    state.error.set(None);
    state.curves.set(Default::default());
    let outcome = async {
        let data = match cfg.dataset {
            DatasetKind::Mnist => load_mnist(state).await?,
            DatasetKind::Organamnist => organamnist().ok_or(
                "OrganAMNIST is not loaded: pick or drop organamnist.npz, or give its URL, in the data panel",
            )?,
        };
        state.status.set("Starting the backend…".into());
        let (device, info) = pick_device(cfg.backend).await?;
        state.backend_kind.set(Some(info.kind.clone()));
        state.backend_used.set(Some(info.detail.clone()));
        let mut observer = PageObserver::new(state);
        let outcome = run_experiment(&cfg, &data, &device, info, Probes::ALL, &mut observer)
            .await
            .map_err(|e| e.to_string())?;
        observer.flush();
        let Some(outcome) = outcome else {
            return Ok(None);
        };
        state.status.set("Drawing the scatter…".into());
        yield_now().await;
        let svg = scatter_svg(&outcome.scatter, 560, 560)?;
        let r = &outcome.record;
        state.add_run(r.clone());
        super::runs::keep_model(outcome.model.clone(), r.config.clone());
        let recon_svg = match r.figures.as_ref().and_then(|f| f.reconstructions.as_ref()) {
            Some(grid) => Some(reconstructions_svg(grid, 2)?),
            None => None,
        };
        Ok::<_, String>(Some(RunView {
            metrics: r.metrics.clone(),
            recon_svg,
            components: outcome.scatter.components.len(),
            ms_per_step: r.timings.seconds_per_step * 1000.0,
            train_seconds: r.timings.train_seconds,
            eval_seconds: r.timings.eval_seconds,
            points: outcome.scatter.points.len(),
            scatter_svg: svg,
            class_names: data.class_names.clone(),
            stopped_early: r.stopped_early,
        }))
    }
    .await;
    match outcome {
        Ok(Some(view)) => {
            state.status.set(format!(
                "Done: kNN accuracy {:.4}, AMI {:.4}.",
                view.metrics.knn.accuracy, view.metrics.knn.ami
            ));
            state.result.set(Some(view));
        }
        Ok(None) => state
            .status
            .set("Stopped during evaluation; no metrics.".into()),
        Err(e) => {
            state.status.set("Failed.".into());
            state.error.set(Some(e));
        }
    }
    state.paused.set(false);
    state.running.set(false);
}

/// Shows progress in the page and yields to the browser at least every `YIELD_MS`.
struct PageObserver {
    state: LabState,
    pending: Vec<(f64, Terms)>,
    last_yield: f64,
    last_draw: f64,
    total_steps: usize,
    steps_per_epoch: usize,
    started: f64,
}

/// Longest stretch of work between two yields to the browser.
const YIELD_MS: f64 = 30.0;
/// Shortest interval between two redraws of the loss curve.
const DRAW_MS: f64 = 250.0;

impl PageObserver {
    fn new(state: LabState) -> Self {
        let now = now_ms();
        Self {
            state,
            pending: Vec::new(),
            last_yield: now,
            last_draw: now,
            total_steps: 0,
            steps_per_epoch: 0,
            started: now,
        }
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let new = std::mem::take(&mut self.pending);
            self.state
                .curves
                .update(|c| new.iter().for_each(|(step, terms)| c.push(*step, terms)));
        }
        self.last_draw = now_ms();
    }
}

impl Observer for PageObserver {
    async fn on_event(&mut self, event: &TrainEvent) -> Flow {
        match event {
            TrainEvent::Started {
                epochs,
                steps_per_epoch,
                labelled,
            } => {
                self.total_steps = epochs * steps_per_epoch;
                self.steps_per_epoch = *steps_per_epoch;
                self.started = now_ms();
                self.state.status.set(format!(
                    "Training: {labelled} labelled images, {} steps…",
                    self.total_steps
                ));
            }
            TrainEvent::Step {
                epoch,
                step,
                global_step,
                loss,
                terms,
            } => {
                self.pending.push((*global_step as f64, terms.clone()));
                let now = now_ms();
                if now - self.last_draw > DRAW_MS {
                    self.flush();
                    let rate = *global_step as f64 / ((now - self.started) / 1000.0).max(1e-9);
                    let left = (self.total_steps - global_step) as f64 / rate.max(1e-9);
                    self.state.status.set(format!(
                        "Epoch {epoch}, step {step}/{} · loss {loss:.4} · {rate:.1} steps/s · {left:.0} s left",
                        self.steps_per_epoch
                    ));
                }
            }
            TrainEvent::EpochEnd(r) => {
                self.flush();
                self.state.status.set(format!(
                    "Epoch {} done: mean loss {:.4} ({:.1} s)",
                    r.epoch, r.loss, r.seconds
                ));
            }
            TrainEvent::Embedding { done, total } => self
                .state
                .status
                .set(format!("Embedding test images {done}/{total}…")),
            TrainEvent::Probing { name } => {
                self.state.status.set(format!("Running the {name} probe…"))
            }
        }
        if now_ms() - self.last_yield > YIELD_MS {
            yield_now().await;
            self.last_yield = now_ms();
        }
        if self.state.paused.get_untracked() {
            let since = now_ms();
            let before = self.state.status.get_untracked();
            self.state
                .status
                .set(format!("Paused ({before}). Press Resume to go on."));
            while self.state.paused.get_untracked() && !self.state.stop_requested.get_untracked() {
                sleep_ms(100).await;
            }
            // The steps/s and time-left estimates leave the pause out.
            self.started += now_ms() - since;
            self.last_yield = now_ms();
        }
        if self.state.stop_requested.get_untracked() {
            self.state.stop_requested.set(false);
            self.state.status.set("Stopping…".into());
            return Flow::Stop;
        }
        Flow::Continue
    }
}
