//! One module for every model of the paper: an encoder, and — depending on the model — a
//! decoder, VampPrior pseudo-inputs and learned class centres.

use burn::module::Param;
use burn::prelude::*;

use super::decoder::{
    conv_decoder_parameters, mlp_decoder_parameters, ConvDecoder, Decoder, MlpDecoder,
};
use super::encoder::{
    conv_encoder_parameters, linear_stack_parameters, ConvEncoder, Encoder, MlpEncoder, MLP_HIDDEN,
};
use super::init::HostRng;
use crate::config::{EncoderKind, ExperimentConfig, MetricLossKind};
use crate::data::ImageShape;

/// The trainable parts of a model.
#[derive(Module, Debug)]
pub struct LabModel {
    encoder: Encoder,
    decoder: Option<Decoder>,
    /// VampPrior pseudo-inputs `[K, pixels]`, kept in [0, 1] by clamping when used.
    pseudo_inputs: Option<Param<Tensor<2>>>,
    /// Class centres `[classes, lsdim]` for the center loss.
    centers: Option<Param<Tensor<2>>>,
    /// The encoder outputs mean and log-variance side by side.
    variational: bool,
}

/// What the encoder says about a batch.
pub struct Encoded {
    /// `[batch, lsdim]`: the point embedding, or the Gaussian's mean.
    pub mean: Tensor<2>,
    /// `[batch, lsdim]`: log-variance, for variational models.
    pub logvar: Option<Tensor<2>>,
}

impl LabModel {
    /// Builds the model `cfg.model` for images of `shape` and `classes` classes, every
    /// parameter drawn from `rng` (so a seed gives the same model on every device).
    /// `pseudo_init` (`[K, pixels]`, e.g. K training images) starts the VampPrior's pseudo-inputs.
    pub fn new(
        cfg: &ExperimentConfig,
        shape: ImageShape,
        classes: usize,
        pseudo_init: Option<Tensor<2>>,
        rng: &mut HostRng,
    ) -> Self {
        let variational = cfg.model.is_variational();
        let out = if variational {
            2 * cfg.lsdim
        } else {
            cfg.lsdim
        };
        let encoder = match cfg.encoder {
            EncoderKind::Mlp => {
                Encoder::Mlp(MlpEncoder::new(shape.pixels(), &MLP_HIDDEN, out, rng))
            }
            EncoderKind::Conv => Encoder::Conv(ConvEncoder::new(shape, out, rng)),
        };
        let decoder = cfg.model.has_decoder().then(|| match cfg.encoder {
            EncoderKind::Mlp => Decoder::Mlp(MlpDecoder::new(cfg.lsdim, shape.pixels(), rng)),
            EncoderKind::Conv => Decoder::Conv(ConvDecoder::new(cfg.lsdim, shape, rng)),
        });
        let pseudo_inputs =
            cfg.model.has_vamp_prior().then(|| {
                Param::from_tensor(pseudo_init.unwrap_or_else(|| {
                    rng.uniform([cfg.vamp_components, shape.pixels()], 0.0, 1.0)
                }))
            });
        let centers = (cfg.model.has_metric_loss() && cfg.loss == MetricLossKind::Center)
            .then(|| rng.normal_param([classes, cfg.lsdim]));
        Self {
            encoder,
            decoder,
            pseudo_inputs,
            centers,
            variational,
        }
    }

    /// How many parameters [`LabModel::new`] makes for these arguments, without building the
    /// model (the memory estimate's input; a test holds it to `num_params`).
    pub fn parameter_count(cfg: &ExperimentConfig, shape: ImageShape, classes: usize) -> usize {
        let d = cfg.lsdim;
        let out = if cfg.model.is_variational() { 2 * d } else { d };
        let encoder = match cfg.encoder {
            EncoderKind::Mlp => {
                linear_stack_parameters(shape.pixels(), &[MLP_HIDDEN[0], MLP_HIDDEN[1], out])
            }
            EncoderKind::Conv => conv_encoder_parameters(shape, out),
        };
        let decoder = match (cfg.model.has_decoder(), cfg.encoder) {
            (false, _) => 0,
            (true, EncoderKind::Mlp) => mlp_decoder_parameters(d, shape.pixels()),
            (true, EncoderKind::Conv) => conv_decoder_parameters(d, shape),
        };
        let pseudo = if cfg.model.has_vamp_prior() {
            cfg.vamp_components * shape.pixels()
        } else {
            0
        };
        let centers = if cfg.model.has_metric_loss() && cfg.loss == MetricLossKind::Center {
            classes * d
        } else {
            0
        };
        encoder + decoder + pseudo + centers
    }

    /// Encodes `[batch, pixels]` images.
    pub fn encode(&self, images: Tensor<2>) -> Encoded {
        let out = self.encoder.forward(images);
        if !self.variational {
            return Encoded {
                mean: out,
                logvar: None,
            };
        }
        let [batch, width] = out.dims();
        let d = width / 2;
        Encoded {
            mean: out.clone().slice([0..batch, 0..d]),
            // Clamped so that exp(logvar) stays finite whatever the encoder outputs.
            logvar: Some(out.slice([0..batch, d..width]).clamp(-12.0, 8.0)),
        }
    }

    /// The embedding used for evaluation: the point, or the Gaussian's mean.
    pub fn embed(&self, images: Tensor<2>) -> Tensor<2> {
        self.encode(images).mean
    }

