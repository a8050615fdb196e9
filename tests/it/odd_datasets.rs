//! Odd but valid datasets and configs (issue 21): tiny sets, one class, a class with one
//! image, a label budget that labels almost nothing, lsdim 1, non-square small images. Every
//! model either trains and evaluates (finite metrics, the record's sizes right) or the run is
//! refused with a message; nothing panics.

use std::panic::{catch_unwind, AssertUnwindSafe};

use dml_lab::config::{ExperimentConfig, ModelKind};
use dml_lab::data::{Dataset, ImageSet};
use dml_lab::eval::Probes;
use dml_lab::pipeline::run_experiment;
use dml_lab::train::speed::BackendInfo;

/// `n` images of `rows`×`cols` with labels `label(i)`: blobs whose brightness and position
/// depend on the class, so that the classes can be told apart.
fn set(n: usize, rows: usize, cols: usize, label: impl Fn(usize) -> u8) -> ImageSet {
    let labels: Vec<u8> = (0..n).map(&label).collect();
    let mut pixels = Vec::with_capacity(n * rows * cols);
    for (i, &l) in labels.iter().enumerate() {
        for r in 0..rows {
            for c in 0..cols {
                let on = (r + c + l as usize).is_multiple_of(3);
                let noise = (i * 31 + r * 7 + c * 13) % 40;
                pixels.push(if on {
                    200 + (noise as u8) % 50
                } else {
                    noise as u8
                });
            }
        }
    }
    ImageSet {
        pixels,
        labels,
        rows,
        cols,
    }
}

fn dataset(train: ImageSet, test: ImageSet, classes: usize) -> Dataset {
    Dataset {
        name: "odd".into(),
        class_names: (0..classes).map(|c| c.to_string()).collect(),
        train,
        test,
    }
}

/// Trains and evaluates `cfg` with every probe; the run's record or its error message. A panic
/// fails the test with the case's name.
fn run(
    name: &str,
    cfg: &ExperimentConfig,
    data: &Dataset,
) -> Result<dml_lab::report::RunRecord, String> {
    let device = dml_lab::backend::cpu();
    let info = BackendInfo::new(dml_lab::backend::BackendKind::Cpu, "ndarray");
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        pollster::block_on(run_experiment(
            cfg,
            data,
            &device,
            info,
            Probes::ALL,
            &mut dml_lab::train::Silent,
        ))
    }));
    match outcome {
        Ok(Ok(Some(o))) => Ok(o.record),
        Ok(Ok(None)) => Err("stopped".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => panic!("{name}: panicked"),
    }
}

const MODELS: [ModelKind; 7] = [
    ModelKind::Dml,
    ModelKind::DmlAe,
    ModelKind::DmlUnitPrior,
    ModelKind::DmlGmmPrior,
    ModelKind::MetricVae,
    ModelKind::Ae,
    ModelKind::Vae,
];

fn small(model: ModelKind) -> ExperimentConfig {
    ExperimentConfig {
        model,
        lsdim: 2,
        epochs: 1,
        steps_per_epoch: 3,
        batch_size: 16,
        vamp_components: 4,
        pl: 50.0,
        ..Default::default()
    }
}

fn two_classes(n: usize) -> ImageSet {
    set(n, 6, 5, |i| (i % 2) as u8)
}

/// Every model on each odd dataset or config that can be trained: it trains, evaluates, and
/// its kNN accuracy is above chance (0.5 here; the classes are easy blobs), with the record's
/// reconstructions at the images' own 6×5 size.
#[test]
fn every_model_trains_on_odd_but_valid_data() {
    type Tweak = fn(ExperimentConfig) -> ExperimentConfig;
    let cases: Vec<(&str, Dataset, Tweak)> = vec![
        (
            "fewer training images than a batch",
            dataset(two_classes(5), two_classes(12), 2),
            |c| c,
        ),
        (
            "a class with one image",
            dataset(
                set(40, 6, 5, |i| if i == 0 { 2 } else { (i % 2) as u8 }),
                set(60, 6, 5, |i| (i % 3) as u8),
                3,
            ),
            |c| c,
        ),
        (
            "a label budget that labels one image",
            dataset(two_classes(40), two_classes(12), 2),
            |c| ExperimentConfig { pl: 0.0001, ..c },
        ),
        (
            "lsdim 1",
            dataset(two_classes(40), two_classes(12), 2),
            |c| ExperimentConfig { lsdim: 1, ..c },
        ),
        (
            "the conv encoder on 6×5 images",
            dataset(two_classes(40), two_classes(12), 2),
            |c| ExperimentConfig {
                encoder: dml_lab::config::EncoderKind::Conv,
                ..c
            },
        ),
    ];
    for (what, data, tweak) in &cases {
        for model in MODELS {
            let name = format!("{what}, {}", model.name());
            let record =
                run(&name, &tweak(small(model)), data).unwrap_or_else(|e| panic!("{name}: {e}"));
            let knn = record.metrics.knn.accuracy;
            assert!(knn.is_finite() && knn > 0.6, "{name}: kNN {knn}");
            assert!(record.history.iter().all(|e| e.loss.is_finite()), "{name}");
            let recon = record
                .figures
                .as_ref()
                .and_then(|f| f.reconstructions.as_ref());
            assert_eq!(recon.is_some(), model.has_decoder(), "{name}");
            if let Some(grid) = recon {
                assert_eq!((grid.width, grid.height), (5, 6), "{name}");
                assert!(grid.reconstructions.iter().all(|r| r.len() == 30), "{name}");
            }
        }
    }
}

