//! A run's peak memory, estimated before it starts, and the budget it must fit: a run that
//! would not fit is refused with its estimate and what would fit, never killed halfway.
//!
//! The estimate adds up what a run holds at its peak (all in bytes):
//! - **runtime**: the program, its allocator and thread pools ([`RUNTIME_BYTES`]);
//! - **images**: the dataset's pixels, one byte each, kept for the whole run;
//! - **model**: each parameter as f32 ×[`STATE_COPIES`] (weights, gradients, Adam's two
//!   moments, the copy an update writes before the old one is freed), +1 with the weight
//!   average (`ema`);
//! - **one step**: every image of a step's batches through the encoder (and the unlabelled
//!   batch through the decoder), each layer's output as f32, and a mixture prior's
//!   `[batch, components, d]` comparisons, ×[`STEP_COPIES`] for what autodiff keeps and the
//!   gradients and temporaries of the backward pass;
//! - **neighbour search** (`neighbours` > 0): the images averaged down to at most
//!   `MAX_SEARCH_PIXELS`, the projection's chunks and one distance block;
//! - **evaluation**: every image's embedding and the probes' distance blocks.
//!
//! The constants were fitted to measured peaks (`peak memory (resident)`, `bench/memory.sh`:
//! every model at 28, 64, 128 and 224 pixels, both encoders at 28 and 224; docs/bench.md
//! "Memory and time per image size"): the estimate is at least the measured peak and at most
//! [`STATED_FACTOR`] times it there (1.04–2.00).

use crate::config::{BackendChoice, EncoderKind, ExperimentConfig, ModelKind};
use crate::data::{Dataset, ImageShape};
use crate::model::encoder::{CONV_CHANNELS, CONV_HIDDEN, MLP_HIDDEN};
use crate::model::prior::gmm_components;
use crate::model::LabModel;
use crate::train::neighbours::{K as NEIGHBOURS_K, MAX_SEARCH_PIXELS};
use crate::train::EMBED_CHUNK;

/// The program itself: measured 70–71 MiB resident for a 28-pixel DML run.
pub const RUNTIME_BYTES: u64 = 96 << 20;
/// f32 copies of each parameter at the peak of a step (see the module's text).
pub const STATE_COPIES: u64 = 5;
/// f32 copies of each activation during a step's forward and backward pass.
pub const STEP_COPIES: u64 = 6;
/// The estimate is within this factor above the measured peak (module's text).
pub const STATED_FACTOR: f64 = 2.1;
/// The page's memory (its wasm heap and the worker's) per byte of the estimate: wasm's heap
/// never returns freed pages and the page keeps its own copy of the images, so the page holds
/// more than a native run (1.15× for DML, 1.35× for MetricVAE at 224 px). Measured at 224 px
/// (88 images, 2 steps on the CPU; `tests/e2e/flows.test.mjs`): DML 769 MB in the page against
/// an estimate of 694 MiB (1.06×), MetricVAE 1713 MB against 1545 MiB (1.06×); 1.2 leaves room.
pub const PAGE_FACTOR: f64 = 1.2;
/// Images per embedding pass on the CPU (`pipeline::embed_chunk`; a GPU takes `EMBED_CHUNK`).
pub const CPU_EMBED_CHUNK: usize = 256;
/// Most activation bytes one embedding pass (no gradients) may hold: 128 MiB.
pub const EMBED_PASS_BYTES: u64 = 128 << 20;
/// The page's memory budget for a run: 2 GiB, half of what wasm32 addresses (4 GiB, which
/// desktop Chromium, Firefox and Safari grant a page's wasm). The aim was 1 GiB, but
/// the paper's MLP at 224 px holds 226 MB per copy of MetricVAE's parameters and a run needs
/// four (weights, gradients, Adam's two moments): 0.9 GiB before its first image. Phones may
/// end a tab sooner (iOS Safari at 1–1.5 GB, not measured here); their visitors train the
/// 28 and 64 pixel files.
pub const PAGE_BUDGET_BYTES: u64 = 2 << 30;

/// The parts of a run's estimated peak, in bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryEstimate {
    pub runtime: u64,
    pub images: u64,
    pub model: u64,
    pub step: u64,
    pub neighbour_search: u64,
    pub evaluation: u64,
}

/// What a run may use, and where the number comes from (for messages).
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryBudget {
    pub bytes: u64,
    pub source: String,
    /// Where a run that fits nowhere here could go.
    pub elsewhere: &'static str,
    /// What this host holds per byte of the estimate (1 natively, [`PAGE_FACTOR`] in the page).
    pub factor: f64,
}

/// A native budget's advice when nothing fits.
pub const MORE_MEMORY: &str = "use a machine with more memory";

