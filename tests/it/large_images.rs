//! MedMNIST+'s larger images through the CLI: synthetic 64- and 224-pixel files, as `.npz`
//! (`make-npz --size`) and as IDX files, train every model with its defaults in a short run
//! that prints its memory estimate and measured peak; a run over a budget set small on purpose
//! is refused before training with its estimate and what would fit. (How close estimate and
//! peak are is a benchmark's question, `bench/memory.sh`, not a test's.)

use std::path::{Path, PathBuf};

use dml_lab::config::{Choice, ModelKind};

use crate::common::{assert_reconstructions, dml_lab, text};

fn workdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A `size`-pixel npz of 88 training and 44 test images (11 classes), and the same images as
/// four IDX files in `dir/idx-<size>`.
fn files(dir: &Path, size: usize) -> (String, PathBuf) {
    let npz = dir.join(format!("organ{size}.npz"));
    let npz_s = npz.to_str().unwrap().to_string();
    let made = dml_lab(&[
        "make-npz",
        "--out",
        &npz_s,
        "--train",
        "88",
        "--val",
        "0",
        "--test",
        "44",
        "--size",
        &size.to_string(),
    ]);
    assert!(made.status.success(), "{}", text(&made));
    assert!(
        text(&made).contains(&format!("of {size}×{size}")),
        "{}",
        text(&made)
    );
    let data = dml_lab::data::medmnist::organamnist_from_npz(&npz_s, &std::fs::read(&npz).unwrap())
        .unwrap();
    let idx = dir.join(format!("idx-{size}"));
    std::fs::create_dir_all(&idx).unwrap();
    for (name, s) in [("train", &data.train), ("t10k", &data.test)] {
        let images = dml_lab::data::idx::encode_idx(&[s.len(), size, size], &s.pixels);
        let labels = dml_lab::data::idx::encode_idx(&[s.len()], &s.labels);
        std::fs::write(idx.join(format!("{name}-images-idx3-ubyte")), images).unwrap();
        std::fs::write(idx.join(format!("{name}-labels-idx1-ubyte")), labels).unwrap();
    }
    (npz_s, idx)
}

/// MiB after `prefix` in the CLI's output (e.g. "peak memory (resident): 731 MiB").
fn mib_after(out: &str, prefix: &str) -> f64 {
    let rest = out
        .split(prefix)
        .nth(1)
        .unwrap_or_else(|| panic!("no {prefix:?} in {out}"));
    let number: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    number
        .parse()
        .unwrap_or_else(|_| panic!("{prefix:?}: {rest}"))
}

#[test]
fn every_model_trains_on_64_and_224_pixel_npz_and_idx_files() {
    let dir = workdir("large-images");
    for size in [64, 224] {
        let (npz, idx) = files(&dir, size);
        for &model in ModelKind::ALL {
            for (format, dataset, data) in [
                ("npz", "organamnist", npz.clone()),
                ("idx", "idx", idx.to_str().unwrap().to_string()),
            ] {
                let json = dir.join(format!("{size}-{}-{format}.json", model.name()));
                let out = dml_lab(&[
                    "train",
                    "--dataset",
                    dataset,
                    "--data",
                    &data,
                    "--model",
                    &model.name(),
                    "--epochs",
                    "1",
                    "--steps-per-epoch",
                    "2",
                    "--probes",
                    "knn",
                    "--json",
                    json.to_str().unwrap(),
                ]);
                let what = format!("{} at {size} px from {format}", model.name());
                let out_text = text(&out);
                assert!(out.status.success(), "{what}: {out_text}");
                let estimated = mib_after(&out_text, "(estimated before the run: ");
                let peak = mib_after(&out_text, "peak memory (resident): ");
                eprintln!("{what}: estimated {estimated:.0} MiB, peak {peak:.0} MiB");
                assert!(estimated > 0.0 && peak > 0.0, "{what}: {out_text}");
                let size = size as u64;
                assert_reconstructions(&json, model.has_decoder(), (size, size), &what);
            }
        }
    }
}

/// dml-unit-prior with the conv encoder on `npz` at `batch` under a 2000 MiB budget.
fn conv_run(npz: &str, batch: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "train",
        "--dataset",
        "organamnist",
        "--data",
        npz,
        "--model",
        "dml-unit-prior",
        "--encoder",
        "conv",
        "--batch-size",
        batch,
        "--memory-budget",
        "2000",
    ];
    args.extend_from_slice(extra);
    dml_lab(&args)
}

#[test]
fn a_run_over_its_memory_budget_is_refused_before_training() {
    let dir = workdir("large-images-budget");
    let (npz, _) = files(&dir, 224);
    let out = conv_run(&npz, "256", &[]);
    let out_text = text(&out);
    assert!(!out.status.success(), "{out_text}");
    assert!(
        out_text.contains("this run needs an estimated ")
            && out_text.contains("above 1.95 GiB (--memory-budget)")
            && out_text.contains("what would fit: ")
            && out_text.contains("batch size "),
        "{out_text}"
    );
    // Refused before the first step: no epoch line, no peak.
    assert!(!out_text.contains("epoch   1"), "{out_text}");
    assert!(!out_text.contains("peak memory"), "{out_text}");
    // The smaller batch it names fits and trains.
    let batch: String = out_text
        .split("batch size ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let out = conv_run(
        &npz,
        &batch,
        &["--epochs", "1", "--steps-per-epoch", "1", "--probes", "knn"],
    );
    assert!(out.status.success(), "batch {batch}: {}", text(&out));
}
