//! One experiment end to end: train → embed the test split → probe → record.
//! Both hosts (CLI and page) call this; they differ only in the device and the observer.

pub mod memory;

use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use web_time::Instant;

use crate::backend::read_floats;
use crate::config::{EncoderKind, ExperimentConfig, ModelKind};
use crate::data::batch::images_tensor;
use crate::data::Dataset;
use crate::eval::diagnostics::{test_set_kl, LatentDiagnostics};
use crate::eval::{evaluate, EvalInput, Probes, KNN_FOLDS};
use crate::model::prior::{gmm_means, GMM_LOGVAR};
use crate::model::LabModel;
use crate::report::figures::{ReconGrid, RECONSTRUCTIONS, RECORDED_SCATTER_POINTS};
use crate::report::{Figures, RunRecord, Scatter, Timings};
use crate::train::embed::{embed_all, embed_images};
use crate::train::speed::BackendInfo;
use crate::train::{train, EmbeddedSet, Flow, Observer, TrainError, TrainEvent};

/// A finished run: its record and the full scatter of the test embeddings.
pub struct Outcome {
    pub record: RunRecord,
    /// Every test point (the record keeps [`RECORDED_SCATTER_POINTS`]).
    pub scatter: Scatter,
    /// The trained model (for exporting its weights).
    pub model: LabModel,
    /// Every test image's embedding, `[n * lsdim]` (for another projection of the scatter).
    pub embeddings: Vec<f32>,
}

/// Trains and evaluates. A stop during training ends training early and still evaluates (the
/// record says `stopped_early`); a stop during evaluation abandons the run (`Ok(None)`).
pub async fn run_experiment(
    cfg: &ExperimentConfig,
    data: &Dataset,
    device: &Device,
    backend: BackendInfo,
    probes: Probes,
    observer: &mut impl Observer,
) -> Result<Option<Outcome>, TrainError> {
    check_dataset(cfg, data).map_err(TrainError::Data)?;
    let chunk = embed_chunk(&backend, cfg, data);
    let mut tracked = Tracked::new(cfg, data, device, chunk, observer);
    let trained = train(cfg, data, device, &mut tracked).await?;
    let accuracy = tracked.points;
    let eval_start = Instant::now();
    let run = Measuring {
        cfg,
        data,
        model: &trained.model,
        chunk,
        device,
    };
    let Some(embedded) = run
        .embed(&trained.labelled_indices, probes, observer)
        .await?
    else {
        return Ok(None);
    };
    let Some((metrics, diagnostics)) = run.measure(&embedded, probes, observer).await? else {
        return Ok(None);
    };
    let eval_seconds = eval_start.elapsed().as_secs_f64();
    let (scatter, reconstructions) = run.figures(&embedded.test).await?;
    let record = RunRecord {
        config: cfg.clone(),
        metrics,
        backend,
        labelled: trained.labelled_indices.len(),
        timings: Timings {
            train_seconds: trained.seconds,
            eval_seconds,
            seconds_per_step: trained.seconds / trained.steps.max(1) as f64,
        },
        stopped_early: trained.stopped,
        version: env!("CARGO_PKG_VERSION").into(),
        figures: Some(Figures {
            curves: trained.curves,
            scatter: scatter.truncated(RECORDED_SCATTER_POINTS),
            reconstructions,
            accuracy,
        }),
        diagnostics: Some(diagnostics),
        history: trained.history,
    };
    Ok(Some(Outcome {
        record,
        scatter,
        model: trained.model,
        embeddings: embedded.test,
    }))
}

/// A trained model being measured: what its evaluation steps share.
struct Measuring<'a> {
    cfg: &'a ExperimentConfig,
    data: &'a Dataset,
    model: &'a LabModel,
    chunk: usize,
    device: &'a Device,
}

/// The embeddings the probes read: every test image's, and (for the few-label kNN) the
/// labelled training images' with their labels.
struct Embedded {
    test: Vec<f32>,
    labelled: Option<(Vec<f32>, Vec<u8>)>,
}

