//! The experiment: one serde struct that the CLI flags, the run JSON and the page all share.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which images to learn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    Mnist,
}

/// Which model to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// An MLP encoder trained with a metric loss on the labelled images.
    Dml,
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
    /// Images per step (the labelled batch is at most this large).
    pub batch_size: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Triplet margin (on Euclidean distances).
    pub margin: f64,
    /// Optimiser steps per epoch; 0 means one full pass over the training images.
    pub steps_per_epoch: usize,
    pub backend: BackendChoice,
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
            margin: 1.0,
            steps_per_epoch: 0,
            backend: BackendChoice::Auto,
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

    /// Checks every field; the first problem found is returned with the field's name.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |field, message: String| Err(ConfigError { field, message });
        if !(self.pl > 0.0 && self.pl <= 100.0) {
            return err("pl", format!("must be in (0, 100], got {}", self.pl));
        }
        if self.lsdim == 0 || self.lsdim > Self::MAX_LSDIM {
            return err("lsdim", format!("must be in 1..={}, got {}", Self::MAX_LSDIM, self.lsdim));
        }
        if self.epochs == 0 || self.epochs > Self::MAX_EPOCHS {
            return err("epochs", format!("must be in 1..={}, got {}", Self::MAX_EPOCHS, self.epochs));
        }
        if self.batch_size < 2 || self.batch_size > Self::MAX_BATCH {
            return err("batch_size", format!("must be in 2..={}, got {}", Self::MAX_BATCH, self.batch_size));
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr < 10.0) {
            return err("lr", format!("must be a positive number below 10, got {}", self.lr));
        }
        if !(self.margin.is_finite() && self.margin > 0.0) {
            return err("margin", format!("must be a positive number, got {}", self.margin));
        }
        if self.steps_per_epoch > 1_000_000 {
            return err("steps_per_epoch", format!("must be at most 1000000 (0 = a full pass), got {}", self.steps_per_epoch));
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
        let cfg = ExperimentConfig { pl: 0.1, lsdim: 4, seed: 9, backend: BackendChoice::Cpu, ..Default::default() };
        let text = serde_json::to_string(&cfg).unwrap();
        assert!(text.contains("\"model\":\"dml\""), "{text}");
        assert_eq!(ExperimentConfig::from_json(&text).unwrap(), cfg);
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |c: ExperimentConfig| c.validate().unwrap_err().to_string();
        let d = ExperimentConfig::default;
        assert_eq!(bad(ExperimentConfig { pl: 0.0, ..d() }), "pl: must be in (0, 100], got 0");
        assert_eq!(bad(ExperimentConfig { pl: f64::NAN, ..d() }), "pl: must be in (0, 100], got NaN");
        assert_eq!(bad(ExperimentConfig { lsdim: 0, ..d() }), "lsdim: must be in 1..=512, got 0");
        assert_eq!(bad(ExperimentConfig { lr: -1.0, ..d() }), "lr: must be a positive number below 10, got -1");
        assert!(ExperimentConfig::from_json("{\"modle\": \"dml\"}").unwrap_err().contains("unknown field `modle`"));
        assert!(ExperimentConfig::from_json("{\"model\": \"vae\"}").unwrap_err().contains("unknown variant `vae`"));
    }
}
