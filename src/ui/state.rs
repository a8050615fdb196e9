//! The page's reactive state, shared by the components through context.

use leptos::prelude::*;

use super::session::Session;
use crate::config::{ExperimentConfig, ModelKind};
use crate::eval::Metrics;
use crate::link::LinkDefaults;
use crate::report::{Curves, RunRecord};

/// Scores and scatter of the last finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunView {
    /// Every probe's scores and seconds.
    pub metrics: Metrics,
    /// Originals over reconstructions, for models with a decoder.
    pub recon: Option<super::image_rows::ImageRows>,
    pub ms_per_step: f64,
    pub train_seconds: f64,
    pub eval_seconds: f64,
    pub class_names: Vec<String>,
    pub stopped_early: bool,
    /// Active units and KL of the test embeddings (shown as bars for variational models).
    pub latent: Option<crate::report::run_record::LatentDiagnostics>,
    pub variational: bool,
    /// Why the run counts as collapsed and what usually fixes it, if it does.
    pub collapse: Option<(String, String)>,
}

/// Every signal of the page; `Copy`, so closures and tasks take it by value.
#[derive(Clone, Copy)]
pub struct LabState {
    pub config: RwSignal<ExperimentConfig>,
    pub running: RwSignal<bool>,
    pub stop_requested: RwSignal<bool>,
    /// Training waits (between steps) while this is set.
    pub paused: RwSignal<bool>,
    pub status: RwSignal<String>,
    pub data_summary: RwSignal<Option<String>>,
    /// What ran: "WebGPU — adapter" or "CPU (wasm) — why".
    pub backend_used: RwSignal<Option<String>>,
    pub backend_kind: RwSignal<Option<crate::backend::BackendKind>>,
    /// Loss terms per step of the current run.
    pub curves: RwSignal<Curves>,
    pub result: RwSignal<Option<RunView>>,
    /// The finished variational run's latent diagnostics (its bars): set a task after `result`,
    /// so that the chart is drawn in a task of its own.
    pub latent_bars: RwSignal<Option<crate::report::run_record::LatentDiagnostics>>,
    /// Chance accuracy on the current run's test set (the accuracy chart's dashed line), known
    /// as soon as its data has loaded.
    pub chance: RwSignal<Option<f64>>,
    /// The sweep queued in the page, if any.
    pub sweep: RwSignal<Option<crate::sweep::Queue>>,
    /// What the latent scatter shows (it is drawn on its canvas by `scatter`).
    pub scatter: RwSignal<Option<ScatterCaption>>,
    pub error: RwSignal<Option<String>>,
    /// What the OrganAMNIST file gave (sizes, classes), or a download in progress.
    pub npz_summary: RwSignal<Option<String>>,
    /// Where the loaded OrganAMNIST file came from, when it was a URL (kept in links).
    pub data_url: RwSignal<Option<String>>,
    /// Why the last OrganAMNIST file or URL could not be used.
    pub npz_error: RwSignal<Option<String>>,
    /// Link parameters that were ignored or replaced by defaults.
    pub link_notices: RwSignal<Vec<String>>,
    /// The link restored older defaults than today's (and what today's would change).
    pub older_defaults: RwSignal<Option<crate::link::OlderDefaults>>,
    /// The last link made by "Copy link".
    pub share_link: RwSignal<Option<String>>,
    /// Every finished run of this page and of its saved history, oldest first (the comparison
    /// table and exports).
    pub runs: RwSignal<Vec<RunRecord>>,
    /// Each entry of `runs`: a page-local id, and its IndexedDB key (`None` until saved, or
    /// when saving failed).
    pub run_keys: RwSignal<Vec<(u64, Option<u32>)>>,
    /// What happened to the run history (restored runs, or why it is unavailable).
    pub history_note: RwSignal<Option<String>>,
    /// A few images per class of the last dataset loaded: (title, images).
    pub samples: RwSignal<Option<(String, super::image_rows::ImageRows)>>,
    /// The page's clock (ms) when Train started the current run.
    pub run_started_ms: RwSignal<f64>,
    /// When each start-up step of the current run ended (`key:ms` after Train, `startup`).
    pub startup: RwSignal<Option<String>>,
    /// The training worker's wasm memory (bytes) after the last run it finished.
    pub worker_memory: RwSignal<Option<f64>>,
    /// Why the current run trains in the page rather than in the training worker.
    pub in_page: RwSignal<Option<String>>,
    /// Milliseconds from Train to the run's first latent scatter.
    pub first_scatter_ms: RwSignal<Option<f64>>,
    /// Milliseconds from Train to the run's last probe.
    pub done_ms: RwSignal<Option<f64>>,
    /// The current run's finished probes (label, scores in words, seconds), shown while the
    /// others run.
    pub probes_done: RwSignal<Vec<(String, String, f64)>>,
    /// The current run's kNN accuracy on the first test images while training went on.
    pub accuracy: RwSignal<Vec<crate::train::AccuracyPoint>>,
    /// Which projection the latent scatter shows for d > 2.
    pub projection: RwSignal<crate::report::Projection>,
    /// The runs picked for comparison (their page-local ids, as in `run_keys`).
    pub compare: RwSignal<Vec<u64>>,
    /// The projection being computed (the selector waits), if any.
    pub projecting: RwSignal<bool>,
    /// What the page keeps between runs without showing it (datasets, worker, weights).
    pub session: StoredValue<Session, LocalStorage>,
}

