//! The page's side of the training worker (`worker.rs` runs inside it): starts it once, sends
//! it the dataset (again only when it changed) and the run, forwards Pause/Stop, and turns its
//! messages back into what the page shows. Training and evaluation never run on the main
//! thread; when a browser cannot start the worker, `app` trains in the page instead. The
//! worker's link lives in the page's session (`session::WorkerLink`).

use std::rc::{Rc, Weak};

use js_sys::Reflect;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use super::device::AdapterAnswer;
use super::host::sleep_ms;
use super::progress::{show_backend, PageObserver};
use super::protocol::{dataset_to_js, from_worker, to_js, FromWorker, ToWorker};
use super::session::{Inbox, WorkerLink};
use super::startup::{StartStep, StartWatch};
use super::state::LabState;
use crate::config::{BackendChoice, ExperimentConfig};
use crate::data::Dataset;
use crate::eval::tsne::TSNE_POINTS;
use crate::pipeline::Finished;
use crate::report::{Projection, Scatter};
use crate::train::speed::AutoChoice;
use crate::train::TrainEvent;

#[wasm_bindgen(module = "/src/ui/worker.js")]
extern "C" {
    #[wasm_bindgen(js_name = trainerStart)]
    fn trainer_start(on_message: &Closure<dyn FnMut(JsValue)>, fault: Option<String>) -> bool;
    #[wasm_bindgen(js_name = trainerPost)]
    fn trainer_post(message: &JsValue, transfer: &js_sys::Array);
    #[wasm_bindgen(js_name = trainerEnd)]
    fn trainer_end();
}

/// How a run given to the worker ended (one value per run: its size does not matter).
#[allow(clippy::large_enum_variant)]
pub enum InWorker {
    /// It ran there: its result, or why it failed.
    Ended(Result<Option<Finished>, String>),
    /// No worker could run it (why): the page trains it itself.
    InPage(String),
    /// WebGPU stalled in the worker (why), which was ended: Auto runs again on the CPU.
    GpuStalled(String),
}

/// The worker's inbox, starting the worker if this page has none (`Err`: why this browser
/// cannot run one).
fn start(state: LabState, fault: Option<String>) -> Result<Inbox, String> {
    if let Some(inbox) = state
        .session
        .with_value(|s| s.worker.as_ref().map(|w| w.inbox.clone()))
    {
        return Ok(inbox);
    }
    if let Some(why) = state.session.with_value(|s| s.worker_unavailable.clone()) {
        return Err(why);
    }
    let inbox: Inbox = Default::default();
    let sink = inbox.clone();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |m: JsValue| {
        sink.borrow_mut().push_back(from_worker(&m));
    });
    if !trainer_start(&on_message, fault) {
        let why = "this browser cannot start a module worker".to_string();
        state
            .session
            .update_value(|s| s.worker_unavailable = Some(why.clone()));
        return Err(why);
    }
    state.session.update_value(|s| {
        s.worker = Some(WorkerLink {
            inbox: inbox.clone(),
            sent: Weak::new(),
            ready: false,
            _on_message: on_message,
        })
    });
    Ok(inbox)
}

/// Ends a worker that could not boot or stalled before training; this page trains in itself
/// from now on.
fn cannot_boot(state: LabState, why: String) -> InWorker {
    end(state);
    state
        .session
        .update_value(|s| s.worker_unavailable = Some(why.clone()));
    InWorker::InPage(why)
}

/// Ends the worker (after a crash or a stall); the next run starts a fresh one.
fn end(state: LabState) {
    trainer_end();
    state.session.update_value(|s| s.worker = None);
}

fn send(command: &ToWorker, data: Option<(JsValue, js_sys::Array)>) {
    let message = to_js(command).expect("commands serialise");
    let transfer = match data {
        Some((data, transfer)) => {
            let _ = Reflect::set(&message, &"data".into(), &data);
            transfer
        }
        None => js_sys::Array::new(),
    };
    trainer_post(&message, &transfer);
}

