//! Collapse diagnostics of a trained embedding: which latent dimensions the encoder uses
//! (active units), how far its posteriors sit from the prior (KL), and whether the run is at
//! chance.
//!
//! - A latent dimension is **active** when the variance over the test images of its encoder
//!   mean, Cov_x(E_q[z]), exceeds 0.01 (Burda, Grosse & Salakhutdinov 2016, "Importance
//!   Weighted Autoencoders", §5.2). It is defined on the means, so every model has it.
//! - The **KL** KL(q(z|x) ‖ p(z)) in nats, averaged over the test images: analytic per
//!   dimension for the unit prior, a one-sample Monte-Carlo estimate per image for the mixture
//!   priors (GMM, VampPrior), the same estimator training uses.
//! - **Chance** is the accuracy of always answering the most frequent test class.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::backend::read_floats;
use crate::config::ExperimentConfig;
use crate::data::batch::images_tensor;
use crate::data::ImageSet;
use crate::model::{HostRng, LabModel};
use crate::train::objective::Objective;
use crate::train::{Flow, Observer, TrainEvent};

/// A dimension is active when its encoder mean varies more than this over the test images.
pub const ACTIVE_THRESHOLD: f64 = 0.01;
/// A run collapsed when its kNN accuracy is at most this far above chance.
pub const CHANCE_MARGIN: f64 = 0.05;
/// The Monte-Carlo KL's noise stream (apart from training's).
const KL_NOISE_STREAM: u64 = 0xd1a6_0057;

/// What a run's latent space looks like on the test images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentDiagnostics {
    /// Variance over the test images of each dimension's encoder mean.
    pub variance: Vec<f64>,
    /// Dimensions whose variance exceeds [`ACTIVE_THRESHOLD`].
    pub active_units: usize,
    /// Mean KL(q(z|x) ‖ p(z)) over the test images, nats (models with a prior).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kl_nats: Option<f64>,
    /// The unit prior's analytic KL per dimension, mean over the test images, nats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kl_per_dim: Option<Vec<f64>>,
    /// Accuracy of always answering the most frequent test class.
    pub chance_accuracy: f64,
}

/// Variance over the rows of each column of `values` (`[n * dim]`, row-major), in f64.
pub fn column_variance(values: &[f32], dim: usize) -> Vec<f64> {
    let n = values.len() / dim.max(1);
    if n == 0 {
        return vec![0.0; dim];
    }
    let mut mean = vec![0.0f64; dim];
    for row in values.chunks_exact(dim) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut var = vec![0.0f64; dim];
    for row in values.chunks_exact(dim) {
        for ((s, &v), m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (v as f64 - m).powi(2);
        }
    }
    var.iter().map(|s| s / n as f64).collect()
}

/// Share of the most frequent label.
pub fn chance_accuracy(labels: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    labels.iter().for_each(|&l| counts[l as usize] += 1);
    let most = counts.iter().copied().max().unwrap_or(0);
    most as f64 / labels.len().max(1) as f64
}

impl LatentDiagnostics {
    /// Diagnostics from the test embeddings (the encoder means) and, for models with a prior,
    /// the KL.
    pub fn new(means: &[f32], dim: usize, labels: &[u8], kl: Option<KlSummary>) -> Self {
        let variance = column_variance(means, dim);
        let active_units = variance.iter().filter(|&&v| v > ACTIVE_THRESHOLD).count();
        let (kl_nats, kl_per_dim) = match kl {
            Some(k) => (Some(k.nats), k.per_dim),
            None => (None, None),
        };
        Self {
            variance,
            active_units,
            kl_nats,
            kl_per_dim,
            chance_accuracy: chance_accuracy(labels),
        }
    }

    /// Why the run counts as collapsed (kNN accuracy within [`CHANCE_MARGIN`] of chance, or at
    /// most one active unit), or `None`.
    pub fn collapse(&self, knn_accuracy: f64) -> Option<String> {
        let mut why = Vec::new();
        if knn_accuracy <= self.chance_accuracy + CHANCE_MARGIN {
            why.push(format!(
                "kNN accuracy {knn_accuracy:.3} is within {CHANCE_MARGIN} of chance ({:.3})",
                self.chance_accuracy
            ));
        }
        if self.active_units <= 1 {
            why.push(format!(
                "{} of {} latent dimensions {} active",
                self.active_units,
                self.variance.len(),
                if self.active_units == 1 { "is" } else { "are" }
            ));
        }
        (!why.is_empty()).then(|| why.join(" and "))
    }
}