/// The sizes the estimate reads from a dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataSize {
    pub shape: ImageShape,
    pub train: usize,
    pub test: usize,
    pub classes: usize,
}

impl DataSize {
    pub fn of(data: &Dataset) -> Self {
        Self {
            shape: data.train.shape(),
            train: data.train.len(),
            test: data.test.len(),
            classes: data.num_classes(),
        }
    }
}

/// Bytes as MiB or GiB, for messages.
pub fn bytes_text(bytes: u64) -> String {
    let mib = bytes as f64 / (1u64 << 20) as f64;
    if mib >= 1024.0 {
        format!("{:.2} GiB", mib / 1024.0)
    } else {
        format!("{mib:.0} MiB")
    }
}

/// f32 values each image leaves behind in a pass through the encoder.
fn encoder_activations(cfg: &ExperimentConfig, shape: ImageShape) -> u64 {
    let p = shape.pixels() as u64;
    let out = cfg.lsdim as u64 * if cfg.model.is_variational() { 2 } else { 1 };
    match cfg.encoder {
        EncoderKind::Mlp => p + (MLP_HIDDEN[0] + MLP_HIDDEN[1]) as u64 + out,
        // Input, conv1 (its channels at a quarter of the pixels), conv2 (at a sixteenth).
        EncoderKind::Conv => p + conv_maps(p) + CONV_HIDDEN as u64 + out,
    }
}

/// f32 values of the conv encoder's two feature maps for an image of `p` pixels (the conv
/// decoder's mirror the same).
fn conv_maps(p: u64) -> u64 {
    let [c1, c2] = CONV_CHANNELS.map(|c| c as u64);
    c1 * p / 4 + c2 * p / 16
}

/// Images per embedding pass that keep its activations within [`EMBED_PASS_BYTES`] (at
/// least 8).
fn images_per_embed_pass(cfg: &ExperimentConfig, shape: ImageShape) -> usize {
    let per_image = encoder_activations(cfg, shape) * 4;
    (EMBED_PASS_BYTES / per_image.max(1)).max(8) as usize
}

/// Images per embedding pass: [`CPU_EMBED_CHUNK`] on the CPU, `EMBED_CHUNK` on a GPU, and
/// fewer where a pass would hold more than [`EMBED_PASS_BYTES`] (24 at 224 px through the conv
/// encoder).
pub fn embed_chunk(on_gpu: bool, cfg: &ExperimentConfig, shape: ImageShape) -> usize {
    let chunk = if on_gpu { EMBED_CHUNK } else { CPU_EMBED_CHUNK };
    chunk.min(images_per_embed_pass(cfg, shape))
}

/// f32 values each image leaves behind in a pass through the decoder (with the logits'
/// sigmoid and the reconstruction loss's terms).
fn decoder_activations(cfg: &ExperimentConfig, shape: ImageShape) -> u64 {
    let p = shape.pixels() as u64;
    match cfg.encoder {
        EncoderKind::Mlp => (MLP_HIDDEN[0] + MLP_HIDDEN[1]) as u64 + 3 * p,
        EncoderKind::Conv => CONV_HIDDEN as u64 + conv_maps(p) + 3 * p,
    }
}

impl MemoryEstimate {
    /// The estimated peak of training and evaluating `cfg` on a dataset of `size`, `chunk`
    /// images per embedding pass.
    pub fn of(cfg: &ExperimentConfig, size: DataSize, chunk: usize) -> Self {
        const F32: u64 = 4;
        let p = size.shape.pixels() as u64;
        let (n, test) = (size.train as u64, size.test as u64);
        let batch = cfg.batch_size as u64;
        let labelled = ((n as f64 * cfg.pl / 100.0).ceil() as u64).clamp(1, n.max(1));
        let parameters = LabModel::parameter_count(cfg, size.shape, size.classes) as u64;
        let copies = STATE_COPIES + u64::from(cfg.ema > 0.0);

        // One step's images through the encoder and the decoder.
        let m = cfg.model;
        let mut encoded = 0;
        if m.has_metric_loss() {
            encoded += batch.min(labelled);
        }
        let unlabelled = if m.has_decoder() || m.is_variational() {
            batch
        } else {
            0
        };
        encoded += unlabelled;
        if cfg.contrast > 0.0 {
            encoded += 2 * batch;
        }
        if cfg.neighbours > 0.0 {
            encoded += 2 * batch;
        }
        if m.has_vamp_prior() {
            encoded += cfg.vamp_components as u64;
        }
        let decoded = if m.has_decoder() { unlabelled } else { 0 };
        // A mixture prior's KL compares each code with every component, `[batch, K, d]`.
        let components = match m {
            ModelKind::DmlGmmPrior => gmm_components(cfg.lsdim, cfg.prior_components),
            _ if m.has_vamp_prior() => cfg.vamp_components,
            _ => 0,
        } as u64;
        let step = STEP_COPIES
            * F32
            * (encoded * encoder_activations(cfg, size.shape)
                + decoded * decoder_activations(cfg, size.shape)
                + unlabelled.max(batch.min(labelled)) * components * cfg.lsdim as u64);

        let neighbour_search = if cfg.neighbours > 0.0 {
            let searched = p.min(MAX_SEARCH_PIXELS as u64);
            let copy = if p > searched { n * searched } else { 0 };
            let projection = 3 * 4096.min(n) * searched * F32 + 2 * searched * searched * 8;
            let block = 2 * 512.min(n) * n * F32;
            copy + projection + block + n * NEIGHBOURS_K as u64 * 4
        } else {
            0
        };
        let embeddings = (n + test) * cfg.lsdim as u64 * F32 * 2;
        let embed_pass = chunk as u64 * encoder_activations(cfg, size.shape) * F32 * 2;
        let probe_blocks = 2 * 512.min(test) * test * F32;
        Self {
            runtime: RUNTIME_BYTES,
            images: (n + test) * p,
            model: parameters * F32 * copies,
            step,
            neighbour_search,
            evaluation: embeddings + embed_pass + probe_blocks,
        }
    }