/// Sends `data` unless the worker holds it already; whether it was sent.
async fn hand_over(state: LabState, data: &Rc<Dataset>, fault: Option<String>) -> bool {
    let fresh = state
        .session
        .try_update_value(|s| {
            let w = s.worker.as_mut().expect("started");
            let same = w.sent.upgrade().is_some_and(|d| Rc::ptr_eq(&d, data));
            w.sent = Rc::downgrade(data);
            !same
        })
        .unwrap_or(true);
    if fresh {
        sleep_ms(0).await;
        send(&ToWorker::Data { fault }, Some(dataset_to_js(data).await));
        sleep_ms(0).await;
    }
    fresh
}

/// Whether the worker has said it booted.
fn worker_ready(state: LabState) -> bool {
    state
        .session
        .with_value(|s| s.worker.as_ref().is_some_and(|w| w.ready))
}

/// Runs `cfg` in the worker, showing its progress through `observer` and watching each step
/// of its start (`watch`): a step that stalls ends the worker and says which one it was.
pub async fn train_in_worker(
    state: LabState,
    cfg: &ExperimentConfig,
    data: &Rc<Dataset>,
    adapter: Option<AdapterAnswer>,
    remembered: Option<AutoChoice>,
    observer: &mut PageObserver,
    watch: &mut StartWatch,
) -> InWorker {
    let fault = super::host::injected_fault();
    let inbox = match start(state, fault.clone()) {
        Ok(inbox) => inbox,
        Err(why) => return InWorker::InPage(why),
    };
    let booted = worker_ready(state);
    let sent = hand_over(state, data, fault.clone()).await;
    watch.enter(match (booted, sent) {
        (false, _) => StartStep::WorkerBoot,
        (true, true) => StartStep::Data,
        (true, false) => StartStep::Device,
    });
    state
        .status
        .set(watch.step().map_or("", |s| s.status()).into());
    send(
        &ToWorker::Run {
            config: cfg.clone(),
            adapter: adapter.clone(),
            remembered,
            fault,
        },
        None,
    );
    let gpu_asked = cfg.backend != BackendChoice::Cpu && matches!(adapter, Some(Ok(_)));
    let mut run = WorkerRun {
        state,
        watch,
        sent,
        on_gpu: false,
        gpu_asked,
        paused: false,
        holding: false,
    };
    loop {
        let next = inbox.borrow_mut().pop_front();
        let Some((message, bytes)) = next else {
            if let Some(outcome) = run.idle(observer) {
                return outcome;
            }
            sleep_ms(25).await;
            continue;
        };
        if let Some(outcome) = run.receive(message, bytes, cfg, data, adapter.as_ref(), observer) {
            return outcome;
        }
    }
}

/// A run in the worker as the page follows it.
struct WorkerRun<'w> {
    state: LabState,
    watch: &'w mut StartWatch,
    /// The dataset was sent with this run (the worker confirms it).
    sent: bool,
    /// The worker said it trains on WebGPU.
    on_gpu: bool,
    /// The run may use WebGPU (Auto or WebGPU, with an adapter).
    gpu_asked: bool,
    /// Paused in the page, and whether the worker has said it holds (the status line says
    /// "Paused" only then, after the last step's events).
    paused: bool,
    holding: bool,
}