impl Measuring<'_> {
    /// Embeds what the probes need; `None` on a stop.
    async fn embed(
        &self,
        labelled: &[usize],
        probes: Probes,
        observer: &mut impl Observer,
    ) -> Result<Option<Embedded>, TrainError> {
        let test = (&self.data.test, EmbeddedSet::Test);
        let embedded = embed_all(self.model, test, self.chunk, self.device, observer).await;
        let Some(test) = embedded.map_err(TrainError::Device)? else {
            return Ok(None);
        };
        if !probes.few_label_knn {
            return Ok(Some(Embedded {
                test,
                labelled: None,
            }));
        }
        let train = (&self.data.train, EmbeddedSet::Train);
        let embedded = embed_images(
            self.model,
            train,
            labelled,
            self.chunk,
            self.device,
            observer,
        )
        .await;
        let Some(emb) = embedded.map_err(TrainError::Device)? else {
            return Ok(None);
        };
        let labels: Vec<u8> = labelled
            .iter()
            .map(|&i| self.data.train.labels[i])
            .collect();
        Ok(Some(Embedded {
            test,
            labelled: Some((emb, labels)),
        }))
    }

    /// The probes' scores and the latent space's diagnostics; `None` on a stop.
    async fn measure(
        &self,
        embedded: &Embedded,
        probes: Probes,
        observer: &mut impl Observer,
    ) -> Result<Option<(crate::eval::Metrics, LatentDiagnostics)>, TrainError> {
        let (cfg, test) = (self.cfg, &self.data.test);
        let input = EvalInput {
            embeddings: &embedded.test,
            dim: cfg.lsdim,
            labels: &test.labels,
            num_classes: self.data.num_classes(),
            labelled: (embedded.labelled.as_ref()).map(|(e, l)| (e.as_slice(), l.as_slice())),
            seed: cfg.seed,
        };
        let evaluated = evaluate(&input, probes, observer).await;
        let Some(metrics) = evaluated.map_err(TrainError::Eval)? else {
            return Ok(None);
        };
        let kl = test_set_kl(cfg, self.model, test, self.chunk, self.device, observer).await;
        let Some(kl) = kl.map_err(TrainError::Device)? else {
            return Ok(None);
        };
        let diagnostics = LatentDiagnostics::new(&embedded.test, cfg.lsdim, &test.labels, kl);
        Ok(Some((metrics, diagnostics)))
    }

    /// The scatter of the test embeddings (with the prior's components) and the
    /// reconstructions.
    async fn figures(&self, test: &[f32]) -> Result<(Scatter, Option<ReconGrid>), TrainError> {
        let components = prior_components(self.cfg, self.model)
            .await
            .map_err(TrainError::Device)?;
        let labels = &self.data.test.labels;
        let scatter = Scatter::project(test, self.cfg.lsdim, labels, &components);
        let reconstructions = reconstruct(self.model, self.data, self.device)
            .await
            .map_err(TrainError::Device)?;
        Ok((scatter, reconstructions))
    }
}

/// Test images whose kNN accuracy is measured while training goes on (the first ones).
pub const TRACKED_TEST_IMAGES: usize = 1000;

/// Accuracy measurements per run while training, besides one at the end of each epoch.
const TRACKED_POINTS: usize = 10;

/// Passes every event on to the host's observer, and measures the kNN accuracy of the first
/// [`TRACKED_TEST_IMAGES`] test images about [`TRACKED_POINTS`] times a run and at the end of
/// each epoch ([`TrainEvent::Accuracy`]). It reads the model only (no random draw), so the run
/// is the same with or without it.
struct Tracked<'a, O> {
    inner: &'a mut O,
    data: &'a Dataset,
    device: &'a Device,
    chunk: usize,
    dim: usize,
    seed: u64,
    /// Steps between two measurements, and per epoch (known once training has started).
    every: usize,
    steps_per_epoch: usize,
    next_due: usize,
    epoch: usize,
    last_step: usize,
    points: Vec<crate::train::AccuracyPoint>,
}

impl<'a, O: Observer> Tracked<'a, O> {
    fn new(
        cfg: &ExperimentConfig,
        data: &'a Dataset,
        device: &'a Device,
        chunk: usize,
        inner: &'a mut O,
    ) -> Self {
        Self {
            inner,
            data,
            device,
            chunk,
            dim: cfg.lsdim,
            seed: cfg.seed,
            every: usize::MAX,
            steps_per_epoch: usize::MAX,
            next_due: usize::MAX,
            epoch: 1,
            last_step: 0,
            points: Vec::new(),
        }
    }

