//! The training loop, written once for every device and both hosts (CLI and page).
//!
//! Explicit and step-wise: forward → loss → backward → Adam step, then one event to the
//! observer, which may yield to the browser or ask to stop.

use std::collections::BTreeMap;

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use thiserror::Error;
use web_time::Instant;

use super::events::{EpochRecord, Flow, Observer, TrainEvent};
use super::sampler::Cycler;
use crate::config::{ConfigError, ExperimentConfig};
use crate::data::batch::{images_tensor, labels_of};
use crate::data::partial::select_labelled;
use crate::data::Dataset;
use crate::losses::TripletLoss;
use crate::model::{MlpEncoder, MlpEncoderConfig};

/// Why a run could not finish.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TrainError {
    #[error("invalid config: {0}")]
    Config(#[from] ConfigError),
    #[error("the loss became {value} at epoch {epoch}, step {step}; try a lower learning rate")]
    NonFinite { epoch: usize, step: usize, value: f64 },
    #[error("the device failed: {0}")]
    Device(String),
}

/// A trained encoder and how training went.
pub struct Trained {
    pub encoder: MlpEncoder,
    pub history: Vec<EpochRecord>,
    /// Training images that kept their label.
    pub labelled: usize,
    /// The observer asked to stop before the last epoch ended.
    pub stopped: bool,
    pub seconds: f64,
}

/// Number of optimiser steps in one epoch: `cfg.steps_per_epoch`, or (when 0) one pass over
/// all training images in batches.
pub fn steps_per_epoch(cfg: &ExperimentConfig, data: &Dataset) -> usize {
    match cfg.steps_per_epoch {
        0 => data.train.len().div_ceil(cfg.batch_size),
        n => n,
    }
}

/// Trains the encoder of `cfg` on `data`. Only the `pl`% labelled images reach the metric loss.
pub async fn train(
    cfg: &ExperimentConfig,
    data: &Dataset,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<Trained, TrainError> {
    cfg.validate()?;
    let start = Instant::now();
    device.seed(cfg.seed);
    let device = device.clone().autodiff();
    let mut encoder = MlpEncoderConfig::new(cfg.lsdim).with_input(data.train.dim()).init(&device);
    let mut optim = AdamConfig::new().init();
    let loss_fn = TripletLoss { margin: cfg.margin as f32 };

    let labelled = select_labelled(data.train.len(), cfg.pl, cfg.seed);
    let labelled_count = labelled.len();
    let mut batches = Cycler::new(labelled, cfg.seed.wrapping_add(1));
    let steps = steps_per_epoch(cfg, data);
    let mut history = Vec::with_capacity(cfg.epochs);
    let mut stopped = observer
        .on_event(&TrainEvent::Started { epochs: cfg.epochs, steps_per_epoch: steps, labelled: labelled_count })
        .await
        == Flow::Stop;

    let mut global_step = 0;
    for epoch in 1..=cfg.epochs {
        if stopped {
            break;
        }
        let epoch_start = Instant::now();
        let (mut sum, mut active_sum) = (0.0, 0.0);
        let mut done = 0;
        for step in 1..=steps {
            let idx = batches.next_batch(cfg.batch_size);
            let images = images_tensor(&data.train, &idx, &device); // [batch, 784]
            let labels = labels_of(&data.train, &idx);
            let out = loss_fn.forward(encoder.forward(images), &labels);
            let grads = GradientsParams::from_grads(out.loss.backward(), &encoder);
            encoder = optim.step(cfg.lr, encoder, grads);
            // One read per step: the loss and the share of valid triplets still active.
            let stats = Tensor::cat(vec![out.loss.detach(), out.active_fraction], 0);
            let stats = stats.into_data_async().await.map_err(|e| TrainError::Device(format!("{e:?}")))?;
            let stats: Vec<f32> = stats.try_to_vec().map_err(|e| TrainError::Device(format!("{e:?}")))?;
            let (value, active) = (stats[0] as f64, stats[1] as f64);
            if !value.is_finite() {
                return Err(TrainError::NonFinite { epoch, step, value });
            }
            global_step += 1;
            sum += value;
            active_sum += active;
            done += 1;
            let event = TrainEvent::Step {
                epoch,
                step,
                global_step,
                loss: value,
                terms: vec![("triplet".into(), value), ("active_triplets".into(), active)],
            };
            if observer.on_event(&event).await == Flow::Stop {
                stopped = true;
                break;
            }
        }
        if done > 0 {
            let mean = sum / done as f64;
            let record = EpochRecord {
                epoch,
                loss: mean,
                terms: BTreeMap::from([
                    ("triplet".to_string(), mean),
                    ("active_triplets".to_string(), active_sum / done as f64),
                ]),
                seconds: epoch_start.elapsed().as_secs_f64(),
            };
            if observer.on_event(&TrainEvent::EpochEnd(record.clone())).await == Flow::Stop {
                stopped = true;
            }
            history.push(record);
        }
    }
    Ok(Trained {
        encoder: encoder.valid(),
        history,
        labelled: labelled_count,
        stopped,
        seconds: start.elapsed().as_secs_f64(),
    })
}