/// What the latent scatter shows now.
#[derive(Clone, Debug, PartialEq)]
pub struct ScatterCaption {
    /// `Some((epoch, step))` while training (a snapshot), `None` for the evaluated run.
    pub training: Option<(usize, usize)>,
    pub points: usize,
    pub components: usize,
    pub axes: String,
    /// Seconds the projection took, when it was asked for (t-SNE).
    pub seconds: Option<f64>,
}

/// A new id for a run of this page (its position in `runs` changes as runs are deleted).
fn next_local_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The form's config for `model` when the page opens (a link states only what differs from
/// it): the model's recommended config, one epoch.
pub fn page_defaults(model: ModelKind) -> ExperimentConfig {
    page_defaults_in(ExperimentConfig::DEFAULTS_VERSION, model)
}

/// [`page_defaults`] as they were in a version of the defaults (one epoch in each; version 1
/// is the plain config every model had before the defaults became per model).
fn page_defaults_in(version: u32, model: ModelKind) -> ExperimentConfig {
    ExperimentConfig {
        epochs: 1,
        ..ExperimentConfig::recommended_in(version, model)
    }
}

/// What links are read against and written from: [`page_defaults_in`] the link's version.
pub fn link_defaults() -> LinkDefaults<'static> {
    LinkDefaults {
        of_version: &page_defaults_in,
    }
}

impl LabState {
    pub fn new() -> Self {
        Self {
            config: RwSignal::new(page_defaults(ModelKind::Dml)),
            running: RwSignal::new(false),
            stop_requested: RwSignal::new(false),
            paused: RwSignal::new(false),
            status: RwSignal::new("Ready.".into()),
            data_summary: RwSignal::new(None),
            backend_used: RwSignal::new(None),
            backend_kind: RwSignal::new(None),
            curves: RwSignal::new(Curves::default()),
            result: RwSignal::new(None),
            latent_bars: RwSignal::new(None),
            chance: RwSignal::new(None),
            sweep: RwSignal::new(None),
            scatter: RwSignal::new(None),
            error: RwSignal::new(None),
            npz_summary: RwSignal::new(None),
            npz_error: RwSignal::new(None),
            data_url: RwSignal::new(None),
            link_notices: RwSignal::new(Vec::new()),
            older_defaults: RwSignal::new(None),
            share_link: RwSignal::new(None),
            runs: RwSignal::new(Vec::new()),
            run_keys: RwSignal::new(Vec::new()),
            history_note: RwSignal::new(None),
            samples: RwSignal::new(None),
            run_started_ms: RwSignal::new(0.0),
            startup: RwSignal::new(None),
            in_page: RwSignal::new(None),
            worker_memory: RwSignal::new(None),
            first_scatter_ms: RwSignal::new(None),
            done_ms: RwSignal::new(None),
            probes_done: RwSignal::new(Vec::new()),
            accuracy: RwSignal::new(Vec::new()),
            projection: RwSignal::new(Default::default()),
            projecting: RwSignal::new(false),
            compare: RwSignal::new(Vec::new()),
            session: StoredValue::new_local(Session::default()),
        }
    }

