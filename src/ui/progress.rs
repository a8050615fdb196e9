//! How the page shows a run's progress: the status line, the loss curves, which backend trains
//! (and Auto's figures), pause and stop. `PageObserver` hears every training event, from the
//! worker's messages or, when the page trains in itself, from the trainer directly.

use leptos::prelude::*;

use super::device::{remember, AdapterAnswer};
use super::host::{now_ms, sleep_ms, Pacer};
use super::state::LabState;
use crate::config::ExperimentConfig;
use crate::data::Dataset;
use crate::train::events::Terms;
use crate::train::speed::BackendInfo;
use crate::train::{Flow, Observer, TrainEvent};

/// Shows which backend trains, and keeps Auto's measured choice for the next run of this shape.
pub fn show_backend(
    state: LabState,
    info: &BackendInfo,
    adapter: Option<&AdapterAnswer>,
    cfg: &ExperimentConfig,
    data: &Dataset,
) {
    state.backend_kind.set(Some(info.kind));
    state.backend_used.set(Some(info.detail.clone()));
    if let (Some(choice), Some(Ok(adapter))) = (&info.auto, adapter) {
        remember(adapter, cfg, data, choice);
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
    pub fn new(state: LabState) -> Self {
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
            TrainEvent::Embedding { of, done, total } => self
                .state
                .status
                .set(format!("Embedding {} {done}/{total}…", of.images())),
            TrainEvent::Neighbours { done, total } => self.state.status.set(format!(
                "Finding each training image's nearest images {done}/{total}…"
            )),
            TrainEvent::Probing { name } => {
                self.state.status.set(format!("Running the {name} probe…"))
            }
            TrainEvent::ProbeDone {
                label,
                result,
                seconds,
            } => self.state.probes_done.update(|done| {
                done.push((label.clone(), result.clone(), *seconds));
            }),
            TrainEvent::Accuracy(p) => self.state.accuracy.update(|a| a.push(*p)),
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
