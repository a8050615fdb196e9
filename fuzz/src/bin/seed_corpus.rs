//! Writes valid inputs of each format into `seeds/<target>/`, so that the fuzzer starts from
//! files that reach deep into each parser (a random byte string rarely gets past a zip header).

use std::fs;
use std::path::Path;

use dml_lab_fuzz::config::{ExperimentConfig, ModelKind, Schedule};
use dml_lab_fuzz::data::idx::encode_idx;
use dml_lab_fuzz::data::medmnist::synthetic_organamnist_npz;
use dml_lab_fuzz::data::npy::encode_npy;
use dml_lab_fuzz::data::npz::write_npz;
use dml_lab_fuzz::link::to_query;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("seeds").join(target);
    fs::create_dir_all(&dir).expect("create seeds dir");
    fs::write(dir.join(name), bytes).expect("write seed");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip to memory");
    enc.finish().expect("gzip to memory")
}

fn main() {
    // IDX: images [3, 4, 4] and labels [3], raw and gzip; a pair as the target splits it.
    let images = encode_idx(&[3, 4, 4], &(0..48).collect::<Vec<u8>>());
    let labels = encode_idx(&[3], &[1, 7, 9]);
    write("idx", "images", &images);
    write("idx", "labels", &labels);
    write("idx", "images.gz", &gzip(&images));
    let pair_images = encode_idx(&[1, 2, 2], &[0, 64, 128, 255]);
    let pair_labels = encode_idx(&[1, 1, 1], &[3]);
    let mut pair = pair_images.clone();
    pair.extend_from_slice(&pair_labels[..pair_images.len().min(pair_labels.len())]);
    write("idx", "pair", &pair);

    // npy: each dtype the reader accepts, versions 1.0 shapes.
    write("npy", "u1", &encode_npy("|u1", &[2, 3], &[1, 2, 3, 4, 5, 6]));
    write("npy", "i8", &encode_npy("<i8", &[2, 1], &[5, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0]));
    write("npy", "u2", &encode_npy("<u2", &[1], &[7, 0]));
    write("npy", "scalar", &encode_npy("|u1", &[], &[9]));

    // npz: a tiny MedMNIST-layout file, and an archive with one array.
    write("npz", "organamnist-tiny.npz", &synthetic_organamnist_npz(11, 1, 2, 1));
    write("npz", "one-array.npz", &write_npz(&[("train_images", encode_npy("|u1", &[1, 2, 2], &[0, 1, 2, 3]))]));

    // link: queries of several configs and JSON configs.
    let base = ExperimentConfig::default();
    let configs = [
        ExperimentConfig { model: ModelKind::MetricVae, pl: 0.1, lsdim: 2, ..base.clone() },
        ExperimentConfig { model: ModelKind::DmlGmmPrior, schedule: Schedule::Alternating, alpha: 0.25, ..base.clone() },
        ExperimentConfig { m_per_class: 4, batch_size: 64, augment: true, lr: 3e-4, ..base.clone() },
    ];
    for (i, cfg) in configs.iter().enumerate() {
        write("link", &format!("query-{i}"), to_query(cfg, &base, i == 0).as_bytes());
        write("link", &format!("json-{i}"), serde_json::to_string(cfg).expect("config to JSON").as_bytes());
    }
    write("link", "data-url", b"?run=1&data_url=https%3A%2F%2Fexample.org%2Forganamnist.npz&model=dml-ae");
    println!("seed corpus written to seeds/");
}