/// Data that cannot give a result is refused before training, with a message that says why.
#[test]
fn unusable_data_is_refused_before_training() {
    let cfg = small(ModelKind::DmlAe);
    let refused = |data: &Dataset, cfg: &ExperimentConfig| {
        run("refused", cfg, data).err().unwrap_or_default()
    };
    let one_class = dataset(set(40, 6, 5, |_| 0), two_classes(12), 1);
    assert_eq!(
        refused(&one_class, &cfg),
        "this dataset cannot be used: every training image has the label 0; metric learning needs at least two classes"
    );
    let tiny_test = dataset(two_classes(40), two_classes(3), 2);
    assert!(refused(&tiny_test, &cfg)
        .contains("it has 3 test images; the probes' 5-fold cross-validation needs at least 10"));
    let conv = ExperimentConfig {
        encoder: dml_lab::config::EncoderKind::Conv,
        ..cfg
    };
    let three = dataset(
        set(40, 3, 3, |i| (i % 2) as u8),
        set(12, 3, 3, |i| (i % 2) as u8),
        2,
    );
    assert!(refused(&three, &conv).contains(
        "the conv encoder needs images of at least 4×4 pixels, these are 3×3; use the MLP encoder"
    ));
    // The MLP encoder takes 3×3.
    assert!(run("mlp 3×3", &cfg, &three).is_ok());
}

/// The CLI on the user's own IDX files of 6×5 images: every model trains, writes its record
/// and plots, and the reconstructions have the images' size.
#[test]
fn the_cli_trains_every_model_on_non_square_idx_files() {
    let root = std::env::temp_dir().join(format!("dml-lab-idx-6x5-{}", std::process::id()));
    let (dir, out_dir) = (root.join("data"), root.join("out"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&out_dir).unwrap();
    let (train, test) = (two_classes(64), two_classes(20));
    for (name, s) in [("train", &train), ("test", &test)] {
        let images = dml_lab::data::idx::encode_idx(&[s.len(), 6, 5], &s.pixels);
        let labels = dml_lab::data::idx::encode_idx(&[s.len()], &s.labels);
        std::fs::write(dir.join(format!("{name}-images.idx3-ubyte")), images).unwrap();
        std::fs::write(dir.join(format!("{name}-labels.idx1-ubyte")), labels).unwrap();
    }
    for model in MODELS {
        let json = out_dir.join(format!("{}.json", model.name()));
        let plots = out_dir.join(format!("plots-{}", model.name()));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dml-lab"))
            .args(["train", "--dataset", "idx", "--data"])
            .arg(&dir)
            .args([
                "--model",
                &model.name(),
                "--lsdim",
                "2",
                "--epochs",
                "1",
                "--steps-per-epoch",
                "3",
            ])
            .args([
                "--batch-size",
                "16",
                "--vamp-components",
                "4",
                "--backend",
                "cpu",
                "--probes",
                "knn",
                "--quiet",
                "--json",
            ])
            .arg(&json)
            .arg("--plots")
            .arg(&plots)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", model.name());
        crate::common::assert_reconstructions(&json, model.has_decoder(), (5, 6), &model.name());
        if model.has_decoder() {
            assert!(plots.join("reconstructions.svg").exists());
        }
        assert!(plots.join("latent.svg").exists(), "{}", model.name());
    }
    // The conv encoder on 3×3 images is refused with the reason and exit code 1.
    let small_dir = root.join("three");
    std::fs::create_dir_all(&small_dir).unwrap();
    let s = set(30, 3, 3, |i| (i % 2) as u8);
    for name in ["train", "test"] {
        std::fs::write(
            small_dir.join(format!("{name}-images")),
            dml_lab::data::idx::encode_idx(&[30, 3, 3], &s.pixels),
        )
        .unwrap();
        std::fs::write(
            small_dir.join(format!("{name}-labels")),
            dml_lab::data::idx::encode_idx(&[30], &s.labels),
        )
        .unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dml-lab"))
        .args(["train", "--dataset", "idx", "--data"])
        .arg(&small_dir)
        .args([
            "--encoder",
            "conv",
            "--epochs",
            "1",
            "--steps-per-epoch",
            "2",
            "--backend",
            "cpu",
            "--quiet",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the conv encoder needs images of at least 4×4 pixels, these are 3×3"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(&root);
}
