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