impl WorkerRun<'_> {
    /// Between messages: forwards Pause and Stop, and ends the run if its start stalled.
    fn idle(&mut self, observer: &mut PageObserver) -> Option<InWorker> {
        let state = self.state;
        if state.paused.get_untracked() != self.paused {
            self.paused = !self.paused;
            send(&ToWorker::Pause(self.paused), None);
            if !self.paused && self.holding {
                self.holding = false;
                observer.show_pause(false);
            }
        }
        if state.stop_requested.get_untracked() {
            state.stop_requested.set(false);
            state.status.set("Stopping…".into());
            send(&ToWorker::Stop, None);
        }
        if self.paused {
            // A paused start is not a stalled one.
            self.watch.alive();
        }
        let why = self.watch.stalled()?;
        let step = self.watch.step()?;
        Some(match step {
            StartStep::WorkerBoot | StartStep::Wasm | StartStep::Data => cannot_boot(state, why),
            _ => {
                end(state);
                if self.on_gpu || (self.gpu_asked && step == StartStep::Device) {
                    InWorker::GpuStalled(why)
                } else {
                    InWorker::Ended(Err(format!(
                        "{why}; the training worker was stopped. Press Train to try again"
                    )))
                }
            }
        })
    }

    /// One message from the worker; `Some` when the run ended.
    fn receive(
        &mut self,
        message: FromWorker,
        bytes: Option<Vec<u8>>,
        cfg: &ExperimentConfig,
        data: &Rc<Dataset>,
        adapter: Option<&AdapterAnswer>,
        observer: &mut PageObserver,
    ) -> Option<InWorker> {
        match message {
            FromWorker::Started
            | FromWorker::Ready
            | FromWorker::DataReceived
            | FromWorker::BootFailed(_)
            | FromWorker::Backend(_) => self.starting(message, cfg, data, adapter),
            // A crash before the worker said Ready: it cannot boot in this browser either.
            FromWorker::Crashed(_) if !worker_ready(self.state) => {
                self.starting(message, cfg, data, adapter)
            }
            FromWorker::Finished { .. }
            | FromWorker::Abandoned
            | FromWorker::Failed(_)
            | FromWorker::Crashed(_) => Some(self.ended(message, bytes)),
            _ => {
                self.progress(message, data, observer);
                None
            }
        }
    }

    /// A message of the run's start: each step reports itself; `Some` when the worker cannot
    /// boot.
    fn starting(
        &mut self,
        message: FromWorker,
        cfg: &ExperimentConfig,
        data: &Rc<Dataset>,
        adapter: Option<&AdapterAnswer>,
    ) -> Option<InWorker> {
        let state = self.state;
        match message {
            FromWorker::Started => self.step(StartStep::Wasm),
            FromWorker::Ready => {
                state.session.update_value(|s| {
                    if let Some(w) = s.worker.as_mut() {
                        w.ready = true;
                    }
                });
                self.step(if self.sent {
                    StartStep::Data
                } else {
                    StartStep::Device
                });
            }
            FromWorker::DataReceived => self.step(StartStep::Device),
            FromWorker::BootFailed(why) | FromWorker::Crashed(why) => {
                let why = format!("the training worker did not start ({why})");
                return Some(cannot_boot(state, why));
            }
            FromWorker::Backend(info) => {
                self.on_gpu = info.kind == crate::backend::BackendKind::Wgpu;
                show_backend(state, &info, adapter, cfg, data);
                self.step(StartStep::FirstStep);
            }
            _ => {}
        }
        None
    }

    /// A message while the run goes on: status, events, the live scatter, a pause.
    fn progress(&mut self, message: FromWorker, data: &Rc<Dataset>, observer: &mut PageObserver) {
        let state = self.state;
        match message {
            FromWorker::Status(text) => {
                self.watch.alive();
                state.status.set(text);
            }
            FromWorker::Event(event) => {
                if matches!(event, TrainEvent::Step { .. }) && self.watch.step().is_some() {
                    self.watch.finish();
                    state.startup.set(Some(self.watch.figures()));
                }
                self.watch.alive();
                observer.show(&event);
            }
            FromWorker::LiveScatter {
                epoch,
                step,
                scatter,
            } => {
                let names = &data.class_names;
                super::scatter::show(state, &scatter, None, names, Some((epoch, step)))
            }
            FromWorker::Paused if self.paused && !self.holding => {
                self.holding = true;
                observer.flush();
                observer.show_pause(true);
            }
            // Only the Dawn runner asks for a benchmark; projections are asked between runs.
            _ => {}
        }
    }

    /// The run's end: its result (with the weights, which came as `bytes`) or why there is
    /// none.
    fn ended(&mut self, message: FromWorker, bytes: Option<Vec<u8>>) -> InWorker {
        match message {
            FromWorker::Finished {
                record,
                scatter,
                weights_error,
                memory,
            } => {
                self.state.worker_memory.set(Some(memory));
                InWorker::Ended(Ok(Some(Finished {
                    record: *record,
                    scatter,
                    weights: bytes
                        .ok_or(weights_error.unwrap_or_else(|| "no weights came back".into())),
                    // The worker keeps them (`project_in_worker`).
                    embeddings: Vec::new(),
                })))
            }
            FromWorker::Abandoned => InWorker::Ended(Ok(None)),
            FromWorker::Crashed(e) => {
                end(self.state);
                InWorker::Ended(Err(format!(
                    "{e}; the worker was restarted, the page and its runs are kept"
                )))
            }
            FromWorker::Failed(e) => InWorker::Ended(Err(e)),
            _ => InWorker::Ended(Err("the worker sent an unexpected message".into())),
        }
    }

    /// The run's start reached `step`: the status line says so.
    fn step(&mut self, step: StartStep) {
        self.watch.enter(step);
        if self.watch.step() == Some(step) {
            self.state.status.set(step.status().into());
        }
    }
}