    /// The estimated peak: everything held at once (the neighbour search runs before the
    /// first step and the evaluation after the last, so the larger of the three counts).
    pub fn total(&self) -> u64 {
        self.runtime
            + self.images
            + self.model
            + self.step.max(self.neighbour_search).max(self.evaluation)
    }

    /// "1.31 GiB (images 50 MiB, model 0.52 GiB, …)".
    pub fn text(&self) -> String {
        let parts = [
            ("images", self.images),
            ("model and optimiser", self.model),
            ("one step", self.step),
            ("neighbour search", self.neighbour_search),
            ("evaluation", self.evaluation),
            ("runtime", self.runtime),
        ];
        let parts: Vec<String> = parts
            .iter()
            .filter(|(_, b)| *b > 0)
            .map(|(name, b)| format!("{name} {}", bytes_text(*b)))
            .collect();
        format!("{} ({})", bytes_text(self.total()), parts.join(", "))
    }
}

impl MemoryBudget {
    /// A budget of `bytes` for a native run (whose advice, when nothing fits, is
    /// [`MORE_MEMORY`]); `source` says where the number comes from.
    pub fn native(bytes: u64, source: &str) -> Self {
        Self {
            bytes,
            source: source.into(),
            elsewhere: MORE_MEMORY,
            factor: 1.0,
        }
    }

    /// This machine's available memory (`MemAvailable` in /proc/meminfo); None off Linux.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn available() -> Option<Self> {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(Self::native(
            kib * 1024,
            "this machine's available memory (MemAvailable in /proc/meminfo)",
        ))
    }

    /// The page's budget ([`PAGE_BUDGET_BYTES`]).
    pub fn page() -> Self {
        Self {
            bytes: PAGE_BUDGET_BYTES,
            source: "the page's budget for a browser tab".into(),
            elsewhere: "train it with the command line (dml-lab train), whose budget is the machine's memory",
            factor: PAGE_FACTOR,
        }
    }
}

/// Checks the run fits `budget`: `Err` holds the estimate, the budget and its source, and
/// changes that would fit (each measured with the same estimate). The embedding passes are
/// counted at the largest the run's backend may make (a GPU's where `backend` is not the CPU
/// and this build has wgpu).
pub fn check(
    cfg: &ExperimentConfig,
    size: DataSize,
    budget: &MemoryBudget,
) -> Result<MemoryEstimate, String> {
    let chunk = |c: &ExperimentConfig| {
        let may_use_gpu =
            c.backend != BackendChoice::Cpu && cfg!(any(target_arch = "wasm32", feature = "wgpu"));
        embed_chunk(may_use_gpu, c, size.shape)
    };
    let needed = |e: &MemoryEstimate| (e.total() as f64 * budget.factor) as u64;
    let estimate = MemoryEstimate::of(cfg, size, chunk(cfg));
    if needed(&estimate) <= budget.bytes {
        return Ok(estimate);
    }
    let fits = |c: &ExperimentConfig, s: DataSize| {
        needed(&MemoryEstimate::of(c, s, chunk(c))) <= budget.bytes
    };
    let would_fit = what_would_fit(cfg, size, fits);
    let advice = if would_fit.is_empty() {
        format!("nothing smaller in one setting fits; {}", budget.elsewhere)
    } else {
        format!("what would fit: {}", would_fit.join("; or "))
    };
    let scaled = if budget.factor == 1.0 {
        String::new()
    } else {
        format!(
            " ×{} here = {}",
            budget.factor,
            bytes_text(needed(&estimate))
        )
    };
    Err(format!(
        "this run needs an estimated {}{scaled} of memory, above {} ({}); {advice}",
        estimate.text(),
        bytes_text(budget.bytes),
        budget.source
    ))
}

