//! One step's loss: L_S on the labelled batch, L_U on the unlabelled batch, weighted by the
//! schedule, and the unlabelled contrastive term on two augmented views of another unlabelled
//! batch (weight `contrast`), and the neighbour term on a third unlabelled batch and one pixel
//! -space neighbour of each of its images (weight `neighbours`), with every term named for the
//! curves.
//!
//! L_U's scale (`loss_scale`, D = pixels): the reconstruction is always a per-pixel mean
//! (summed over pixels / D); the KL is divided by D too under `per-pixel` (the balanced ELBO,
//! β = 1) and summed over the latent dimensions under `paper` (β = D). Both are means over the
//! batch. A KL warm-up multiplies the KL by β ∈ [0, 1] (`Weights::kl`); free bits put a floor
//! under the batch's KL. The curves' `kl` term is the scaled KL without β or floor.

use burn::prelude::*;

use super::schedule::Weights;
use crate::config::{ExperimentConfig, LossScale, ModelKind, ReconLoss};
use crate::losses::contrast::nt_xent;
use crate::losses::kl::{gaussian_log_density, mixture_log_density, unit_gaussian_kl_per_dim};
use crate::losses::neighbours::neighbour_term;
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
    scale: LossScale,
    /// Free bits, nats per latent dimension (0 = off).
    free_bits: f64,
    lsdim: usize,
    /// Weight of the unlabelled contrastive term (0 = off) and its temperature.
    contrast: f64,
    temperature: f64,
    /// Weight of the neighbour term (0 = off).
    neighbours: f64,
}

