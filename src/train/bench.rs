//! Training speed: optimiser steps per second of each model family on a device, measured on
//! the real training loop after a warm-up. Shared by `dml-lab bench` and the page's benchmark.

use serde::{Deserialize, Serialize};

use super::events::{Flow, Observer, TrainEvent};
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
    /// The GPU work of the timed steps, where the host counts it (the page's WebGPU; native
    /// wgpu with a trace).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gpu: Option<GpuWork>,
}

/// GPU work counted at the API (in the page the browser's own `GPU…` methods, natively wgpu's
/// trace of its calls): totals since counting began.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GpuTotals {
    /// Compute dispatches (`dispatchWorkgroups`).
    pub dispatches: f64,
    /// Queue submits.
    pub submits: f64,
    pub buffers_created: f64,
    /// Buffer maps: each a readback (or a mapped upload).
    pub maps: f64,
    pub bytes_read_back: f64,
    /// `queue.writeBuffer` calls and their bytes (uploads).
    pub writes: f64,
    pub bytes_written: f64,
    pub shader_modules: f64,
    pub pipelines: f64,
    pub bind_groups: f64,
}

/// The GPU work of a benchmark's timed steps: per step, and what was still created after the
/// warm-up (a warm run creates no shader or pipeline).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuWork {
    pub dispatches_per_step: f64,
    pub submits_per_step: f64,
    pub buffers_per_step: f64,
    pub maps_per_step: f64,
    pub bytes_read_back_per_step: f64,
    pub writes_per_step: f64,
    pub bytes_written_per_step: f64,
    pub bind_groups_per_step: f64,
    pub shader_modules_after_warmup: f64,
    pub pipelines_after_warmup: f64,
    /// Created during the warm-up epoch: the shaders and pipelines a run compiles before (and
    /// during) its first steps.
    pub shader_modules_in_warmup: f64,
    pub pipelines_in_warmup: f64,
}

impl GpuWork {
    /// The work between the counts `before` and `after` (the timed epoch's ends), over `steps`
    /// steps; `start` is the count when training started.
    pub fn between(start: &GpuTotals, before: &GpuTotals, after: &GpuTotals, steps: usize) -> Self {
        let per = |a: f64, b: f64| (b - a) / steps.max(1) as f64;
        Self {
            dispatches_per_step: per(before.dispatches, after.dispatches),
            submits_per_step: per(before.submits, after.submits),
            buffers_per_step: per(before.buffers_created, after.buffers_created),
            maps_per_step: per(before.maps, after.maps),
            bytes_read_back_per_step: per(before.bytes_read_back, after.bytes_read_back),
            writes_per_step: per(before.writes, after.writes),
            bytes_written_per_step: per(before.bytes_written, after.bytes_written),
            bind_groups_per_step: per(before.bind_groups, after.bind_groups),
            shader_modules_after_warmup: after.shader_modules - before.shader_modules,
            pipelines_after_warmup: after.pipelines - before.pipelines,
            shader_modules_in_warmup: before.shader_modules - start.shader_modules,
            pipelines_in_warmup: before.pipelines - start.pipelines,
        }
    }
}

/// Reads the host's GPU counts (see [`GpuTotals`]).
pub type GpuCounter<'a> = &'a dyn Fn() -> GpuTotals;

/// Passes every call on to `inner`, and reads the GPU counts when the warm-up epoch and the
/// timed epoch end (each end comes after that epoch's last readback).
struct CountAfterWarmup<'a, O> {
    inner: &'a mut O,
    counter: Option<GpuCounter<'a>>,
    start: Option<GpuTotals>,
    warm: Option<GpuTotals>,
    timed: Option<GpuTotals>,
}

impl<O: Observer> Observer for CountAfterWarmup<'_, O> {
    async fn on_event(&mut self, event: &TrainEvent) -> Flow {
        if let Some(count) = self.counter {
            match event {
                TrainEvent::Started { .. } => self.start = Some(count()),
                TrainEvent::EpochEnd(record) if record.epoch == 1 => self.warm = Some(count()),
                TrainEvent::EpochEnd(record) if record.epoch == 2 => self.timed = Some(count()),
                _ => {}
            }
        }
        self.inner.on_event(event).await
    }

    async fn after_epoch(&mut self, epoch: usize, model: &crate::model::LabModel) -> Flow {
        self.inner.after_epoch(epoch, model).await
    }

    async fn during_training(&mut self, step: usize, model: &crate::model::LabModel) -> Flow {
        self.inner.during_training(step, model).await
    }

    fn readback(&self) -> super::events::Readback {
        self.inner.readback()
    }

    fn embed_chunk(&self) -> usize {
        self.inner.embed_chunk()
    }
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
/// to the browser there). With a `counter`, the GPU work of that epoch is counted too.
pub async fn bench_model(
    model: ModelKind,
    spec: &BenchSpec,
    data: &Dataset,
    device: &burn::prelude::Device,
    observer: &mut impl Observer,
    counter: Option<GpuCounter<'_>>,
) -> Result<BenchTiming, TrainError> {
    let cfg = bench_config(model, spec);
    let mut counting = CountAfterWarmup {
        inner: observer,
        counter,
        start: None,
        warm: None,
        timed: None,
    };
    let trained = train(&cfg, data, device, &mut counting).await?;
    let gpu = match (counting.start, counting.warm, counting.timed) {
        (Some(start), Some(warm), Some(timed)) => {
            Some(GpuWork::between(&start, &warm, &timed, spec.steps))
        }
        _ => None,
    };
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
        gpu,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synthetic::random_mnist_shaped;
    use crate::train::Silent;

    #[test]
    fn gpu_work_is_counted_over_the_timed_epoch_only() {
        // A counter that ticks once per call: read when training starts, when epoch 1 ends
        // and when epoch 2 (the timed one) ends, not after training.
        let data = random_mnist_shaped(200, 10, 0);
        let spec = BenchSpec {
            batch_size: 16,
            lsdim: 2,
            steps: 4,
            seed: 0,
        };
        let calls = std::cell::Cell::new(0.0);
        let counter = || {
            calls.set(calls.get() + 1.0);
            GpuTotals {
                dispatches: 100.0 * calls.get(),
                shader_modules: 7.0 * calls.get().min(2.0),
                ..Default::default()
            }
        };
        let device = crate::backend::cpu();
        let t = pollster::block_on(bench_model(
            ModelKind::Dml,
            &spec,
            &data,
            &device,
            &mut Silent,
            Some(&counter),
        ))
        .unwrap();
        assert_eq!(calls.get(), 3.0);
        let gpu = t.gpu.expect("counted");
        assert_eq!(gpu.dispatches_per_step, 100.0 / 4.0);
        assert_eq!(gpu.shader_modules_after_warmup, 0.0);
        assert_eq!(gpu.shader_modules_in_warmup, 7.0);
        let without = pollster::block_on(bench_model(
            ModelKind::Dml,
            &spec,
            &data,
            &device,
            &mut Silent,
            None,
        ))
        .unwrap();
        assert_eq!(without.gpu, None);
    }

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
                pollster::block_on(bench_model(model, &spec, &data, &device, &mut Silent, None))
                    .unwrap();
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
