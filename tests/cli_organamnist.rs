//! OrganAMNIST end to end on a generated file in its exact `.npz` layout (the real file cannot
//! be downloaded here): `make-npz`, `train --dataset organamnist`, the whole `paper-table2`
//! grid, `report`, and the messages for broken files.

mod common;
use common::{dml_lab, text};

use std::path::PathBuf;

fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_generated_organamnist_file_trains_and_runs_paper_table2() {
    let dir = workdir("organamnist-test");
    let npz = dir.join("organamnist.npz");
    let npz_s = npz.to_str().unwrap();
    let made = dml_lab(&[
        "make-npz", "--out", npz_s, "--train", "1100", "--val", "110", "--test", "550",
    ]);
    assert!(made.status.success(), "{}", text(&made));

    let run_json = dir.join("run.json");
    let train = dml_lab(&[
        "train",
        "--dataset",
        "organamnist",
        "--data",
        npz_s,
        "--model",
        "dml",
        "--pl",
        "10",
        "--lsdim",
        "4",
        "--epochs",
        "2",
        "--steps-per-epoch",
        "20",
        "--batch-size",
        "64",
        "--probes",
        "knn",
        "--quiet",
        "--json",
        run_json.to_str().unwrap(),
    ]);
    assert!(train.status.success(), "{}", text(&train));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run_json).unwrap()).unwrap();
    assert_eq!(record["config"]["dataset"], "organamnist");
    let acc = record["metrics"]["knn"]["accuracy"].as_f64().unwrap();
    // 11 classes: chance is 0.09; each class is a blob at its own place, so DML separates them.
    assert!(acc > 0.5, "kNN accuracy {acc}");

    let out = dir.join("runs");
    let sweep = dml_lab(&[
        "sweep",
        "--grid",
        "paper-table2",
        "--data",
        npz_s,
        "--out",
        out.to_str().unwrap(),
        "--epochs",
        "2",
        "--steps-per-epoch",
        "10",
        "--batch-size",
        "64",
        "--probes",
        "knn",
    ]);
    assert!(sweep.status.success(), "{}", text(&sweep));
    let runs: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    assert_eq!(runs.len(), 45, "{}", text(&sweep));
    // Each record holds the run its name says, on the paper's pinned setup, and learned: with
    // 10 % labelled (110 images) every model is far above chance (1/11) after 20 steps.
    for path in &runs {
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let c = &r["config"];
        let name = std::path::Path::new(path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.contains(&format!("lsdim-{}", c["lsdim"])),
            "{name}: {c}"
        );
        assert!(
            name.contains(&format!("model-{}", c["model"].as_str().unwrap())),
            "{name}: {c}"
        );
        assert_eq!(
            (c["dataset"].as_str(), c["schedule"].as_str()),
            (Some("organamnist"), Some("alternating"))
        );
        assert_eq!(c["steps_per_epoch"], 10);
        assert_eq!(c["loss_scale"], "paper");
        assert_eq!(r["history"].as_array().unwrap().len(), 2, "{name}");
        let acc = r["metrics"]["knn"]["accuracy"].as_f64().unwrap();
        if c["pl"] == 10.0 {
            assert!(acc > 0.3, "{name}: kNN accuracy {acc}");
        }
    }
    let report_dir = dir.join("report");
    let mut args = vec!["report", "--out", report_dir.to_str().unwrap()];
    args.extend(runs.iter().map(String::as_str));
    let report = dml_lab(&args);
    assert!(report.status.success(), "{}", text(&report));
    let md = std::fs::read_to_string(report_dir.join("report.md")).unwrap();
    for row in ["| 0.01 |", "| 0.1 |", "| 10 |"] {
        assert!(md.contains(row), "{md}");
    }
    assert!(md.contains("dml-ae (alpha=0.33) d=10"), "{md}");
}

#[test]
fn broken_organamnist_files_get_clear_messages() {
    let dir = workdir("organamnist-bad");
    let train = |path: &str| {
        dml_lab(&[
            "train",
            "--dataset",
            "organamnist",
            "--data",
            path,
            "--epochs",
            "1",
            "--quiet",
        ])
    };
    let missing = train("/nonexistent/organamnist.npz");
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("zenodo.org/records/6496656"),
        "{}",
        text(&missing)
    );

    let good = dir.join("good.npz");
    let made = dml_lab(&[
        "make-npz",
        "--out",
        good.to_str().unwrap(),
        "--train",
        "22",
        "--test",
        "11",
    ]);
    assert!(made.status.success(), "{}", text(&made));
    let bytes = std::fs::read(&good).unwrap();
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("empty.npz", vec![], "the file is empty"),
        (
            "truncated.npz",
            bytes[..bytes.len() / 2].to_vec(),
            "not a readable .npz (zip) archive",
        ),
        (
            "mnist.npz",
            b"\x00\x00\x08\x03 an IDX file".to_vec(),
            "not a readable .npz (zip) archive",
        ),
    ];
    for (name, content, message) in cases {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let out = train(path.to_str().unwrap());
        assert!(!out.status.success(), "{name}");
        let t = text(&out);
        assert!(t.contains(message) && t.contains(name), "{name}: {t}");
        assert!(!t.contains("panicked"), "{name}: {t}");
    }
}

/// Our recipe (`ours-mnist`: DML-AE, MetricVAE and the priors, with augmentation and
/// pseudo-labels) runs end to end on the OrganAMNIST layout: the whole grid with the dataset
/// and the length overridden, on a generated file of 11 000 training images (so that its
/// 0.1 % budget is 11 labels, enough prototypes for pseudo-labels), every run learning.
#[test]
fn our_recipe_runs_on_the_organamnist_layout() {
    let dir = workdir("organamnist-ours");
    let npz = dir.join("organamnist.npz");
    let npz_s = npz.to_str().unwrap();
    let made = dml_lab(&[
        "make-npz", "--out", npz_s, "--train", "11000", "--val", "110", "--test", "550",
    ]);
    assert!(made.status.success(), "{}", text(&made));
    let out = dir.join("runs");
    let sweep = dml_lab(&[
        "sweep",
        "--grid",
        "ours-mnist",
        "--dataset",
        "organamnist",
        "--data",
        npz_s,
        "--out",
        out.to_str().unwrap(),
        "--epochs",
        "3",
        "--steps-per-epoch",
        "10",
        "--batch-size",
        "64",
        "--probes",
        "knn,few-label-knn",
    ]);
    assert!(sweep.status.success(), "{}", text(&sweep));
    let mut pseudo_runs = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let c = &r["config"];
        assert_eq!(c["dataset"], "organamnist", "{path:?}");
        assert_eq!(r["history"].as_array().unwrap().len(), 3, "{path:?}");
        pseudo_runs += usize::from(c["pseudo_labels"] == 0.5);
        // 11 classes (chance 1/11); each is a blob of its own, so every model separates them.
        let acc = r["metrics"]["knn"]["accuracy"].as_f64().unwrap();
        assert!(acc > 0.5, "{path:?}: kNN accuracy {acc}");
    }
    assert!(pseudo_runs >= 3, "DML-AE and both priors use pseudo-labels");
}
