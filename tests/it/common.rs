//! Shared by the CLI tests: running the built `dml-lab` binary from the repository root.

use std::process::{Command, Output};

/// Runs `dml-lab ARGS` and returns its output.
pub fn dml_lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dml-lab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the dml-lab binary runs")
}

/// stdout then stderr, for messages and assertions.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts the run record at `json` has reconstructions of `width` × `height` for a model with a
/// decoder (`has_decoder`), and none otherwise; returns the record.
pub fn assert_reconstructions(
    json: &std::path::Path,
    has_decoder: bool,
    (width, height): (u64, u64),
    what: &str,
) -> serde_json::Value {
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let recon = &record["figures"]["reconstructions"];
    if has_decoder {
        assert_eq!(
            (recon["width"].as_u64(), recon["height"].as_u64()),
            (Some(width), Some(height)),
            "{what}"
        );
    } else {
        assert!(recon.is_null(), "{what}");
    }
    record
}
