//! `dml-lab bench`: one JSON line per model with steps/s, images/s and peak memory.

use crate::common::{dml_lab, text};

#[test]
fn bench_prints_one_json_line_per_model() {
    let out = dml_lab(&[
        "bench",
        "--models",
        "dml,metric-vae",
        "--steps",
        "2",
        "--batch-size",
        "64",
        "--lsdim",
        "4",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for (line, model) in lines.iter().zip(["dml", "metric-vae"]) {
        assert_eq!(line["model"], model);
        assert_eq!(line["backend"], "flex");
        assert_eq!(line["steps"], 2);
        assert_eq!(line["batch_size"], 64);
        let sps = line["steps_per_s"].as_f64().unwrap();
        let images = line["samples_per_s"].as_f64().unwrap();
        let per_step = 64.0 * line["batches_per_step"].as_f64().unwrap();
        assert!(
            sps > 0.0 && (images - sps * per_step).abs() < 1e-6 * images,
            "{line}"
        );
        // 60k random 28×28 images alone are 45 MiB.
        assert!(line["peak_rss_mib"].as_f64().unwrap() > 45.0, "{line}");
    }
}

#[test]
fn bench_refuses_unknown_models_and_backends_it_was_built_without() {
    let out = dml_lab(&["bench", "--models", "resnet"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("resnet"));
}

/// The default build has native wgpu (Mesa's lavapipe on machines without a GPU).
#[test]
fn bench_times_wgpu_in_the_default_build() {
    let out = dml_lab(&[
        "bench",
        "--backend",
        "wgpu",
        "--models",
        "dml",
        "--steps",
        "2",
        "--batch-size",
        "32",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(line["backend"], "wgpu");
    assert!(line["steps_per_s"].as_f64().unwrap() > 0.0, "{line}");
}
