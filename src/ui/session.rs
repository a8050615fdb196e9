//! What the page keeps between runs that it does not show directly: the datasets it has loaded,
//! its link to the training worker, the last model's weights and the latent scatter's canvas.
//! One value per page, held by [`super::state::LabState`] (a leptos `StoredValue`: shared by
//! every component through context, not reactive).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::{Closure, JsValue};

use super::protocol::FromWorker;
use crate::config::{DatasetKind, ExperimentConfig};
use crate::data::Dataset;

/// A run's weights (.safetensors, or why there are none) and its config.
pub type KeptWeights = (Result<Vec<u8>, String>, ExperimentConfig);

/// Messages from the worker, in order, until the page reads them.
pub type Inbox = Rc<RefCell<VecDeque<(FromWorker, Option<Vec<u8>>)>>>;

/// The running training worker: its messages, and the dataset it holds.
pub struct WorkerLink {
    pub inbox: Inbox,
    /// The dataset last sent (sent again only when it changes).
    pub sent: Weak<Dataset>,
    /// Whether it said it booted (a crash before that means it cannot boot in this browser).
    pub ready: bool,
    pub _on_message: Closure<dyn FnMut(JsValue)>,
}

/// The page's session.
#[derive(Default)]
pub struct Session {
    /// Each dataset the page has loaded (MNIST once fetched; the user's files once given).
    pub datasets: Vec<(DatasetKind, Rc<Dataset>)>,
    /// The training worker, once started.
    pub worker: Option<WorkerLink>,
    /// Why this page trains on its main thread: its worker could not start.
    pub worker_unavailable: Option<String>,
    /// The last finished run's weights, for "Export weights".
    pub weights: Option<KeptWeights>,
    /// The latent scatter's canvas host, once mounted.
    pub scatter_host: Option<JsValue>,
    /// The last finished run's scatter of every test point (PCA, or the latent space itself)
    /// and its class names, to go back to from another projection.
    pub last_scatter: Option<(crate::report::Scatter, Vec<String>)>,
    /// The last finished run's test embeddings, size and labels, when it trained in the page
    /// (a worker keeps its own).
    pub embeddings: Option<(Vec<f32>, usize, Vec<u8>)>,
}

impl Session {
    /// The loaded dataset of `kind`, if any.
    pub fn dataset(&self, kind: DatasetKind) -> Option<Rc<Dataset>> {
        self.datasets
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, d)| d.clone())
    }

    /// Keeps `data` as the dataset of `kind` (replacing an earlier one).
    pub fn keep_dataset(&mut self, kind: DatasetKind, data: Rc<Dataset>) {
        self.datasets.retain(|(k, _)| *k != kind);
        self.datasets.push((kind, data));
    }
}