    /// Shows a few images of each class of a dataset that has just loaded.
    pub fn show_samples(self, data: &crate::data::Dataset) {
        let per_class = 8;
        let rows =
            super::image_rows::ImageRows::class_samples(&data.train, &data.class_names, per_class);
        let title = format!(
            "{}: {} training / {} test images, {} classes ({per_class} training images per class)",
            data.name,
            data.train.len(),
            data.test.len(),
            data.num_classes()
        );
        self.samples.set(Some((title, rows)));
    }

    /// Adds a finished run to the table and saves it in the history.
    pub fn add_run(self, record: RunRecord) {
        let local = next_local_id();
        self.runs.update(|runs| runs.push(record.clone()));
        self.run_keys.update(|keys| keys.push((local, None)));
        leptos::task::spawn_local(async move {
            match super::history::save(&record).await {
                Ok(id) => self.run_keys.update(|keys| {
                    if let Some(key) = keys.iter_mut().find(|(l, _)| *l == local) {
                        key.1 = Some(id);
                    }
                }),
                Err(e) => self
                    .history_note
                    .set(Some(format!("this run is not kept across reloads: {e}"))),
            }
        });
    }

    /// Restores the saved runs (before any run of this page) when the page opens.
    pub async fn restore_history(self) {
        match super::history::load().await {
            Ok((saved, unreadable)) => {
                let n = saved.len();
                let (keys, records): (Vec<_>, Vec<_>) = saved
                    .into_iter()
                    .map(|(id, r)| ((next_local_id(), Some(id)), r))
                    .unzip();
                self.runs.update(|runs| {
                    runs.splice(0..0, records);
                });
                self.run_keys.update(|k| {
                    k.splice(0..0, keys);
                });
                let mut note = match n {
                    0 => None,
                    1 => Some("1 run restored from this browser's history.".to_string()),
                    n => Some(format!("{n} runs restored from this browser's history.")),
                };
                if unreadable > 0 {
                    note = Some(format!(
                        "{}{unreadable} saved run(s) could not be read (another version of the lab?) and are not shown.",
                        note.map(|n| n + " ").unwrap_or_default()
                    ));
                }
                self.history_note.set(note);
            }
            Err(e) => self
                .history_note
                .set(Some(format!("runs are not kept across reloads: {e}"))),
        }
    }

    /// Removes run `index` from the table and the history.
    pub fn delete_run(self, index: usize) {
        let key = self
            .run_keys
            .with_untracked(|keys| keys.get(index).and_then(|(_, key)| *key));
        if index >= self.runs.with_untracked(Vec::len) {
            return;
        }
        self.runs.update(|runs| {
            runs.remove(index);
        });
        self.run_keys.update(|keys| {
            keys.remove(index);
        });
        if let Some(id) = key {
            leptos::task::spawn_local(async move {
                if let Err(e) = super::history::delete(id).await {
                    self.history_note.set(Some(e));
                }
            });
        }
    }

    /// Removes every run from the table and the history.
    pub fn clear_runs(self) {
        self.runs.set(Vec::new());
        self.run_keys.set(Vec::new());
        leptos::task::spawn_local(async move {
            let note = match super::history::clear().await {
                Ok(()) => "History cleared.".to_string(),
                Err(e) => e,
            };
            self.history_note.set(Some(note));
        });
    }
}
