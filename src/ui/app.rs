//! The page layout and what the Train button starts.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::Device;
use leptos::prelude::*;

use super::bench::BenchPanel;
use super::charts::{LossChart, Results, Samples};
use super::data_panel::{load_url, organamnist, DataPanel};
use super::form::ExperimentForm;
use super::host::{
    fetch_gunzipped, location_search, now_ms, sleep_ms, yield_now, Pacer,
};
use super::runs::RunsPanel;
use super::scatter::LatentScatter;
use super::share::{mirror_config_in_address_bar, SharePanel};
use super::state::{page_defaults, LabState, RunView};
use super::sweep_panel::SweepPanel;
use super::device::AdapterAnswer;
use crate::backend::BackendInfo;
use crate::train::speed::AutoChoice;
use crate::config::{BackendChoice, DatasetKind, ExperimentConfig};
use crate::data::{mnist, Dataset};
use crate::eval::Probes;
use crate::link::from_query;
use crate::pipeline::run_experiment;
use crate::report::{RunRecord, Scatter};
use crate::train::events::Terms;
use crate::train::{Flow, Observer, TrainEvent};

thread_local! {
    /// MNIST, parsed once per page load.
    static MNIST: RefCell<Option<Rc<Dataset>>> = const { RefCell::new(None) };
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
        // A run of its own ends any sweep that is still queued.
        state.sweep.set(None);
        start_run(state, state.config.get_untracked());
    };
    let start_sweep = Callback::new(move |cfg: ExperimentConfig| start_run(state, cfg));
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
                    <button data-testid="stop" on:click=move |_| {
                            state.stop_requested.set(true);
                            state.sweep.update(|s| if let Some(s) = s { s.cancelled = true });
                        }
                        disabled=move || !state.running.get()>"Stop"</button>
                </div>
                <SharePanel />
                <SweepPanel start=start_sweep />
                <p data-testid="status" class="status" aria-live="polite">{move || state.status.get()}</p>
                <p data-testid="data-summary" class="muted">{move || state.data_summary.get()}</p>
                <p data-testid="backend-used" data-kind=move || state.backend_kind.get().map(|k| crate::config::name_of(&k)) class="muted">
                    {move || state.backend_used.get().map(|b| format!("Backend: {b}"))}
                </p>
                <Show when=move || state.error.get().is_some()>
                    <p data-testid="error" class="error" role="alert">{move || state.error.get()}</p>
                </Show>
            </div>
            <BenchPanel />
            <LossChart />
            <Results />
            <LatentScatter />
            <RunsPanel />
            <Samples />
        </main>
    }
}

/// Starts a run of `cfg` unless one is running or the config is invalid (the message shows).
fn start_run(state: LabState, cfg: ExperimentConfig) {
    if state.running.get_untracked() {
        return;
    }
    if let Err(e) = cfg.validate() {
        state.error.set(Some(e.to_string()));
        return;
    }
    leptos::task::spawn_local(run(state, cfg));
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

/// A finished run as the page shows it, whether it trained in the worker or in the page.
pub(super) struct Finished {
    pub record: RunRecord,
    /// Every test point.
    pub scatter: Scatter,
    /// The trained weights as .safetensors, or why there are none.
    pub weights: Result<Vec<u8>, String>,
}

/// Trains and evaluates on `device`, then writes the weights: what the worker does, and the page
/// itself when no worker can start.
pub(super) async fn train_to_finish(
    cfg: &ExperimentConfig,
    data: &Dataset,
    device: &Device,
    info: BackendInfo,
    observer: &mut impl Observer,
) -> Result<Option<Finished>, String> {
    let outcome = run_experiment(cfg, data, device, info, Probes::ALL, observer)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match outcome {
        Some(o) => Some(Finished {
            weights: crate::model::weights::to_safetensors(&o.model, cfg).await,
            record: o.record,
            scatter: o.scatter,
        }),
        None => None,
    })
}

/// Trains in the page itself (when no worker can start): the observer yields to the browser.
async fn run_in_page(
    cfg: &ExperimentConfig,
    data: &Dataset,
    adapter: Option<AdapterAnswer>,
    remembered: Option<AutoChoice>,
    state: LabState,
    observer: &mut PageObserver,
) -> Result<Option<Finished>, String> {
    let (device, info) = super::device::pick_device(cfg, data, adapter.clone(), remembered, |s| {
        state.status.set(s)
    })
    .await?;
    show_backend(state, &info, adapter.as_ref(), cfg, data);
    train_to_finish(cfg, data, &device, info, observer).await
}

/// Shows which backend trains, and keeps Auto's measured choice for the next run of this shape.
pub(super) fn show_backend(
    state: LabState,
    info: &BackendInfo,
    adapter: Option<&AdapterAnswer>,
    cfg: &ExperimentConfig,
    data: &Dataset,
) {
    state.backend_kind.set(Some(info.kind));
    state.backend_used.set(Some(info.detail.clone()));
    if let (Some(choice), Some(Ok(adapter))) = (&info.auto, adapter) {
        super::device::remember(adapter, cfg, data, choice);
    }
}

