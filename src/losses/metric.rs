//! The supervised metric loss L_S chosen by the config, with its named sub-terms.

use burn::prelude::*;

use super::center::CenterLoss;
use super::distance::l2_normalize;
use super::supcon::SupConLoss;
use super::triplet::TripletLoss;
use crate::config::{ExperimentConfig, MetricLossKind};

/// L_S and the diagnostics worth plotting beside it.
pub struct MetricOutput {
    pub loss: Tensor<1>,
    pub terms: Vec<(&'static str, Tensor<1>)>,
}

/// One of the metric losses, configured.
#[derive(Debug, Clone, Copy)]
pub enum MetricLoss {
    Triplet { loss: TripletLoss, normalize: bool },
    SupCon(SupConLoss),
    Center { loss: CenterLoss, normalize: bool },
}

impl MetricLoss {
    pub fn from_config(cfg: &ExperimentConfig) -> Self {
        match cfg.loss {
            MetricLossKind::Triplet => Self::Triplet {
                loss: TripletLoss {
                    margin: cfg.margin as f32,
                    miner: cfg.miner,
                    distance: cfg.distance,
                },
                normalize: cfg.normalize,
            },
            MetricLossKind::Supcon => Self::SupCon(SupConLoss {
                temperature: cfg.temperature as f32,
            }),
            MetricLossKind::Center => Self::Center {
                loss: CenterLoss {
                    margin: cfg.margin as f32,
                    distance: cfg.distance,
                },
                normalize: cfg.normalize,
            },
        }
    }

    /// L_S of `embeddings: [batch, d]` with host `labels`; the center loss needs the model's
    /// `centers: [classes, d]`.
    pub fn forward(
        &self,
        embeddings: Tensor<2>,
        labels: &[u8],
        centers: Option<Tensor<2>>,
    ) -> MetricOutput {
        let maybe_normalize = |x: Tensor<2>, on: bool| if on { l2_normalize(x) } else { x };
        match self {
            Self::Triplet { loss, normalize } => {
                let out = loss.forward(maybe_normalize(embeddings, *normalize), labels);
                MetricOutput {
                    loss: out.loss,
                    terms: vec![("active_triplets", out.active_fraction)],
                }
            }
            Self::SupCon(loss) => MetricOutput {
                loss: loss.forward(embeddings, labels),
                terms: vec![],
            },
            Self::Center { loss, normalize } => {
                let centers = centers.expect("the center loss needs the model's centres");
                let centers = maybe_normalize(centers, *normalize);
                let out = loss.forward(maybe_normalize(embeddings, *normalize), labels, centers);
                MetricOutput {
                    loss: out.pull.clone() + out.push.clone(),
                    terms: vec![("center_pull", out.pull), ("center_push", out.push)],
                }
            }
        }
    }
}
