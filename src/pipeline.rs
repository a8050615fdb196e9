//! One experiment end to end: train → embed the test split → probe → record.
//! Both hosts (CLI and page) call this; they differ only in the device and the observer.

use burn::prelude::*;
use web_time::Instant;

use crate::backend::BackendInfo;
use crate::config::ExperimentConfig;
use crate::data::Dataset;
use crate::eval::{embed::embed_all, knn_probe};
use crate::report::{Metrics, RunRecord, Timings};
use crate::train::{train, Observer, TrainError};

/// A finished run: its record and the test embeddings (for the scatter).
pub struct Outcome {
    pub record: RunRecord,
    /// `[test images * lsdim]`, row-major.
    pub test_embeddings: Vec<f32>,
}

/// Trains and evaluates. A stop during training ends training early and still evaluates (the
/// record says `stopped_early`); a stop during evaluation abandons the run (`Ok(None)`).
pub async fn run_experiment(
    cfg: &ExperimentConfig,
    data: &Dataset,
    device: &Device,
    backend: BackendInfo,
    observer: &mut impl Observer,
) -> Result<Option<Outcome>, TrainError> {
    let trained = train(cfg, data, device, observer).await?;
    let eval_start = Instant::now();
    // Small passes on the CPU keep each one short (the page yields between them); a GPU
    // prefers few large dispatches.
    let chunk = if backend.kind == "cpu" { 256 } else { 2048 };
    let Some(embeddings) = embed_all(&trained.model, &data.test, chunk, device, observer)
        .await
        .map_err(TrainError::Device)?
    else {
        return Ok(None);
    };
    let Some(knn) = knn_probe(
        &embeddings,
        cfg.lsdim,
        &data.test.labels,
        data.num_classes(),
        cfg.seed,
        observer,
    )
    .await
    else {
        return Ok(None);
    };
    let record = RunRecord {
        config: cfg.clone(),
        history: trained.history,
        metrics: Metrics { knn },
        backend,
        labelled: trained.labelled,
        timings: Timings {
            train_seconds: trained.seconds,
            eval_seconds: eval_start.elapsed().as_secs_f64(),
            seconds_per_step: trained.seconds / trained.steps.max(1) as f64,
        },
        stopped_early: trained.stopped,
        version: env!("CARGO_PKG_VERSION").into(),
    };
    Ok(Some(Outcome {
        record,
        test_embeddings: embeddings,
    }))
}
