//! wgpu against the CPU: the same config and seed give the same numbers on both backends,
//! within a stated tolerance (docs/robustness.md says why these tolerances).
//!
//! Natively wgpu runs here in the browser build's burn configuration (no kernel fusion, no
//! autotuning, WGSL shaders), on whatever adapter the machine has: Mesa's lavapipe (software
//! Vulkan, installed by scripts/setup.sh) on the project's CI machines. Its cases share one
//! wgpu device and run one at a time (a lock: lavapipe is slow).
//!
//! `--nocapture` prints the largest differences measured for each model family.

use std::sync::{Mutex, OnceLock};

use burn::prelude::Device;
use dml_lab::backend::{self, BackendKind};
use dml_lab::config::{ExperimentConfig, ModelKind};
use dml_lab::data::{mnist, Dataset};
use dml_lab::eval::Probes;
use dml_lab::pipeline::run_experiment;
use dml_lab::train::speed::BackendInfo;
use dml_lab::train::{train, Flow, Observer, TrainEvent};

/// Per-step loss terms: |wgpu − cpu| ≤ ABS + REL·|cpu|.
const TERM_ABS: f64 = 1e-5;
const TERM_REL: f64 = 1e-3;
/// A short full run: accuracy and AMI of the kNN probe may differ by this much.
const PROBE_TOL: f64 = 0.02;

/// Optimiser steps compared term by term.
const STEPS: usize = 12;

fn wgpu() -> &'static Device {
    static DEVICE: OnceLock<Result<Device, String>> = OnceLock::new();
    let device = DEVICE.get_or_init(|| pollster::block_on(backend::wgpu()));
    match device {
        Ok(d) => d,
        Err(e) => panic!(
            "no wgpu adapter on this machine ({e}); these tests need one: Mesa's software \
             Vulkan driver is enough (`apt-get install mesa-vulkan-drivers`, done by scripts/setup.sh)"
        ),
    }
}

/// One case at a time: the wgpu device is shared, and lavapipe uses every core.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn data() -> &'static Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(mnist::DEFAULT_DIR);
        let mut data = mnist::load_dir(&dir).expect("MNIST (npm ci)");
        // A smaller test split keeps the probe short; training draws from all 60k images.
        let keep = 1000;
        data.test.pixels.truncate(keep * data.test.dim());
        data.test.labels.truncate(keep);
        data
    })
}

/// Records every step's total and terms.
#[derive(Default)]
struct Steps(Vec<(f64, Vec<(String, f64)>)>);

impl Observer for Steps {
    async fn on_event(&mut self, event: &TrainEvent) -> Flow {
        if let TrainEvent::Step { loss, terms, .. } = event {
            self.0.push((*loss, terms.clone()));
        }
        Flow::Continue
    }
}

fn config(model: ModelKind) -> ExperimentConfig {
    ExperimentConfig {
        model,
        pl: 2.0,
        lsdim: 4,
        epochs: 1,
        steps_per_epoch: STEPS,
        batch_size: 32,
        vamp_components: 10,
        seed: 5,
        ..Default::default()
    }
}

fn steps_on(device: &Device, cfg: &ExperimentConfig) -> Vec<(f64, Vec<(String, f64)>)> {
    let mut steps = Steps::default();
    pollster::block_on(train(cfg, data(), device, &mut steps)).expect("trains");
    steps.0
}

/// Compares every step's loss terms; returns the largest absolute and relative differences.
fn agree_per_step(model: ModelKind) {
    let _one = serial();
    let cfg = config(model);
    let cpu = steps_on(&backend::cpu(), &cfg);
    let gpu = steps_on(wgpu(), &cfg);
    assert_eq!(cpu.len(), STEPS, "{model:?}");
    assert_eq!(gpu.len(), STEPS, "{model:?}");
    let (mut max_abs, mut max_rel) = (0f64, 0f64);
    for (step, ((cpu_total, cpu_terms), (gpu_total, gpu_terms))) in cpu.iter().zip(&gpu).enumerate()
    {
        let names: Vec<&str> = cpu_terms.iter().map(|(n, _)| n.as_str()).collect();
        let gpu_names: Vec<&str> = gpu_terms.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, gpu_names, "{model:?} step {}", step + 1);
        let pairs = std::iter::once(("total", *cpu_total, *gpu_total)).chain(
            cpu_terms
                .iter()
                .zip(gpu_terms)
                .map(|((n, a), (_, b))| (n.as_str(), *a, *b)),
        );
        for (name, a, b) in pairs {
            let diff = (a - b).abs();
            max_abs = max_abs.max(diff);
            max_rel = max_rel.max(diff / a.abs().max(1e-12));
            assert!(
                diff <= TERM_ABS + TERM_REL * a.abs(),
                "{model:?} step {}: {name} cpu {a} vs wgpu {b} (difference {diff:e})",
                step + 1
            );
        }
    }
    println!(
        "{}: {STEPS} steps, largest term difference {max_abs:.2e} (relative {max_rel:.2e})",
        model.name()
    );
}

/// A short full run (training and the kNN probe) on both backends.
fn agree_end_to_end(model: ModelKind) {
    let _one = serial();
    let cfg = ExperimentConfig {
        steps_per_epoch: 40,
        ..config(model)
    };
    let run = |device: &Device, kind: BackendKind| {
        let info = BackendInfo::new(kind, "agreement test");
        let outcome = pollster::block_on(run_experiment(
            &cfg,
            data(),
            device,
            info,
            Probes::KNN_ONLY,
            &mut dml_lab::train::Silent,
        ));
        outcome
            .expect("trains")
            .expect("not stopped")
            .record
            .metrics
            .knn
    };
    let cpu = run(&backend::cpu(), BackendKind::Cpu);
    let gpu = run(wgpu(), BackendKind::Wgpu);
    println!(
        "{}: 40 steps + kNN on 1000 test images: cpu {:.4} / {:.4}, wgpu {:.4} / {:.4}",
        model.name(),
        cpu.accuracy,
        cpu.ami,
        gpu.accuracy,
        gpu.ami
    );
    assert!(
        (cpu.accuracy - gpu.accuracy).abs() <= PROBE_TOL,
        "{model:?}: kNN accuracy cpu {} vs wgpu {}",
        cpu.accuracy,
        gpu.accuracy
    );
    assert!(
        (cpu.ami - gpu.ami).abs() <= PROBE_TOL,
        "{model:?}: kNN AMI cpu {} vs wgpu {}",
        cpu.ami,
        gpu.ami
    );
}

#[test]
fn dml_agrees() {
    agree_per_step(ModelKind::Dml);
    agree_end_to_end(ModelKind::Dml);
}

#[test]
fn dml_ae_agrees() {
    agree_per_step(ModelKind::DmlAe);
    agree_end_to_end(ModelKind::DmlAe);
}

#[test]
fn unit_prior_agrees() {
    agree_per_step(ModelKind::DmlUnitPrior);
    agree_end_to_end(ModelKind::DmlUnitPrior);
}

#[test]
fn gmm_prior_agrees() {
    agree_per_step(ModelKind::DmlGmmPrior);
    agree_end_to_end(ModelKind::DmlGmmPrior);
}

#[test]
fn metric_vae_agrees() {
    agree_per_step(ModelKind::MetricVae);
    agree_end_to_end(ModelKind::MetricVae);
}