/// The last run's scatter in `projection`, made by the worker from the embeddings it kept, and
/// the seconds it took; `None` when this page has no worker (it trained in the page).
pub async fn project_in_worker(
    state: LabState,
    projection: Projection,
) -> Option<Result<(Scatter, f64), String>> {
    let inbox = state
        .session
        .with_value(|s| s.worker.as_ref().map(|w| w.inbox.clone()))?;
    send(&ToWorker::Project(projection), None);
    loop {
        let next = inbox.borrow_mut().pop_front();
        let Some((message, _)) = next else {
            sleep_ms(25).await;
            continue;
        };
        match message {
            FromWorker::Projected { scatter, seconds } => return Some(Ok((scatter, seconds))),
            FromWorker::ProjectionFailed(e) | FromWorker::Failed(e) => return Some(Err(e)),
            FromWorker::Crashed(e) => {
                end(state);
                return Some(Err(format!("{e}; the worker was restarted")));
            }
            _ => {}
        }
    }
}

/// Shows the last finished run in the chosen projection: PCA (or the 2-D latent space) at
/// once, t-SNE computed by the worker (in the page when it trained there).
pub async fn show_projection(state: LabState) {
    let projection = state.projection.get_untracked();
    let Some((pca, names)) = state.session.with_value(|s| s.last_scatter.clone()) else {
        return;
    };
    if projection == Projection::Pca || pca.axes != Projection::Pca.label() {
        super::scatter::show(state, &pca, None, &names, None);
        return;
    }
    state.projecting.set(true);
    let n = TSNE_POINTS.min(pca.points.len());
    state.status.set(format!(
        "Computing the {} of the first {n} test images…",
        projection.label()
    ));
    let result = match project_in_worker(state, projection).await {
        Some(result) => result,
        None => {
            super::host::yield_now().await;
            let start = super::host::now_ms();
            match state.session.with_value(|s| s.embeddings.clone()) {
                Some((e, dim, labels)) => Scatter::tsne(&e, dim, &labels)
                    .map(|s| (s, (super::host::now_ms() - start) / 1000.0)),
                None => Err("no finished run to project".into()),
            }
        }
    };
    state.projecting.set(false);
    // A run started meanwhile, or another choice: this result is no longer wanted.
    if state.running.get_untracked() || state.projection.get_untracked() != projection {
        return;
    }
    match result {
        Ok((scatter, seconds)) => {
            super::scatter::show(state, &scatter, None, &names, None);
            state.scatter.update(|c| {
                if let Some(c) = c {
                    c.seconds = Some(seconds);
                }
            });
            state.status.set(format!(
                "{} of {n} test images in {seconds:.1} s.",
                projection.label()
            ));
        }
        Err(e) => {
            state
                .error
                .set(Some(format!("The latent space stays in PCA: {e}.")));
            state.projection.set(Projection::Pca);
            super::scatter::show(state, &pca, None, &names, None);
        }
    }
}
