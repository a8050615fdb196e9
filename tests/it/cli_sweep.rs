//! `dml-lab sweep` on a small custom grid of real MNIST runs: one JSON per run, resumable,
//! sharded, merged by `dml-lab report`.

use crate::common::{dml_lab, text};

use std::path::PathBuf;

#[test]
fn a_grid_runs_once_resumes_shards_and_reports() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sweep-test");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let grid = dir.join("grid.json");
    std::fs::write(
        &grid,
        r#"{"name": "tiny", "base": {"lsdim": 4, "pl": 10, "batch_size": 64},
            "groups": [{"model": ["dml"]}, {"model": ["dml-ae"], "alpha": [0.5]}]}"#,
    )
    .unwrap();
    let out = dir.join("runs");
    let common = [
        "sweep",
        "--grid",
        grid.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--epochs",
        "1",
        "--steps-per-epoch",
        "3",
        "--probes",
        "knn",
        "--seeds",
        "0,1",
    ];
    let dry = dml_lab(&[&common[..], &["--shard", "2/2", "--dry-run"]].concat());
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        text(&dry).contains("4 runs, shard 2/2: 2"),
        "{}",
        text(&dry)
    );

    let first = dml_lab(&common);
    assert!(first.status.success(), "{}", text(&first));
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "alpha-0.5_model-dml-ae_seed-0.json",
            "alpha-0.5_model-dml-ae_seed-1.json",
            "model-dml_seed-0.json",
            "model-dml_seed-1.json"
        ]
    );
    let again = dml_lab(&common);
    assert!(again.status.success());
    assert_eq!(
        text(&again).matches("done, skipped").count(),
        4,
        "{}",
        text(&again)
    );

    let runs: Vec<String> = files
        .iter()
        .map(|f| out.join(f).to_string_lossy().into_owned())
        .collect();
    let report_dir = dir.join("report");
    let mut args = vec![
        "report".to_string(),
        "--out".into(),
        report_dir.to_string_lossy().into_owned(),
    ];
    args.extend(runs);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = dml_lab(&args);
    assert!(report.status.success(), "{}", text(&report));
    let md = std::fs::read_to_string(report_dir.join("report.md")).unwrap();
    assert!(md.contains("±"), "two seeds give a spread:\n{md}");
}

#[test]
fn unknown_grids_and_bad_shards_are_refused() {
    let out = dml_lab(&["sweep", "--grid", "paper-table9"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("paper-table1"), "{}", text(&out));
    let out = dml_lab(&["sweep", "--grid", "paper-table1", "--shard", "5/4"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("i/n"), "{}", text(&out));
}
