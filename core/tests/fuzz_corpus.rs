//! Replays the kept fuzz corpus (`fuzz/corpus/<target>/`, grown by `scripts/fuzz.sh`) and the
//! regression inputs (`fuzz/regressions/<target>/`, any crash a fuzz run ever found) through
//! the fuzz targets' own code (`core/src/fuzz_targets.rs`), on stable Rust, in every test run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use dml_lab_core::fuzz_targets;

/// A fuzz target: its name and the function the fuzzer calls.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 4] = [
    ("idx", fuzz_targets::idx),
    ("npy", fuzz_targets::npy),
    ("npz", fuzz_targets::npz),
    ("link", fuzz_targets::link),
];

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.expect("read corpus entry").path())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn every_kept_fuzz_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut failures = Vec::new();
    for (name, target) in TARGETS {
        let corpus = inputs(&root.join("corpus").join(name));
        assert!(
            corpus.len() >= 20,
            "fuzz/corpus/{name} holds {} inputs; run scripts/fuzz.sh",
            corpus.len()
        );
        let regressions = inputs(&root.join("regressions").join(name));
        for path in corpus.iter().chain(&regressions) {
            let bytes = std::fs::read(path).expect("read corpus file");
            if catch_unwind(AssertUnwindSafe(|| target(&bytes))).is_err() {
                failures.push(path.display().to_string());
            }
        }
    }
    assert!(failures.is_empty(), "inputs that fail: {failures:#?}");
}
