//! The record of one run, as written by `--json` and exported by the page.

use serde::{Deserialize, Serialize};

use crate::backend::BackendInfo;
use crate::config::ExperimentConfig;
use crate::eval::ProbeScores;
use crate::train::EpochRecord;

/// Scores per probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub knn: ProbeScores,
}

/// Wall-clock seconds of each phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub train_seconds: f64,
    pub eval_seconds: f64,
    /// Mean seconds per optimiser step.
    pub seconds_per_step: f64,
}

/// Config, history and metrics of a run.
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
}
