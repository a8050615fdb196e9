//! The record of one run, as written by `--json` and exported by the page.

use serde::{Deserialize, Serialize};

use super::figures::Figures;
use crate::config::ExperimentConfig;
pub use crate::eval::diagnostics::LatentDiagnostics;
pub use crate::eval::Metrics;
use crate::train::speed::BackendInfo;
use crate::train::EpochRecord;

/// Wall-clock seconds of each phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub train_seconds: f64,
    /// Embedding the test (and labelled training) images plus every probe.
    pub eval_seconds: f64,
    /// Mean seconds per optimiser step.
    pub seconds_per_step: f64,
}

/// Config, history, metrics and plot data of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub config: ExperimentConfig,
    pub history: Vec<EpochRecord>,
    pub metrics: Metrics,
    pub backend: BackendInfo,
    /// Training images that kept their label.
    pub labelled: usize,
    pub timings: Timings,
    /// The run was stopped before its last epoch.
    pub stopped_early: bool,
    /// dml-lab version that made the record.
    pub version: String,
    /// Data for the loss, scatter and reconstruction plots (absent in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
    /// Active units, KL and chance of the test embeddings (absent in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<LatentDiagnostics>,
}

impl RunRecord {
    /// Why the run counts as collapsed, if it does (see [`LatentDiagnostics::collapse`]).
    pub fn collapse(&self) -> Option<String> {
        self.diagnostics
            .as_ref()?
            .collapse(self.metrics.knn.accuracy)
    }

    /// Parses a record written by `--json` or the page's export.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not a dml-lab run record: {e}"))
    }
}