/// What usually rescues a collapsed run of `cfg`, leaving out what it already does
/// (docs/results.md measures each fix on the paper's Table 3).
pub fn collapse_fixes(cfg: &ExperimentConfig) -> String {
    use crate::config::LossScale;
    let mut fixes = Vec::new();
    if cfg.model.is_variational() {
        if cfg.loss_scale == LossScale::Paper {
            fixes.push("the per-pixel loss scale (loss_scale per-pixel: the KL 1/D as heavy)");
        }
        if cfg.free_bits == 0.0 {
            fixes.push("free bits (free_bits 0.5: the KL is free below 0.5 nats per dimension)");
        }
        if cfg.kl_warmup == 0.0 {
            fixes.push("a KL warm-up (kl_warmup 1: β rises from 0 over the first epoch)");
        }
    }
    if cfg.model.has_both_losses() && cfg.alpha > 0.5 {
        fixes.push("a smaller α, so that the metric loss keeps the classes apart");
    }
    if fixes.is_empty() {
        fixes.push("more labelled images, more epochs or another learning rate");
    }
    fixes.join("; ")
}

/// The KL of a test set, nats.
#[derive(Debug, Clone, PartialEq)]
pub struct KlSummary {
    /// Mean over the images of the total KL.
    pub nats: f64,
    /// Mean per dimension (unit prior).
    pub per_dim: Option<Vec<f64>>,
}

