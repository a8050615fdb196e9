//! One step's loss: L_S on the labelled batch, L_U on the unlabelled batch, weighted by the
//! schedule, with every term named for the curves.
//!
//! L_U is per image divided by the number of pixels D (a per-pixel mean), so that α weighs
//! the same on any image size: reconstruction sums over pixels / D; KL / D; the VAE's negative
//! ELBO (reconstruction + KL) / D.

use burn::prelude::*;

use super::schedule::Weights;
use crate::config::{ExperimentConfig, ModelKind, ReconLoss};
use crate::losses::kl::{gaussian_log_density, mixture_log_density, unit_gaussian_kl};
use crate::losses::reconstruction::reconstruction_per_image;
use crate::losses::MetricLoss;
use crate::model::prior::{gmm_means, GMM_LOGVAR};
use crate::model::{Encoded, HostRng, LabModel};

/// A step's total loss and its named, unweighted terms.
pub struct StepLoss {
    pub total: Tensor<1>,
    pub terms: Vec<(&'static str, Tensor<1>)>,
}

/// Everything needed to compute a step's loss besides the model.
pub struct Objective {
    model: ModelKind,
    metric: MetricLoss,
    recon: ReconLoss,
    /// GMM prior means and log-variances `[K, lsdim]` (dml-gmm-prior only).
    gmm: Option<(Tensor<2>, Tensor<2>)>,
    pixels: f64,
}

impl Objective {
    pub fn new(cfg: &ExperimentConfig, pixels: usize, device: &Device) -> Self {
        let gmm = (cfg.model == ModelKind::DmlGmmPrior).then(|| {
            let means = gmm_means(cfg.lsdim, cfg.prior_components, cfg.seed);
            let k = means.len();
            let means =
                Tensor::<2>::from_data(TensorData::new(means.concat(), [k, cfg.lsdim]), device);
            (
                means,
                Tensor::<2>::ones([k, cfg.lsdim], device).mul_scalar(GMM_LOGVAR),
            )
        });
        Self {
            model: cfg.model,
            metric: MetricLoss::from_config(cfg),
            recon: cfg.recon,
            gmm,
            pixels: pixels as f64,
        }
    }

    /// The loss of one step. `labelled` is used when `w.supervised > 0`, `unlabelled` when
    /// `w.unsupervised > 0`; at least one must be given. `noise` draws the VAE's ε.
    pub fn forward(
        &self,
        model: &LabModel,
        labelled: Option<(Tensor<2>, &[u8])>,
        unlabelled: Option<Tensor<2>>,
        w: Weights,
        noise: &mut HostRng,
    ) -> StepLoss {
        let mut terms = Vec::new();
        let mut total: Option<Tensor<1>> = None;
        let mut add = |t: Tensor<1>, weight: f64| {
            let weighted = t.mul_scalar(weight);
            total = Some(match total.take() {
                Some(acc) => acc + weighted,
                None => weighted,
            });
        };
        if let Some((images, labels)) = labelled {
            let out = self
                .metric
                .forward(model.encode(images).mean, labels, model.centers());
            add(out.loss.clone(), w.supervised);
            terms.push(("metric", out.loss));
            terms.extend(out.terms);
        }
        if let Some(images) = unlabelled {
            let (lu, parts) = self.unsupervised(model, images, noise);
            add(lu, w.unsupervised);
            terms.extend(parts);
        }
        StepLoss {
            total: total.expect("a step needs a labelled or an unlabelled batch"),
            terms,
        }
    }

    /// L_U of a batch and its parts.
    fn unsupervised(
        &self,
        model: &LabModel,
        images: Tensor<2>,
        noise: &mut HostRng,
    ) -> (Tensor<1>, Vec<(&'static str, Tensor<1>)>) {
        let enc = model.encode(images.clone());
        let per_pixel = |t: Tensor<1>| t.mean().div_scalar(self.pixels);
        let reconstruct = |z: Tensor<2>| {
            let logits = model.decode(z).expect("this model has a decoder");
            per_pixel(reconstruction_per_image(logits, images.clone(), self.recon))
        };
        match self.model {
            ModelKind::Ae | ModelKind::DmlAe => {
                let r = reconstruct(enc.mean);
                (r.clone(), vec![("reconstruction", r)])
            }
            ModelKind::DmlUnitPrior => {
                let logvar = enc.logvar.expect("variational encoder");
                let kl = per_pixel(unit_gaussian_kl(enc.mean, logvar));
                (kl.clone(), vec![("kl", kl)])
            }
            ModelKind::DmlGmmPrior => {
                let (means, logvars) = self.gmm.clone().expect("GMM prior built for this model");
                let (z, log_q) = sample(&enc, noise);
                let kl = per_pixel(log_q - mixture_log_density(z, means, logvars));
                (kl.clone(), vec![("kl", kl)])
            }
            ModelKind::MetricVae | ModelKind::Vae => {
                let (means, logvars) = model.vamp_components().expect("VampPrior pseudo-inputs");
                let (z, log_q) = sample(&enc, noise);
                let kl = per_pixel(log_q - mixture_log_density(z.clone(), means, logvars));
                let r = reconstruct(z);
                (
                    r.clone() + kl.clone(),
                    vec![("reconstruction", r), ("kl", kl)],
                )
            }
            ModelKind::Dml => {
                let zero = enc.mean.sum().mul_scalar(0.0);
                (zero, vec![])
            }
        }
    }
}

/// A reparameterised sample `z = mean + ε·σ` of q(z|x) and its log-density `[batch]` (the
/// single-sample Monte-Carlo estimate of KL(q‖p) is `log q(z) − log p(z)`; the thesis prints it
/// with the sign reversed). ε ~ N(0, I) comes from the host's seeded `noise`.
fn sample(enc: &Encoded, noise: &mut HostRng) -> (Tensor<2>, Tensor<1>) {
    let logvar = enc.logvar.clone().expect("variational encoder");
    let eps = noise.normal::<2>(enc.mean.dims());
    let z = enc.mean.clone() + eps * logvar.clone().mul_scalar(0.5).exp();
    let log_q = gaussian_log_density(z.clone(), enc.mean.clone(), logvar);
    (z, log_q)
}
