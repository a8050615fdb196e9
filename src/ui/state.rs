//! The page's reactive state, shared by the components through context.

use leptos::prelude::*;

use crate::config::ExperimentConfig;
use crate::eval::Metrics;
use crate::report::{Curves, RunRecord};

/// Scores and scatter of the last finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunView {
    /// Every probe's scores and seconds.
    pub metrics: Metrics,
    /// Prior components drawn on the scatter.
    pub components: usize,
    /// Originals over reconstructions, for models with a decoder.
    pub recon_svg: Option<String>,
    pub ms_per_step: f64,
    pub train_seconds: f64,
    pub eval_seconds: f64,
    pub points: usize,
    pub scatter_svg: String,
    pub class_names: Vec<String>,
    pub stopped_early: bool,
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
    pub backend_kind: RwSignal<Option<String>>,
    /// Loss terms per step of the current run.
    pub curves: RwSignal<Curves>,
    pub result: RwSignal<Option<RunView>>,
    pub error: RwSignal<Option<String>>,
    /// What the OrganAMNIST file gave (sizes, classes), or a download in progress.
    pub npz_summary: RwSignal<Option<String>>,
    /// Where the loaded OrganAMNIST file came from, when it was a URL (kept in links).
    pub data_url: RwSignal<Option<String>>,
    /// Why the last OrganAMNIST file or URL could not be used.
    pub npz_error: RwSignal<Option<String>>,
    /// Link parameters that were ignored or replaced by defaults.
    pub link_notices: RwSignal<Vec<String>>,
    /// The last link made by "Copy link".
    pub share_link: RwSignal<Option<String>>,
    /// Every finished run of this page, oldest first (the comparison table and exports).
    pub runs: RwSignal<Vec<RunRecord>>,
}

/// The form's config when the page opens (a link states only what differs from it).
pub fn page_defaults() -> ExperimentConfig {
    ExperimentConfig {
        epochs: 1,
        ..Default::default()
    }
}

impl LabState {
    pub fn new() -> Self {
        Self {
            config: RwSignal::new(page_defaults()),
            running: RwSignal::new(false),
            stop_requested: RwSignal::new(false),
            paused: RwSignal::new(false),
            status: RwSignal::new("Ready.".into()),
            data_summary: RwSignal::new(None),
            backend_used: RwSignal::new(None),
            backend_kind: RwSignal::new(None),
            curves: RwSignal::new(Curves::default()),
            result: RwSignal::new(None),
            error: RwSignal::new(None),
            npz_summary: RwSignal::new(None),
            npz_error: RwSignal::new(None),
            data_url: RwSignal::new(None),
            link_notices: RwSignal::new(Vec::new()),
            share_link: RwSignal::new(None),
            runs: RwSignal::new(Vec::new()),
        }
    }
}
