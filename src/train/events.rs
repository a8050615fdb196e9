//! What the training loop tells its observer, and what the observer can answer.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One named loss term's value at a step (e.g. `("triplet", 0.41)`).
pub type Terms = Vec<(String, f64)>;

/// Which split an [`TrainEvent::Embedding`] embeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmbeddedSet {
    Train,
    Test,
}

impl EmbeddedSet {
    /// The images in words, for progress messages.
    pub fn images(self) -> &'static str {
        match self {
            Self::Train => "training images",
            Self::Test => "test images",
        }
    }
}

/// Progress of a run (serialisable: the page's training worker posts it to the page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TrainEvent {
    /// Training is about to start.
    Started {
        epochs: usize,
        steps_per_epoch: usize,
        labelled: usize,
    },
    /// One optimiser step finished (`step` counts from 1 within the epoch).
    Step {
        epoch: usize,
        step: usize,
        global_step: usize,
        loss: f64,
        terms: Terms,
    },
    /// An epoch finished.
    EpochEnd(EpochRecord),
    /// The kNN accuracy of the model as it stands, measured on the first test images while
    /// training goes on (the accuracy curve).
    Accuracy(AccuracyPoint),
    /// Images embedded so far: the test images (and the labelled training images) during
    /// evaluation, every training image for the pseudo-labels at an epoch's start.
    Embedding {
        of: EmbeddedSet,
        done: usize,
        total: usize,
    },
    /// Training images whose nearest images in pixel space are found so far (the neighbour
    /// term's graph, before the first step).
    Neighbours { done: usize, total: usize },
    /// A probe is running.
    Probing { name: String },
    /// A probe finished: its table label, its scores in words and its wall time.
    ProbeDone {
        label: String,
        result: String,
        seconds: f64,
    },
}

/// Mean loss terms over one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Counts from 1.
    pub epoch: usize,
    pub loss: f64,
    pub terms: std::collections::BTreeMap<String, f64>,
    pub seconds: f64,
}

/// The kNN accuracy (k = 5, 5-fold) of the first test images' embeddings at one point of
/// training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AccuracyPoint {
    /// The epoch under way (counts from 1).
    pub epoch: usize,
    /// Optimiser steps done so far.
    pub global_step: usize,
    pub accuracy: f64,
    /// Measured at the end of `epoch`.
    pub epoch_end: bool,
    /// Wall time of the measurement (embedding plus kNN), part of the training time.
    pub seconds: f64,
    /// How many test images were measured (the first ones; fewer where the test split is
    /// small). 0 in records made before it was kept.
    #[serde(default)]
    pub images: usize,
}

/// The observer's answer after each event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Receives events; `await`ing it is where a browser host yields to the page.
#[allow(async_fn_in_trait)] // implemented and awaited inside this crate's single-threaded hosts
pub trait Observer {
    async fn on_event(&mut self, event: &TrainEvent) -> Flow;

    /// Called after each epoch (after its `EpochEnd`) with the model as it stands, for hosts
    /// that look at it while training goes on (the page draws the latent space). Does nothing
    /// by default.
    async fn after_epoch(&mut self, _epoch: usize, _model: &crate::model::LabModel) -> Flow {
        Flow::Continue
    }

    /// Called after each readback of step losses (every step on the CPU, up to
    /// [`Readback::max_pending`] steps on a GPU) with the model being trained (`valid()`
    /// gives a copy without autodiff), for hosts that draw it while training goes on. Does
    /// nothing by default.
    async fn during_training(
        &mut self,
        _global_step: usize,
        _model: &crate::model::LabModel,
    ) -> Flow {
        Flow::Continue
    }

    /// When the trainer reads the losses of finished steps back from the device (and reports
    /// them): by default promptly ([`Readback::PROMPT`]); a GPU host asks for
    /// [`Readback::GPU`], whose queue then never waits on a readback.
    fn readback(&self) -> Readback {
        Readback::PROMPT
    }

    /// Images per forward pass when the trainer embeds the training images (pseudo-labels),
    /// with an `Embedding` event after each pass: the host's choice, as for its evaluation.
    fn embed_chunk(&self) -> usize {
        EMBED_CHUNK
    }
}

/// The default of [`Observer::embed_chunk`]: few large passes (what a GPU prefers).
pub const EMBED_CHUNK: usize = 2048;

/// When the trainer reads step losses back (see [`Observer::readback`]): after `max_pending`
/// steps, or once `interval` has passed since the last read (never, with `None`), and at the
/// end of every epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readback {
    pub max_pending: usize,
    pub interval: Option<Duration>,
}

impl Readback {
    /// Within 25 ms: on the CPU, where a step takes longer than that, every step is read (and
    /// reported) at once.
    pub const PROMPT: Readback = Readback {
        max_pending: 16,
        interval: Some(Duration::from_millis(25)),
    };
    /// A GPU: sixteen steps queue without a stall, so at most one readback per 16 steps (a
    /// map of one buffer), or one a second where steps are that slow (a software adapter),
    /// so that progress, Pause and Stop are still heard.
    pub const GPU: Readback = Readback {
        max_pending: 16,
        interval: Some(Duration::from_secs(1)),
    };
    /// Only by count, whatever the device's speed: a benchmark counts the same GPU work on
    /// any adapter.
    pub const BY_COUNT: Readback = Readback {
        max_pending: 16,
        interval: None,
    };
    /// Every step (an observer that times single steps).
    pub const EVERY_STEP: Readback = Readback {
        max_pending: 1,
        interval: None,
    };

    /// What a run on `kind` uses: [`Readback::GPU`] on wgpu, else [`Readback::PROMPT`].
    pub fn for_run(kind: crate::backend::BackendKind) -> Self {
        match kind {
            crate::backend::BackendKind::Wgpu => Readback::GPU,
            crate::backend::BackendKind::Cpu => Readback::PROMPT,
        }
    }

    /// What a benchmark on `kind` uses: [`Readback::BY_COUNT`] on wgpu (the same GPU work on
    /// any adapter), else [`Readback::PROMPT`].
    pub fn for_bench(kind: crate::backend::BackendKind) -> Self {
        match kind {
            crate::backend::BackendKind::Wgpu => Readback::BY_COUNT,
            crate::backend::BackendKind::Cpu => Readback::PROMPT,
        }
    }
}

/// An observer that ignores everything (tests, benchmarks).
pub struct Silent;

impl Observer for Silent {
    async fn on_event(&mut self, _event: &TrainEvent) -> Flow {
        Flow::Continue
    }
}