/// Loads data, picks the device, trains, evaluates and shows the result; errors land in the page.
async fn run(state: LabState, cfg: ExperimentConfig) {
    if super::host::injected_fault().as_deref() == Some("panic") {
        panic!("fault injected by a test (window.__dmlLabFault = \"panic\")");
    }
    state.running.set(true);
    state.run_started_ms.set(now_ms());
    state.first_scatter_ms.set(None);
    state.done_ms.set(None);
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
        // Parsing the data and handing it on are each tens of milliseconds: let the page breathe
        // in between (the longest main-thread task stays under 100 ms).
        yield_now().await;
        super::scatter::set_images(&data.test);
        state.scatter.set(None);
        state.status.set("Starting the backend…".into());
        // The page asks for the adapter (for Auto and WebGPU) and looks up Auto's remembered
        // choice; the worker makes the device (and measures, for Auto).
        let adapter = match cfg.backend {
            BackendChoice::Cpu => None,
            _ => Some(super::device::find_adapter().await),
        };
        let remembered = match (&adapter, cfg.backend) {
            (Some(Ok(a)), BackendChoice::Auto) => super::device::remembered(a, &cfg, &data),
            _ => None,
        };
        let mut observer = PageObserver::new(state);
        let finished = match super::remote::run(
            state,
            &cfg,
            &data,
            adapter.clone(),
            remembered.clone(),
            &mut observer,
        )
        .await
        {
            Some(result) => result?,
            None => {
                run_in_page(&cfg, &data, adapter, remembered, state, &mut observer).await?
            }
        };
        observer.flush();
        let Some(outcome) = finished else {
            return Ok(None);
        };
        super::scatter::show(state, &outcome.scatter, None, &data.class_names, None);
        let r = &outcome.record;
        state.add_run(r.clone());
        super::runs::keep_weights(outcome.weights, r.config.clone());
        let recon = r
            .figures
            .as_ref()
            .and_then(|f| f.reconstructions.as_ref())
            .map(super::image_rows::ImageRows::reconstructions);
        Ok::<_, String>(Some(RunView {
            metrics: r.metrics.clone(),
            recon,
            ms_per_step: r.timings.seconds_per_step * 1000.0,
            train_seconds: r.timings.train_seconds,
            eval_seconds: r.timings.eval_seconds,
            class_names: data.class_names.clone(),
            stopped_early: r.stopped_early,
        }))
    }
    .await;
    match outcome {
        Ok(Some(view)) => {
            state
                .done_ms
                .set(Some(now_ms() - state.run_started_ms.get_untracked()));
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
            // In a sweep the failure is noted and the next run goes on.
            state.sweep.update(|s| {
                if let Some(s) = s.as_mut().filter(|s| s.started > 0) {
                    let name = s.runs[s.started - 1].0.clone();
                    s.failed.push((name, e.clone()));
                }
            });
            state.error.set(Some(e));
        }
    }
    state.paused.set(false);
    state.running.set(false);
    let next = state
        .sweep
        .try_update(|s| s.as_mut().and_then(|s| s.take_next()))
        .flatten();
    if let Some((_, _, cfg)) = next {
        start_run(state, cfg);
    }
}

/// Shows progress in the page; when training runs in the page itself, it also yields to the
/// browser at least every `YIELD_MS` and handles Pause and Stop.
pub(super) struct PageObserver {
    state: LabState,
    pending: Vec<(f64, Terms)>,
    pacer: Pacer,
    last_draw: f64,
    total_steps: usize,
    steps_per_epoch: usize,
    started: f64,
    paused_since: f64,
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
            pacer: Pacer::new(YIELD_MS),
            last_draw: now,
            total_steps: 0,
            steps_per_epoch: 0,
            started: now,
            paused_since: now,
        }
    }

    pub(super) fn flush(&mut self) {
        if !self.pending.is_empty() {
            let new = std::mem::take(&mut self.pending);
            self.state
                .curves
                .update(|c| new.iter().for_each(|(step, terms)| c.push(*step, terms)));
        }
        self.last_draw = now_ms();
    }
}

impl PageObserver {
    /// Says in the status line that the run is paused, or takes up again from the pause.
    pub(super) fn show_pause(&mut self, paused: bool) {
        if paused {
            self.paused_since = now_ms();
            let before = self.state.status.get_untracked();
            self.state
                .status
                .set(format!("Paused ({before}). Press Resume to go on."));
        } else {
            // The steps/s and time-left estimates leave the pause out.
            self.started += now_ms() - self.paused_since;
            self.state.status.set("Resumed.".into());
        }
    }

    /// Shows one training event (status line, loss curve).
    pub(super) fn show(&mut self, event: &TrainEvent) {
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
    }
}

impl Observer for PageObserver {
    async fn on_event(&mut self, event: &TrainEvent) -> Flow {
        self.show(event);
        self.pacer.breathe().await;
        if self.state.paused.get_untracked() {
            self.show_pause(true);
            while self.state.paused.get_untracked() && !self.state.stop_requested.get_untracked() {
                sleep_ms(100).await;
            }
            self.show_pause(false);
            self.pacer.restart();
        }
        if self.state.stop_requested.get_untracked() {
            self.state.stop_requested.set(false);
            self.state.status.set("Stopping…".into());
            return Flow::Stop;
        }
        Flow::Continue
    }
}