/// One-setting changes of `cfg` (or of the training set's size) that `fits`, in the order a
/// user would try them: the neighbour term off, the MLP encoder, the largest smaller batch
/// (halving), the most training images (bisection).
fn what_would_fit(
    cfg: &ExperimentConfig,
    size: DataSize,
    fits: impl Fn(&ExperimentConfig, DataSize) -> bool,
) -> Vec<String> {
    let mut would_fit = Vec::new();
    if cfg.neighbours > 0.0 {
        let off = ExperimentConfig {
            neighbours: 0.0,
            ..cfg.clone()
        };
        if fits(&off, size) {
            would_fit.push("the neighbour term off (neighbours 0)".to_string());
        }
    }
    if cfg.encoder == EncoderKind::Conv {
        let mlp = ExperimentConfig {
            encoder: EncoderKind::Mlp,
            ..cfg.clone()
        };
        if fits(&mlp, size) {
            would_fit.push("the MLP encoder (encoder mlp)".to_string());
        }
    }
    let mut smaller = cfg.clone();
    while smaller.batch_size > 2 {
        smaller.batch_size /= 2;
        if fits(&smaller, size) {
            would_fit.push(format!("batch size {}", smaller.batch_size));
            break;
        }
    }
    // Fewer training images: the largest count that fits, by bisection.
    let with_train = |train| DataSize { train, ..size };
    if fits(cfg, with_train(1)) {
        let (mut lo, mut hi) = (1, size.train);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if fits(cfg, with_train(mid)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        would_fit.push(format!("at most {lo} training images"));
    }
    would_fit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(side: usize, train: usize) -> DataSize {
        DataSize {
            shape: ImageShape {
                rows: side,
                cols: side,
            },
            train,
            test: train / 5,
            classes: 10,
        }
    }

    #[test]
    fn the_estimate_grows_with_images_batch_and_model() {
        let cfg = ExperimentConfig::recommended(ModelKind::MetricVae);
        let at = |side, train, batch| {
            let c = ExperimentConfig {
                batch_size: batch,
                ..cfg.clone()
            };
            MemoryEstimate::of(&c, size(side, train), 256)
        };
        let small = at(28, 1000, 32);
        let large = at(224, 1000, 32);
        // 64× the pixels: 64× the images' bytes, and the model's first and last layers.
        assert_eq!(large.images, 64 * small.images);
        assert!(large.model > 30 * small.model, "{large:?} {small:?}");
        // (The VampPrior's 100 pseudo-inputs go through the encoder whatever the batch.)
        assert!(at(224, 1000, 256).step > 3 * large.step);
        assert!(at(28, 60_000, 32).images > 50 * small.images);
        // The neighbour search does not grow with the square of the pixel count.
        assert!(large.neighbour_search < 8 * small.neighbour_search.max(1));
        let off = ExperimentConfig {
            neighbours: 0.0,
            ..cfg.clone()
        };
        assert_eq!(
            MemoryEstimate::of(&off, size(28, 1000), 256).neighbour_search,
            0
        );
    }

    #[test]
    fn a_run_over_its_budget_is_refused_with_what_would_fit() {
        let cfg = ExperimentConfig {
            encoder: EncoderKind::Conv,
            batch_size: 256,
            ..ExperimentConfig::recommended(ModelKind::MetricVae)
        };
        let s = size(224, 2000);
        let estimate = MemoryEstimate::of(&cfg, s, 256);
        let budget = MemoryBudget::native(estimate.total() / 2, "a test's budget");
        let e = check(&cfg, s, &budget).unwrap_err();
        assert!(e.starts_with("this run needs an estimated "), "{e}");
        assert!(e.contains("a test's budget"), "{e}");
        assert!(e.contains("what would fit: "), "{e}");
        assert!(e.contains("batch size "), "{e}");
        // Each suggestion fits when taken.
        let batch: usize = e
            .split("batch size ")
            .nth(1)
            .unwrap()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let smaller = ExperimentConfig {
            batch_size: batch,
            ..cfg.clone()
        };
        assert!(check(&smaller, s, &budget).is_ok());
        assert!(check(
            &cfg,
            s,
            &MemoryBudget {
                bytes: estimate.total(),
                ..budget.clone()
            }
        )
        .is_ok());
        // A budget under the runtime alone leaves nothing to suggest.
        let tiny = MemoryBudget {
            bytes: 1 << 20,
            ..budget
        };
        let e = check(&cfg, s, &tiny).unwrap_err();
        assert!(e.contains("use a machine with more memory"), "{e}");
    }
}