    /// Measures the accuracy of `model` now and tells the host.
    async fn measure(&mut self, model: &LabModel, epoch_end: bool) -> Flow {
        let start = Instant::now();
        let test = &self.data.test;
        let idx: Vec<usize> = (0..TRACKED_TEST_IMAGES.min(test.len())).collect();
        let embedded = embed_images(
            model,
            (test, EmbeddedSet::Test),
            &idx,
            self.chunk,
            self.device,
            &mut crate::train::Silent,
        )
        .await;
        let Ok(Some(embeddings)) = embedded else {
            return Flow::Continue; // the curve misses a point; the run goes on
        };
        let labels = &test.labels[..idx.len()];
        let classes = self.data.num_classes();
        let point = crate::train::AccuracyPoint {
            epoch: self.epoch,
            global_step: self.last_step,
            accuracy: crate::eval::knn_accuracy(&embeddings, self.dim, labels, classes, self.seed),
            epoch_end,
            seconds: start.elapsed().as_secs_f64(),
            images: idx.len(),
        };
        self.points.push(point);
        self.inner.on_event(&TrainEvent::Accuracy(point)).await
    }
}

impl<O: Observer> Observer for Tracked<'_, O> {
    async fn on_event(&mut self, event: &TrainEvent) -> Flow {
        match event {
            TrainEvent::Started {
                epochs,
                steps_per_epoch,
                ..
            } => {
                self.every = (epochs * steps_per_epoch / TRACKED_POINTS).max(1);
                self.next_due = self.every;
                self.steps_per_epoch = (*steps_per_epoch).max(1);
            }
            TrainEvent::Step {
                epoch, global_step, ..
            } => (self.epoch, self.last_step) = (*epoch, *global_step),
            _ => {}
        }
        self.inner.on_event(event).await
    }

    async fn during_training(&mut self, global_step: usize, model: &LabModel) -> Flow {
        // Not at an epoch's last step: the end of the epoch measures that one.
        if global_step >= self.next_due && !global_step.is_multiple_of(self.steps_per_epoch) {
            self.next_due = global_step + self.every;
            if self.measure(&model.valid(), false).await == Flow::Stop {
                return Flow::Stop;
            }
        }
        self.inner.during_training(global_step, model).await
    }

    async fn after_epoch(&mut self, epoch: usize, model: &LabModel) -> Flow {
        if self.measure(model, true).await == Flow::Stop {
            return Flow::Stop;
        }
        self.inner.after_epoch(epoch, model).await
    }

    fn readback(&self) -> crate::train::Readback {
        self.inner.readback()
    }

    fn embed_chunk(&self) -> usize {
        self.chunk
    }
}

/// Test images the probes need at least: two per cross-validation fold.
pub const MIN_TEST_IMAGES: usize = 2 * KNN_FOLDS;

/// Why `data` cannot be used to train and evaluate `cfg`, found before training so that no
/// run is lost at its evaluation.
pub fn check_dataset(cfg: &ExperimentConfig, data: &Dataset) -> Result<(), String> {
    let classes = |labels: &[u8]| {
        let mut seen = [false; 256];
        labels.iter().for_each(|&l| seen[l as usize] = true);
        seen.iter().filter(|&&s| s).count()
    };
    let name = |labels: &[u8]| {
        let first = labels.first().copied().unwrap_or(0) as usize;
        data.class_names
            .get(first)
            .cloned()
            .unwrap_or_else(|| first.to_string())
    };
    if data.train.is_empty() {
        return Err("it has no training images".into());
    }
    if classes(&data.train.labels) < 2 {
        return Err(format!(
            "every training image has the label {}; metric learning needs at least two classes",
            name(&data.train.labels)
        ));
    }
    if data.test.len() < MIN_TEST_IMAGES {
        return Err(format!(
            "it has {} test images; the probes' {KNN_FOLDS}-fold cross-validation needs at least {MIN_TEST_IMAGES}",
            data.test.len()
        ));
    }
    if classes(&data.test.labels) < 2 {
        return Err(format!(
            "every test image has the label {}; the probes need at least two classes to score",
            name(&data.test.labels)
        ));
    }
    let shape = data.train.shape();
    let smallest = crate::model::encoder::CONV_MIN_SIDE;
    if cfg.encoder == EncoderKind::Conv && (shape.rows < smallest || shape.cols < smallest) {
        return Err(format!(
            "the conv encoder needs images of at least {smallest}×{smallest} pixels, these are {}×{}; use the MLP encoder (encoder mlp)",
            shape.rows, shape.cols
        ));
    }
    Ok(())
}

