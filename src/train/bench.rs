//! Training speed: optimiser steps per second of each model family on a device, measured on
//! the real training loop after a warm-up. Shared by `dml-lab bench` and the page's benchmark.

use serde::{Deserialize, Serialize};

use super::events::Observer;
use super::trainer::{train, TrainError};
use crate::config::{ExperimentConfig, ModelKind, Schedule};
use crate::data::Dataset;

/// The model families timed by default: one per kind of objective.
pub const BENCH_MODELS: [ModelKind; 5] = [
    ModelKind::Dml,
    ModelKind::DmlAe,
    ModelKind::DmlUnitPrior,
    ModelKind::DmlGmmPrior,
    ModelKind::MetricVae,
];

/// What to time.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchSpec {
    /// Images per batch (each step takes a labelled batch, plus an unlabelled one for L_U).
    pub batch_size: usize,
    /// Embedding size d of the 784 → 512 → 256 → d encoder (and its mirror decoder).
    pub lsdim: usize,
    /// Timed steps; as many untimed steps run first as a warm-up.
    pub steps: usize,
    pub seed: u64,
}

impl Default for BenchSpec {
    fn default() -> Self {
        Self {
            batch_size: 256,
            lsdim: 10,
            steps: 20,
            seed: 0,
        }
    }
}

/// One model's speed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchTiming {
    pub model: String,
    pub batch_size: usize,
    pub lsdim: usize,
    /// Batches through the encoder per step: 1 (labelled), or 2 with an unlabelled batch for L_U.
    pub batches_per_step: usize,
    pub steps: usize,
    pub seconds: f64,
    pub steps_per_s: f64,
    /// Images through the model per second: `batch_size × batches_per_step × steps_per_s`.
    pub samples_per_s: f64,
}

/// The experiment a benchmark trains: joint schedule (every step has L_S and, where the model
/// has one, L_U), all images labelled, two epochs of `spec.steps` steps (the first is the
/// warm-up).
pub fn bench_config(model: ModelKind, spec: &BenchSpec) -> ExperimentConfig {
    ExperimentConfig {
        model,
        pl: 100.0,
        lsdim: spec.lsdim,
        epochs: 2,
        steps_per_epoch: spec.steps,
        batch_size: spec.batch_size,
        schedule: Schedule::Joint,
        alpha: 0.5,
        seed: spec.seed,
        ..Default::default()
    }
}

/// Times `model` on `device`: the second epoch's wall time, which ends with reading the last
/// losses back (so queued GPU work is included). The observer hears every step (a page yields
/// to the browser there).
pub async fn bench_model(
    model: ModelKind,
    spec: &BenchSpec,
    data: &Dataset,
    device: &burn::prelude::Device,
    observer: &mut impl Observer,
) -> Result<BenchTiming, TrainError> {
    let cfg = bench_config(model, spec);
    let trained = train(&cfg, data, device, observer).await?;
    let seconds = trained
        .history
        .get(1)
        .map(|epoch| epoch.seconds)
        .ok_or_else(|| TrainError::Device("the timed epoch did not run".into()))?;
    let steps_per_s = spec.steps as f64 / seconds.max(1e-9);
    let batches_per_step = 1 + usize::from(model.has_unsupervised_loss());
    Ok(BenchTiming {
        model: crate::config::name_of(&model),
        batch_size: spec.batch_size,
        lsdim: spec.lsdim,
        batches_per_step,
        steps: spec.steps,
        seconds,
        steps_per_s,
        samples_per_s: steps_per_s * (spec.batch_size * batches_per_step) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synthetic::random_mnist_shaped;
    use crate::train::Silent;

    #[test]
    fn times_every_family_on_the_cpu() {
        let data = random_mnist_shaped(600, 10, 0);
        let spec = BenchSpec {
            batch_size: 32,
            lsdim: 3,
            steps: 2,
            seed: 0,
        };
        let device = crate::backend::cpu();
        for model in BENCH_MODELS {
            let t =
                pollster::block_on(bench_model(model, &spec, &data, &device, &mut Silent)).unwrap();
            assert_eq!(t.model, crate::config::name_of(&model));
            assert!(t.seconds > 0.0 && t.steps_per_s.is_finite(), "{t:?}");
            let images = t.batch_size * t.batches_per_step;
            assert!((t.samples_per_s - t.steps_per_s * images as f64).abs() < 1e-6);
            assert_eq!(
                t.batches_per_step,
                if model == ModelKind::Dml { 1 } else { 2 }
            );
        }
    }
}