/// The KL to the model's prior averaged over `set`, `chunk` images per pass with an observer
/// event after each: `Ok(None)` if the observer stopped, `Ok(Some(None))` for a model without
/// a prior.
pub async fn test_set_kl(
    cfg: &ExperimentConfig,
    model: &LabModel,
    set: &ImageSet,
    chunk: usize,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<Option<Option<KlSummary>>, String> {
    if !cfg.model.is_variational() || set.is_empty() {
        return Ok(Some(None));
    }
    let objective = Objective::new(cfg, set.dim(), device);
    let mut noise = HostRng::new(cfg.seed ^ KL_NOISE_STREAM, device);
    let (mut total, mut per_dim_sum): (f64, Option<Vec<f64>>) = (0.0, None);
    let all: Vec<usize> = (0..set.len()).collect();
    for idx in all.chunks(chunk.max(1)) {
        let enc = model.encode(images_tensor(set, idx, device));
        let Some((kl, _)) = objective.kl(model, &enc, &mut noise) else {
            return Ok(Some(None));
        };
        let sum = read_floats(kl.per_image.sum(), "the KL").await?;
        total += sum.iter().map(|&s| s as f64).sum::<f64>();
        if let Some(per_dim) = kl.per_dim {
            let sums = read_floats(per_dim.sum_dim(0), "the KL per dimension").await?;
            let acc = per_dim_sum.get_or_insert_with(|| vec![0.0; sums.len()]);
            acc.iter_mut().zip(sums).for_each(|(a, s)| *a += s as f64);
        }
        let event = TrainEvent::Probing {
            name: "latent diagnostics".into(),
        };
        if observer.on_event(&event).await == Flow::Stop {
            return Ok(None);
        }
    }
    let n = set.len() as f64;
    Ok(Some(Some(KlSummary {
        nats: total / n,
        per_dim: per_dim_sum.map(|v| v.into_iter().map(|s| s / n).collect()),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ModelKind;
    use crate::data::ImageShape;

    #[test]
    fn active_units_count_the_dimensions_that_vary() {
        // Dimension 0 varies (variance 1), dimension 1 barely (0.0025), dimension 2 not at all.
        let means = [
            1.0f32, 0.05, 3.0, -1.0, -0.05, 3.0, 1.0, 0.05, 3.0, -1.0, -0.05, 3.0,
        ];
        let d = LatentDiagnostics::new(&means, 3, &[0, 1, 1, 2], None);
        let want = [1.0, 0.0025, 0.0];
        for (g, w) in d.variance.iter().zip(want) {
            assert!((g - w).abs() < 1e-7, "{:?}", d.variance);
        }
        assert_eq!(d.active_units, 1);
        assert_eq!(d.chance_accuracy, 0.5);
        assert_eq!(d.kl_nats, None);
        let why = d.collapse(0.9).expect("one active unit is a collapse");
        assert_eq!(why, "1 of 3 latent dimensions is active");
        let at_chance = d.collapse(0.55).unwrap();
        assert!(
            at_chance.starts_with("kNN accuracy 0.550 is within 0.05 of chance (0.500) and"),
            "{at_chance}"
        );
        let healthy = LatentDiagnostics::new(&[0.0f32, 1.0, 1.0, 0.0], 2, &[0, 1], None);
        assert_eq!(healthy.active_units, 2);
        assert_eq!(healthy.collapse(0.56), None);
        assert!(healthy.collapse(0.55).is_some());
    }

    #[test]
    fn the_unit_priors_kl_is_analytic_per_dimension() {
        // An untrained model's KL over a tiny set, against the same formula on its outputs.
        let device = crate::backend::cpu();
        let cfg = ExperimentConfig {
            model: ModelKind::DmlUnitPrior,
            lsdim: 2,
            ..Default::default()
        };
        let shape = ImageShape { rows: 4, cols: 4 };
        let model = LabModel::new(&cfg, shape, 2, None, &mut HostRng::new(1, &device));
        let set = ImageSet {
            pixels: (0..5 * 16).map(|i| (i * 37 % 256) as u8).collect(),
            labels: vec![0, 1, 0, 1, 1],
            rows: 4,
            cols: 4,
        };
        let kl = pollster::block_on(test_set_kl(
            &cfg,
            &model,
            &set,
            2,
            &device,
            &mut crate::train::Silent,
        ))
        .unwrap()
        .expect("not stopped")
        .expect("the unit prior has a KL");
        let enc = model.encode(images_tensor(&set, &[0, 1, 2, 3, 4], &device));
        let mu: Vec<f32> = enc.mean.into_data().try_to_vec().unwrap();
        let lv: Vec<f32> = enc.logvar.unwrap().into_data().try_to_vec().unwrap();
        let mut want = [0.0f64; 2];
        for (i, (m, l)) in mu.iter().zip(&lv).enumerate() {
            let (m, l) = (*m as f64, *l as f64);
            want[i % 2] += 0.5 * (m * m + l.exp() - l - 1.0) / 5.0;
        }
        let per_dim = kl.per_dim.unwrap();
        for (g, w) in per_dim.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{per_dim:?} vs {want:?}");
        }
        assert!((kl.nats - want.iter().sum::<f64>()).abs() < 1e-6);
        // A model without a prior has none.
        let dml = ExperimentConfig::default();
        let plain = LabModel::new(&dml, shape, 2, None, &mut HostRng::new(1, &device));
        let none = pollster::block_on(test_set_kl(
            &dml,
            &plain,
            &set,
            2,
            &device,
            &mut crate::train::Silent,
        ));
        assert_eq!(none.unwrap(), Some(None));
    }

    #[test]
    fn the_advice_leaves_out_what_the_run_already_does() {
        use crate::config::LossScale;
        let paper = ExperimentConfig {
            model: ModelKind::DmlUnitPrior,
            loss_scale: LossScale::Paper,
            alpha: 1.0,
            ..Default::default()
        };
        let all = collapse_fixes(&paper);
        for fix in [
            "per-pixel loss scale",
            "free bits",
            "KL warm-up",
            "smaller α",
        ] {
            assert!(all.contains(fix), "{all}");
        }
        let tried = ExperimentConfig {
            loss_scale: LossScale::PerPixel,
            free_bits: 0.5,
            kl_warmup: 1.0,
            alpha: 0.3,
            ..paper
        };
        assert_eq!(
            collapse_fixes(&tried),
            "more labelled images, more epochs or another learning rate"
        );
    }
}