    /// Pixel logits `[batch, pixels]` for latents `z`, if the model has a decoder.
    pub fn decode(&self, z: Tensor<2>) -> Option<Tensor<2>> {
        self.decoder.as_ref().map(|d| d.forward(z))
    }

    /// The VampPrior's components: means and log-variances `[K, lsdim]` of q(z | u_k).
    pub fn vamp_components(&self) -> Option<(Tensor<2>, Tensor<2>)> {
        let u = self.pseudo_inputs.as_ref()?.val().clamp(0.0, 1.0);
        let e = self.encode(u);
        Some((e.mean, e.logvar?))
    }

    /// The class centres `[classes, lsdim]`, for the center loss.
    pub fn centers(&self) -> Option<Tensor<2>> {
        self.centers.as_ref().map(|c| c.val())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Choice, ModelKind};
    use crate::losses::kl::mixture_log_density;

    const MNIST: ImageShape = ImageShape { rows: 28, cols: 28 };

    #[test]
    fn the_vamp_prior_has_k_components_and_its_pseudo_inputs_get_gradients() {
        let device = crate::backend::cpu().autodiff();
        let cfg = ExperimentConfig {
            model: ModelKind::MetricVae,
            lsdim: 3,
            vamp_components: 7,
            ..Default::default()
        };
        let model = LabModel::new(&cfg, MNIST, 10, None, &mut HostRng::new(0, &device));
        let (means, logvars) = model.vamp_components().unwrap();
        assert_eq!((means.dims(), logvars.dims()), ([7, 3], [7, 3]));
        let z = Tensor::<2>::random(
            [5, 3],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        let grads = mixture_log_density(z, means, logvars).sum().backward();
        let pseudo = model.pseudo_inputs.as_ref().unwrap().val();
        let g: Vec<f32> = pseudo
            .grad(&grads)
            .expect("gradient on the pseudo-inputs")
            .into_data()
            .try_to_vec()
            .unwrap();
        assert_eq!(g.len(), 7 * 784);
        assert!(g.iter().any(|&x| x != 0.0));
    }

    #[test]
    fn each_model_has_the_parts_it_needs() {
        let device = crate::backend::cpu();
        for &model in ModelKind::ALL {
            let cfg = ExperimentConfig {
                model,
                lsdim: 2,
                vamp_components: 4,
                ..Default::default()
            };
            let m = LabModel::new(&cfg, MNIST, 10, None, &mut HostRng::new(0, &device));
            let x = Tensor::<2>::zeros([3, 784], &device);
            let enc = m.encode(x.clone());
            assert_eq!(enc.mean.dims(), [3, 2], "{model:?}");
            assert_eq!(enc.logvar.is_some(), model.is_variational(), "{model:?}");
            assert_eq!(
                m.decode(enc.mean).map(|r| r.dims()),
                model.has_decoder().then_some([3, 784]),
                "{model:?}"
            );
            assert_eq!(
                m.vamp_components().is_some(),
                model.has_vamp_prior(),
                "{model:?}"
            );
        }
        let conv = ExperimentConfig {
            model: ModelKind::DmlAe,
            encoder: EncoderKind::Conv,
            lsdim: 5,
            ..Default::default()
        };
        let m = LabModel::new(&conv, MNIST, 10, None, &mut HostRng::new(0, &device));
        let z = m.embed(Tensor::<2>::zeros([2, 784], &device));
        assert_eq!(z.dims(), [2, 5]);
        assert_eq!(m.decode(z).unwrap().dims(), [2, 784]);
        let center = ExperimentConfig {
            loss: MetricLossKind::Center,
            lsdim: 3,
            ..Default::default()
        };
        assert_eq!(
            LabModel::new(&center, MNIST, 10, None, &mut HostRng::new(0, &device))
                .centers()
                .unwrap()
                .dims(),
            [10, 3]
        );
    }

    /// Every model with either encoder takes images of any size down to 4×4, square or not,
    /// and reconstructs them at that size.
    #[test]
    fn every_model_and_encoder_takes_any_image_size() {
        let device = crate::backend::cpu();
        let shapes = [(4, 4), (5, 11), (9, 13), (28, 28), (30, 17)];
        for (rows, cols) in shapes {
            let shape = ImageShape { rows, cols };
            for encoder in [EncoderKind::Mlp, EncoderKind::Conv] {
                for &model in ModelKind::ALL {
                    let cfg = ExperimentConfig {
                        model,
                        encoder,
                        lsdim: 2,
                        vamp_components: 3,
                        // The center loss adds learned centres to the count.
                        loss: if rows == 9 {
                            MetricLossKind::Center
                        } else {
                            MetricLossKind::Triplet
                        },
                        ..Default::default()
                    };
                    let m = LabModel::new(&cfg, shape, 10, None, &mut HostRng::new(0, &device));
                    assert_eq!(
                        LabModel::parameter_count(&cfg, shape, 10),
                        m.num_params(),
                        "{model:?} {encoder:?} {rows}x{cols}"
                    );
                    let x = Tensor::<2>::zeros([2, rows * cols], &device);
                    let z = m.embed(x);
                    assert_eq!(z.dims(), [2, 2], "{model:?} {encoder:?} {rows}x{cols}");
                    if let Some(r) = m.decode(z) {
                        assert_eq!(
                            r.dims(),
                            [2, rows * cols],
                            "{model:?} {encoder:?} {rows}x{cols}"
                        );
                    }
                    if let Some((means, _)) = m.vamp_components() {
                        assert_eq!(means.dims(), [3, 2]);
                    }
                }
            }
        }
    }
}
