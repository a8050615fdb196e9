//! Encoders: images `[batch, 784]` → features `[batch, out]` (a point, or a Gaussian's
//! mean and log-variance side by side).

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

/// Shape of an MLP encoder.
#[derive(Config, Debug)]
pub struct MlpEncoderConfig {
    /// Pixels per image.
    #[config(default = 784)]
    pub input: usize,
    /// Hidden layer widths, in order.
    #[config(default = "vec![512, 256]")]
    pub hidden: Vec<usize>,
    /// Output size (lsdim, or 2·lsdim for a Gaussian).
    pub output: usize,
}

/// MLP with ReLU between layers: 784 → 512 → 256 → output.
#[derive(Module, Debug)]
pub struct MlpEncoder {
    hidden: Vec<Linear>,
    output: Linear,
}

impl MlpEncoderConfig {
    /// Builds the encoder with burn's default (Kaiming-uniform) initialisation on `device`.
    pub fn init(&self, device: &Device) -> MlpEncoder {
        let (hidden, width) = linear_stack(self.input, &self.hidden, device);
        MlpEncoder {
            hidden,
            output: LinearConfig::new(width, self.output).init(device),
        }
    }
}

/// Linear layers of the given widths from `input`; returns them and the last width.
pub(crate) fn linear_stack(
    input: usize,
    widths: &[usize],
    device: &Device,
) -> (Vec<Linear>, usize) {
    let mut width = input;
    let layers = widths
        .iter()
        .map(|&h| {
            let layer = LinearConfig::new(width, h).init(device);
            width = h;
            layer
        })
        .collect();
    (layers, width)
}

impl MlpEncoder {
    /// `[batch, input]` → `[batch, output]`.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let x = self
            .hidden
            .iter()
            .fold(images, |x, layer| relu(layer.forward(x)));
        self.output.forward(x)
    }
}

/// Small convolutional encoder for 28×28 images: conv(1→32, 4×4, stride 2) → conv(32→64,
/// 4×4, stride 2) → 256 → output.
#[derive(Module, Debug)]
pub struct ConvEncoder {
    conv1: Conv2d,
    conv2: Conv2d,
    hidden: Linear,
    output: Linear,
}

impl ConvEncoder {
    pub fn new(output: usize, device: &Device) -> Self {
        let conv = |c_in, c_out| {
            Conv2dConfig::new([c_in, c_out], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Self {
            conv1: conv(1, 32),
            conv2: conv(32, 64),
            hidden: LinearConfig::new(64 * 7 * 7, 256).init(device),
            output: LinearConfig::new(256, output).init(device),
        }
    }

    /// `[batch, 784]` → `[batch, output]`.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let [batch, _] = images.dims();
        let x = images.reshape([batch, 1, 28, 28]);
        let x = relu(self.conv1.forward(x)); // [batch, 32, 14, 14]
        let x = relu(self.conv2.forward(x)); // [batch, 64, 7, 7]
        let x = relu(self.hidden.forward(x.reshape([batch, 64 * 7 * 7])));
        self.output.forward(x)
    }
}

/// Either encoder.
#[derive(Module, Debug)]
pub enum Encoder {
    Mlp(MlpEncoder),
    Conv(ConvEncoder),
}

impl Encoder {
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        match self {
            Encoder::Mlp(e) => e.forward(images),
            Encoder::Conv(e) => e.forward(images),
        }
    }
}
