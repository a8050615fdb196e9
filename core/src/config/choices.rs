//! The config's enumerations: every value with its kebab-case name (as JSON, flags and links
//! spell it), the full list, and a sentence or two that explain it (the form and `--help`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The kebab-case name of a config value, as JSON, flags and the page spell it.
pub fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// Parses a config enum from its kebab-case name; the error lists the accepted names.
pub fn parse_name<T: DeserializeOwned>(name: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|e| e.to_string())
}

/// One value of a [`Choice`], as the form and `--help` show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceOption {
    /// The kebab-case name (JSON, flags, links).
    pub name: String,
    /// What the form's list shows.
    pub label: String,
    /// One or two sentences for a newcomer.
    pub help: &'static str,
}

/// A config field whose value is one of a few names.
pub trait Choice: Copy + PartialEq + Serialize + DeserializeOwned + 'static {
    /// Every value, in the order the form lists them.
    const ALL: &'static [Self];

    /// One or two sentences for a newcomer (the form's explanations, `--help`).
    fn describe(self) -> &'static str;

    /// What the form's list shows: the name, unless a value says otherwise.
    fn label(self) -> String {
        name_of(&self)
    }

    /// Every value, in order.
    fn options() -> Vec<ChoiceOption> {
        Self::ALL
            .iter()
            .map(|&v| ChoiceOption {
                name: name_of(&v),
                label: v.label(),
                help: v.describe(),
            })
            .collect()
    }
}

/// Which images to learn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    Mnist,
    Organamnist,
    /// The user's own images and labels as four IDX files.
    Idx,
}

impl Choice for DatasetKind {
    const ALL: &'static [Self] = &[Self::Mnist, Self::Organamnist, Self::Idx];
    fn label(self) -> String {
        match self {
            Self::Mnist => "MNIST (built in)",
            Self::Organamnist => "OrganAMNIST (your .npz)",
            Self::Idx => "your own IDX files",
        }
        .into()
    }
    fn describe(self) -> &'static str {
        match self {
            Self::Mnist => "MNIST: 60 000 training and 10 000 test images of handwritten digits, 28×28.",
            Self::Organamnist => "OrganAMNIST (MedMNIST v2): abdominal CT slices of 11 organs; bring organamnist.npz (28×28, or the 64, 128 or 224 pixel MedMNIST+ files), or any .npz in its layout.",
            Self::Idx => "Your own data: four IDX files (MNIST's format, raw or gzip) with training and test images and labels, any size.",
        }
    }
}

/// Which model to train (the paper's variants and its two baselines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    Dml,
    DmlAe,
    DmlUnitPrior,
    DmlGmmPrior,
    MetricVae,
    Ae,
    Vae,
}

impl Choice for ModelKind {
    const ALL: &'static [Self] = &[
        Self::Dml,
        Self::DmlAe,
        Self::DmlUnitPrior,
        Self::DmlGmmPrior,
        Self::MetricVae,
        Self::Ae,
        Self::Vae,
    ];
    fn describe(self) -> &'static str {
        match self {
            Self::Dml => "Deep metric learning alone: an encoder maps each image to a point, and the metric loss pulls labelled images of a class together and pushes other classes away. Unlabelled images are not used (the paper's baseline, Table 1).",
            Self::DmlAe => "DML plus a decoder: every image, labelled or not, must also be reconstructed from its embedding, so the unlabelled images shape the space too (the paper's DML-AE, Table 1).",
            Self::DmlUnitPrior => "DML with a Gaussian encoder and a KL term pulling each image's Gaussian towards N(0, I) (the paper's unit prior, Table 3).",
            Self::DmlGmmPrior => "DML with a Gaussian encoder and a KL term towards a mixture of Gaussians, one component per corner of the hypercube {−1, 1}^d (the paper's GMM prior, Table 3).",
            Self::MetricVae => "A variational autoencoder with a learned VampPrior whose means also carry the metric loss: reconstruction, KL and metric terms together (the paper's MetricVAE, Table 4).",
            Self::Ae => "Baseline: the autoencoder alone, no labels (DML-AE with α = 1).",
            Self::Vae => "Baseline: the VampPrior VAE alone, no labels (MetricVAE without its metric term).",
        }
    }
}

impl ModelKind {
    /// The kebab-case name used in JSON, flags and URLs.
    pub fn name(self) -> String {
        name_of(&self)
    }

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

    /// The model has both losses, so a schedule and their weights apply.
    pub fn has_both_losses(self) -> bool {
        self.has_metric_loss() && self.has_unsupervised_loss()
    }
}

/// The supervised metric loss L_S.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricLossKind {
    Triplet,
    Supcon,
    Center,
}

impl Choice for MetricLossKind {
    const ALL: &'static [Self] = &[Self::Triplet, Self::Supcon, Self::Center];
    fn describe(self) -> &'static str {
        match self {
            Self::Triplet => "Triplet margin loss: an anchor must be closer to an image of its class than to an image of another class, by the margin; the miner picks the triplets (the paper's loss).",
            Self::Supcon => "Supervised contrastive loss (Khosla et al. 2020): on L2-normalised embeddings, each image's classmates must be the most similar of the batch, softened by the temperature.",
            Self::Center => "Center loss: each class has a learned centre that its images are pulled to, and centres are kept at least the margin apart.",
        }
    }
}

