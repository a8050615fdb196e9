//! Stage 5, evaluation: embeddings of the test split scored by probes.

pub mod embed;
pub mod knn;
pub mod mutual_info;
pub mod pca;

use serde::{Deserialize, Serialize};

use crate::train::{Flow, Observer, TrainEvent};
use knn::{accuracy, CrossValKnn};
use mutual_info::adjusted_mutual_info;

/// A probe's scores: accuracy and AMI of predicted vs true labels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProbeScores {
    pub accuracy: f64,
    pub ami: f64,
}

/// kNN neighbours (the paper's protocol).
pub const KNN_K: usize = 5;
/// Cross-validation folds over the test embeddings.
pub const KNN_FOLDS: usize = 5;
/// Queries between two observer events, so a browser host can yield while probing.
const KNN_CHUNK: usize = 250;

/// kNN probe (k = 5, 5-fold cross-validation over the test embeddings): every test image is
/// predicted once, by the 4 folds it is not in; accuracy and AMI are over all predictions.
/// `None` if the observer stopped.
pub async fn knn_probe(
    embeddings: &[f32],
    dim: usize,
    labels: &[u8],
    num_classes: usize,
    seed: u64,
    observer: &mut impl Observer,
) -> Option<ProbeScores> {
    if observer
        .on_event(&TrainEvent::Probing { name: "knn".into() })
        .await
        == Flow::Stop
    {
        return None;
    }
    let knn = CrossValKnn::new(embeddings, dim, labels, num_classes, KNN_K, KNN_FOLDS, seed);
    let mut pred = Vec::with_capacity(labels.len());
    for start in (0..labels.len()).step_by(KNN_CHUNK) {
        pred.extend(knn.predict(start..(start + KNN_CHUNK).min(labels.len())));
        if observer
            .on_event(&TrainEvent::Probing { name: "knn".into() })
            .await
            == Flow::Stop
        {
            return None;
        }
    }
    Some(ProbeScores {
        accuracy: accuracy(labels, &pred),
        ami: adjusted_mutual_info(labels, &pred),
    })
}