/// A finished run as a host shows it: the record, every test point, the weights.
pub struct Finished {
    pub record: RunRecord,
    /// Every test point.
    pub scatter: Scatter,
    /// The trained weights as .safetensors, or why there are none.
    pub weights: Result<Vec<u8>, String>,
    /// Every test image's embedding (the worker keeps them; they do not cross to the page).
    pub embeddings: Vec<f32>,
}

/// Trains and evaluates with every probe, then writes the weights (`None`: stopped during
/// evaluation). The page's training worker runs this, and the page itself when no worker can
/// start (each calls [`check_page_memory`] before it picks a device).
pub async fn train_to_finish(
    cfg: &ExperimentConfig,
    data: &Dataset,
    device: &Device,
    info: BackendInfo,
    observer: &mut impl Observer,
) -> Result<Option<Finished>, String> {
    let outcome = run_experiment(cfg, data, device, info, Probes::ALL, observer)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match outcome {
        Some(o) => Some(Finished {
            weights: crate::model::weights::to_safetensors(&o.model, cfg).await,
            record: o.record,
            scatter: o.scatter,
            embeddings: o.embeddings,
        }),
        None => None,
    })
}

/// Refuses a run whose estimated peak memory is over the page's budget, before any step (the
/// Auto backend's measurement included), with what would fit.
pub fn check_page_memory(
    cfg: &ExperimentConfig,
    data: &Dataset,
) -> Result<memory::MemoryEstimate, String> {
    memory::check(
        cfg,
        memory::DataSize::of(data),
        &memory::MemoryBudget::page(),
    )
}

/// Images per embedding pass on `backend` ([`memory::embed_chunk`]): small passes on the CPU
/// keep each one short (the page yields between them); a GPU prefers few large dispatches;
/// either way a pass's activations are bounded.
pub fn embed_chunk(backend: &BackendInfo, cfg: &ExperimentConfig, data: &Dataset) -> usize {
    let on_gpu = backend.kind != crate::backend::BackendKind::Cpu;
    memory::embed_chunk(on_gpu, cfg, data.train.shape())
}

/// The prior's components in latent space, as (mean, log-variance) pairs: N(0, I) for the
/// unit prior, the fixed GMM components, or the VampPrior's q(z | u_k).
pub async fn prior_components(
    cfg: &ExperimentConfig,
    model: &LabModel,
) -> Result<Vec<(Vec<f32>, Vec<f32>)>, String> {
    let d = cfg.lsdim;
    Ok(match cfg.model {
        ModelKind::DmlUnitPrior => vec![(vec![0.0; d], vec![0.0; d])],
        ModelKind::DmlGmmPrior => gmm_means(d, cfg.prior_components, cfg.seed)
            .into_iter()
            .map(|m| (m, vec![GMM_LOGVAR; d]))
            .collect(),
        _ => match model.vamp_components() {
            Some((means, logvars)) => {
                let means = read_floats(means, "the VampPrior's means").await?;
                let logvars = read_floats(logvars, "the VampPrior's log-variances").await?;
                means
                    .chunks_exact(d)
                    .zip(logvars.chunks_exact(d))
                    .map(|(m, l)| (m.to_vec(), l.to_vec()))
                    .collect()
            }
            None => Vec::new(),
        },
    })
}

/// The first test images and their reconstructions from the embedding (decoder models only).
async fn reconstruct(
    model: &LabModel,
    data: &Dataset,
    device: &Device,
) -> Result<Option<ReconGrid>, String> {
    let idx: Vec<usize> = (0..RECONSTRUCTIONS.min(data.test.len())).collect();
    let Some(logits) = model.decode(model.embed(images_tensor(&data.test, &idx, device))) else {
        return Ok(None);
    };
    let pixels = read_floats(sigmoid(logits), "the reconstructions").await?;
    let dim = data.test.dim();
    Ok(Some(ReconGrid {
        width: data.test.cols,
        height: data.test.rows,
        originals: idx.iter().map(|&i| data.test.image(i).to_vec()).collect(),
        reconstructions: pixels
            .chunks_exact(dim)
            .map(|p| {
                p.iter()
                    .map(|&v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
                    .collect()
            })
            .collect(),
    }))
}