/// How triplets are mined within a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Miner {
    BatchAll,
    BatchHard,
    SemiHard,
}

impl Choice for Miner {
    const ALL: &'static [Self] = &[Self::BatchAll, Self::BatchHard, Self::SemiHard];
    fn describe(self) -> &'static str {
        match self {
            Self::BatchAll => "Every valid triplet of the batch; the loss is the mean over those that still violate the margin.",
            Self::BatchHard => "Per anchor, only the farthest positive and the closest negative (Hermans et al. 2017).",
            Self::SemiHard => "Per anchor and positive, the closest negative that is farther than the positive (FaceNet).",
        }
    }
}

/// Distance between embeddings for triplet and center losses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DistanceKind {
    Euclidean,
    SquaredEuclidean,
}

impl Choice for DistanceKind {
    const ALL: &'static [Self] = &[Self::Euclidean, Self::SquaredEuclidean];
    fn describe(self) -> &'static str {
        match self {
            Self::Euclidean => "The straight-line distance ‖a − b‖.",
            Self::SquaredEuclidean => "The squared distance ‖a − b‖²: far pairs weigh more.",
        }
    }
}

/// How L_S and L_U are combined over epochs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    Alternating,
    Joint,
    JointGamma,
}

impl Choice for Schedule {
    const ALL: &'static [Self] = &[Self::Joint, Self::Alternating, Self::JointGamma];
    fn describe(self) -> &'static str {
        match self {
            Self::Alternating => "The paper's schedule: odd epochs L = (1−α)·L_S + α·L_U, even epochs L = α·L_U alone.",
            Self::Joint => "Every step L = (1−α)·L_S + α·L_U.",
            Self::JointGamma => "Every step L = L_U + γ·L_S (the thesis' Table 4 for MetricVAE).",
        }
    }
}

/// Encoder (and mirrored decoder) architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncoderKind {
    Mlp,
    Conv,
}

impl Choice for EncoderKind {
    const ALL: &'static [Self] = &[Self::Mlp, Self::Conv];
    fn describe(self) -> &'static str {
        match self {
            Self::Mlp => "The paper's MLP: pixels → 512 → 256 → d, ReLU between layers; the decoder mirrors it.",
            Self::Conv => "Two stride-2 convolutions (32, 64 channels) → 256 → d; the decoder mirrors it with transposed convolutions. Images need at least 4 pixels a side.",
        }
    }
}

/// Reconstruction likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReconLoss {
    Mse,
    Bce,
}

impl Choice for ReconLoss {
    const ALL: &'static [Self] = &[Self::Mse, Self::Bce];
    fn describe(self) -> &'static str {
        match self {
            Self::Mse => {
                "Squared error between the image and the decoder's sigmoid output (the paper)."
            }
            Self::Bce => {
                "Bernoulli cross-entropy of the pixel intensities, from the decoder's logits."
            }
        }
    }
}

/// How the two parts of the unsupervised loss L_U are scaled against each other (and so
/// against the metric loss). With D pixels and d latent dimensions, per image:
/// - `per-pixel`: (reconstruction summed over pixels + KL) / D, the balanced ELBO (β = 1);
/// - `paper`: reconstruction as a per-pixel mean + KL summed over the latent dimensions, what
///   PyTorch's defaults (`mse_loss` with reduction "mean", KL `.sum(dim=1)`) compute: the KL
///   weighs D times more, an effective β = D (784 on MNIST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LossScale {
    #[default]
    PerPixel,
    Paper,
}

impl LossScale {
    /// The KL's weight against the reconstruction, as an ELBO's β, for images of `pixels` pixels.
    pub fn effective_beta(self, pixels: usize) -> f64 {
        match self {
            Self::PerPixel => 1.0,
            Self::Paper => pixels as f64,
        }
    }
}

impl Choice for LossScale {
    const ALL: &'static [Self] = &[Self::PerPixel, Self::Paper];
    fn label(self) -> String {
        match self {
            Self::PerPixel => "per pixel (balanced ELBO, β = 1)",
            Self::Paper => "paper (KL summed over d: β = pixels)",
        }
        .into()
    }
    fn describe(self) -> &'static str {
        match self {
            Self::PerPixel => "Reconstruction and KL both divided by the number of pixels D: the usual ELBO (β = 1), on a per-pixel scale so that α weighs the same on any image size.",
            Self::Paper => "What the paper's PyTorch code computes by default: reconstruction as a per-pixel mean, KL summed over the latent dimensions. The KL weighs D times more (β = 784 on MNIST), which can collapse the embedding to chance.",
        }
    }
}

/// Where the tensors live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BackendChoice {
    #[default]
    Auto,
    Wgpu,
    Cpu,
}

impl Choice for BackendChoice {
    const ALL: &'static [Self] = &[Self::Auto, Self::Wgpu, Self::Cpu];
    fn label(self) -> String {
        match self {
            Self::Auto => "Auto (the faster, measured)",
            Self::Wgpu => "WebGPU",
            Self::Cpu => "CPU",
        }
        .into()
    }
    fn describe(self) -> &'static str {
        match self {
            Self::Auto => "Times a few training steps on each backend and trains on the faster (remembered per experiment shape).",
            Self::Wgpu => "burn's wgpu backend: WebGPU in the browser, Vulkan/Metal/DX12 natively.",
            Self::Cpu => "burn's CPU backend (WebAssembly in the browser).",
        }
    }
}