/// KL(q(z|x) ‖ p(z)) of a batch in nats.
pub struct Kl {
    /// Per image `[batch]`.
    pub per_image: Tensor<1>,
    /// Per image and dimension `[batch, d]`, where the KL is analytic (the unit prior).
    pub per_dim: Option<Tensor<2>>,
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
            scale: cfg.loss_scale,
            free_bits: cfg.free_bits,
            lsdim: cfg.lsdim,
            contrast: cfg.contrast,
            temperature: cfg.temperature,
            neighbours: cfg.neighbours,
        }
    }

    /// The KL of an encoded batch to the model's prior, in nats (`None` for models without a
    /// prior), and the sample z ~ q it used (Monte-Carlo KL of the mixture priors).
    pub fn kl(
        &self,
        model: &LabModel,
        enc: &Encoded,
        noise: &mut HostRng,
    ) -> Option<(Kl, Option<Tensor<2>>)> {
        match self.model {
            ModelKind::DmlUnitPrior => {
                let logvar = enc.logvar.clone().expect("variational encoder");
                let per_dim = unit_gaussian_kl_per_dim(enc.mean.clone(), logvar);
                let kl = Kl {
                    per_image: per_dim.clone().sum_dim(1).squeeze_dim::<1>(1),
                    per_dim: Some(per_dim),
                };
                Some((kl, None))
            }
            ModelKind::DmlGmmPrior | ModelKind::MetricVae | ModelKind::Vae => {
                let (means, logvars) = match self.model {
                    ModelKind::DmlGmmPrior => {
                        self.gmm.clone().expect("GMM prior built for this model")
                    }
                    _ => model.vamp_components().expect("VampPrior pseudo-inputs"),
                };
                let (z, log_q) = sample(enc, noise);
                let per_image = log_q - mixture_log_density(z.clone(), means, logvars);
                let kl = Kl {
                    per_image,
                    per_dim: None,
                };
                Some((kl, Some(z)))
            }
            ModelKind::Dml | ModelKind::DmlAe | ModelKind::Ae => None,
        }
    }

    /// The KL as `loss_scale` weighs it: nats / D (`per-pixel`) or nats (`paper`).
    fn scaled(&self, nats: Tensor<1>) -> Tensor<1> {
        match self.scale {
            LossScale::PerPixel => nats.div_scalar(self.pixels),
            LossScale::Paper => nats,
        }
    }

    /// The KL term of L_U for a batch and the curves' `kl` (the scaled batch mean, without β
    /// or floor). The term is the batch mean, with free bits a floor of `free_bits` nats per
    /// dimension (on each dimension's batch mean for the unit prior, on the total for the
    /// mixtures: no gradient below it), scaled, times β.
    fn kl_term(&self, kl: &Kl, beta: f64) -> (Tensor<1>, Tensor<1>) {
        let floor = self.free_bits;
        let mean = kl.per_image.clone().mean();
        let shown = self.scaled(mean.clone());
        let scaled = match (&kl.per_dim, floor > 0.0) {
            (Some(per_dim), true) => self.scaled(
                per_dim
                    .clone()
                    .mean_dim(0)
                    .clamp_min(floor)
                    .sum_dim(1)
                    .reshape([1]),
            ),
            (None, true) => self.scaled(mean.clamp_min(floor * self.lsdim as f64)),
            (_, false) => shown.clone(),
        };
        (scaled.mul_scalar(beta), shown)
    }

    /// The loss of one step. `labelled` is used when `w.supervised > 0`, `unlabelled` when
    /// `w.unsupervised > 0`, `views` (two augmented views of the same unlabelled images) when
    /// the config's `contrast` > 0, `pairs` (images and a neighbour of each) when its
    /// `neighbours` > 0; at least one must be given. `noise` draws the VAE's ε.
    #[allow(clippy::too_many_arguments)]
    pub fn forward(
        &self,
        model: &LabModel,
        labelled: Option<(Tensor<2>, &[u8])>,
        unlabelled: Option<Tensor<2>>,
        views: Option<(Tensor<2>, Tensor<2>)>,
        pairs: Option<(Tensor<2>, Tensor<2>)>,
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
            let (lu, parts) = self.unsupervised(model, images, w.kl, noise);
            add(lu, w.unsupervised);
            terms.extend(parts);
        }
        if let Some((a, b)) = views.filter(|_| self.contrast > 0.0) {
            let c = nt_xent(model.encode(a).mean, model.encode(b).mean, self.temperature);
            add(c.clone(), self.contrast);
            terms.push(("contrast", c));
        }
        if let Some((images, near)) = pairs.filter(|_| self.neighbours > 0.0) {
            let t = neighbour_term(model.encode(images).mean, model.encode(near).mean);
            add(t.clone(), self.neighbours);
            terms.push(("neighbours", t));
        }
        StepLoss {
            total: total.expect("a step needs a labelled or an unlabelled batch"),
            terms,
        }
    }

    /// L_U of a batch and its parts; `beta` weighs the KL.
    fn unsupervised(
        &self,
        model: &LabModel,
        images: Tensor<2>,
        beta: f64,
        noise: &mut HostRng,
    ) -> (Tensor<1>, Vec<(&'static str, Tensor<1>)>) {
        let enc = model.encode(images.clone());
        let reconstruct = |z: Tensor<2>| {
            let logits = model.decode(z).expect("this model has a decoder");
            reconstruction_per_image(logits, images.clone(), self.recon)
                .mean()
                .div_scalar(self.pixels)
        };
        match (self.kl(model, &enc, noise), self.model.has_decoder()) {
            // dml-ae, ae: reconstruction of the point embedding.
            (None, true) => {
                let r = reconstruct(enc.mean);
                (r.clone(), vec![("reconstruction", r)])
            }
            // The priors: the KL alone.
            (Some((kl, _)), false) => {
                let (term, shown) = self.kl_term(&kl, beta);
                (term, vec![("kl", shown)])
            }
            // MetricVAE, VAE: reconstruction from z ~ q plus the KL (the negative ELBO).
            (Some((kl, z)), true) => {
                let z = z.expect("a Monte-Carlo KL samples z");
                let r = reconstruct(z);
                let (term, shown) = self.kl_term(&kl, beta);
                (r.clone() + term, vec![("reconstruction", r), ("kl", shown)])
            }
            // dml: no L_U.
            (None, false) => (enc.mean.sum().mul_scalar(0.0), vec![]),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ImageShape;

    fn floats<const D: usize>(t: Tensor<D>) -> Vec<f64> {
        t.into_data()
            .try_to_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect()
    }

    fn objective(model: ModelKind, scale: LossScale, free_bits: f64) -> (Objective, Device) {
        let device = crate::backend::cpu();
        let cfg = ExperimentConfig {
            model,
            lsdim: 2,
            loss_scale: scale,
            free_bits,
            ..Default::default()
        };
        (Objective::new(&cfg, 4, &device), device)
    }

    /// KL per image and dimension (nats) of a batch of two, as the unit prior gives it.
    fn known_kl(device: &Device) -> Kl {
        let per_dim =
            Tensor::<2>::from_data(TensorData::new(vec![0.5f32, 0.1, 0.3, 0.0], [2, 2]), device);
        Kl {
            per_image: per_dim.clone().sum_dim(1).squeeze_dim::<1>(1),
            per_dim: Some(per_dim),
        }
    }

    #[test]
    fn each_scale_weighs_a_known_kl_as_documented() {
        // Batch mean of the KL: (0.6 + 0.3) / 2 = 0.45 nats; D = 4 pixels.
        let close = |got: Tensor<1>, want: f64| {
            let got = floats(got)[0];
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        };
        let (per_pixel, device) = objective(ModelKind::DmlUnitPrior, LossScale::PerPixel, 0.0);
        let kl = known_kl(&device);
        close(per_pixel.kl_term(&kl, 1.0).0, 0.45 / 4.0);
        close(per_pixel.kl_term(&kl, 0.5).0, 0.45 / 8.0);
        let (paper, _) = objective(ModelKind::DmlUnitPrior, LossScale::Paper, 0.0);
        close(paper.kl_term(&kl, 1.0).0, 0.45);
        close(paper.kl_term(&kl, 0.25).0, 0.1125);
        // Free bits 0.2 per dimension: dimension means (0.4, 0.05) → (0.4, 0.2), sum 0.6.
        let (unit_fb, _) = objective(ModelKind::DmlUnitPrior, LossScale::Paper, 0.2);
        close(unit_fb.kl_term(&kl, 1.0).0, 0.6);
        let (unit_fb_pp, _) = objective(ModelKind::DmlUnitPrior, LossScale::PerPixel, 0.2);
        close(unit_fb_pp.kl_term(&kl, 1.0).0, 0.15);
        // A mixture prior's floor is on the total: max(0.45, 0.2 · 2) = 0.45; with 0.3: 0.6.
        let mixture = Kl {
            per_image: kl.per_image.clone(),
            per_dim: None,
        };
        let (gmm_fb, _) = objective(ModelKind::DmlGmmPrior, LossScale::Paper, 0.2);
        close(gmm_fb.kl_term(&mixture, 1.0).0, 0.45);
        let (gmm_fb, _) = objective(ModelKind::DmlGmmPrior, LossScale::Paper, 0.3);
        close(gmm_fb.kl_term(&mixture, 1.0).0, 0.6);
    }

    #[test]
    fn the_unit_priors_l_u_is_its_kl_on_either_scale() {
        let device = crate::backend::cpu();
        let shape = ImageShape { rows: 28, cols: 28 };
        let cfg = |scale| ExperimentConfig {
            model: ModelKind::DmlUnitPrior,
            lsdim: 3,
            loss_scale: scale,
            ..Default::default()
        };
        let model = LabModel::new(
            &cfg(LossScale::Paper),
            shape,
            10,
            None,
            &mut HostRng::new(5, &device),
        );
        let images = HostRng::new(6, &device).uniform::<2>([4, 784], 0.0, 1.0);
        // By hand, from the encoder's outputs: ½ Σ_j (μ² + σ² − log σ² − 1), batch mean.
        let enc = model.encode(images.clone());
        let (mu, lv) = (floats(enc.mean), floats(enc.logvar.unwrap()));
        let by_hand = mu
            .iter()
            .zip(&lv)
            .map(|(m, l)| 0.5 * (m * m + l.exp() - l - 1.0))
            .sum::<f64>()
            / 4.0;
        let w = Weights {
            supervised: 0.0,
            unsupervised: 1.0,
            kl: 1.0,
        };
        for (scale, want) in [
            (LossScale::PerPixel, by_hand / 784.0),
            (LossScale::Paper, by_hand),
        ] {
            let objective = Objective::new(&cfg(scale), 784, &device);
            let loss = objective.forward(
                &model,
                None,
                Some(images.clone()),
                None,
                None,
                w,
                &mut HostRng::new(1, &device),
            );
            let got = floats(loss.total)[0];
            assert!(
                (got - want).abs() < 1e-5 * want.abs().max(1e-3),
                "{scale:?}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn reconstruction_is_a_per_pixel_mean_on_either_scale() {
        // torch's mse_loss(sigmoid(logits), x) with its default mean over batch and pixels.
        let device = crate::backend::cpu();
        let shape = ImageShape { rows: 4, cols: 4 };
        for scale in [LossScale::PerPixel, LossScale::Paper] {
            let cfg = ExperimentConfig {
                model: ModelKind::DmlAe,
                lsdim: 2,
                loss_scale: scale,
                ..Default::default()
            };
            let model = LabModel::new(&cfg, shape, 10, None, &mut HostRng::new(2, &device));
            let images = HostRng::new(3, &device).uniform::<2>([3, 16], 0.0, 1.0);
            let out = floats(burn::tensor::activation::sigmoid(
                model.decode(model.encode(images.clone()).mean).unwrap(),
            ));
            let x = floats(images.clone());
            let want = out
                .iter()
                .zip(&x)
                .map(|(o, x)| (o - x).powi(2))
                .sum::<f64>()
                / 48.0;
            let w = Weights {
                supervised: 0.0,
                unsupervised: 1.0,
                kl: 1.0,
            };
            let loss = Objective::new(&cfg, 16, &device).forward(
                &model,
                None,
                Some(images),
                None,
                None,
                w,
                &mut HostRng::new(1, &device),
            );
            let got = floats(loss.total)[0];
            assert!((got - want).abs() < 1e-6, "{scale:?}: {got} vs {want}");
        }
    }
}

#[cfg(test)]
mod free_bits_gradient {
    use super::*;

    /// Below the floor the KL has no gradient, above it the usual one: burn's `clamp_min`
    /// must not pass gradients through where it clamps, or free bits would do nothing.
    #[test]
    fn free_bits_stop_the_gradient_below_the_floor() {
        let device = crate::backend::cpu().autodiff();
        let cfg = ExperimentConfig {
            model: ModelKind::DmlUnitPrior,
            lsdim: 2,
            loss_scale: LossScale::Paper,
            free_bits: 0.5,
            ..Default::default()
        };
        let objective = Objective::new(&cfg, 4, &device);
        // One image; dimension 0's KL is 0.1 (below 0.5), dimension 1's is 2.0.
        let per_dim = Tensor::<2>::from_data(TensorData::new(vec![0.1f32, 2.0], [1, 2]), &device)
            .require_grad();
        let kl = Kl {
            per_image: per_dim.clone().sum_dim(1).squeeze_dim::<1>(1),
            per_dim: Some(per_dim.clone()),
        };
        let grads = objective.kl_term(&kl, 1.0).0.backward();
        let g: Vec<f32> = per_dim
            .grad(&grads)
            .expect("a gradient")
            .into_data()
            .try_to_vec()
            .unwrap();
        assert_eq!(g, vec![0.0, 1.0], "free bits: no gradient below the floor");
    }
}
