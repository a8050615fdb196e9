//! Encoders: images `[batch, rows·cols]` → features `[batch, out]` (a point, or a Gaussian's
//! mean and log-variance side by side). Both take images of any size the readers accept.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::init::HostRng;
use crate::data::ImageShape;

/// Rows and columns after the conv encoder's two stride-2 convolutions (kernel 4, padding 1:
/// each halves a side, rounding down).
pub fn conv_features(shape: ImageShape) -> (usize, usize) {
    (shape.rows / 4, shape.cols / 4)
}

/// Hidden widths of the MLP encoder (the paper's 784 → 512 → 256 → d).
pub const MLP_HIDDEN: [usize; 2] = [512, 256];

/// Smallest side the conv encoder takes: two halvings must leave at least one pixel.
pub const CONV_MIN_SIDE: usize = 4;

/// Channels after the conv encoder's first and second convolution (the conv decoder mirrors
/// them).
pub const CONV_CHANNELS: [usize; 2] = [32, 64];

/// Width of the conv encoder's hidden linear layer (and the conv decoder's first).
pub const CONV_HIDDEN: usize = 256;

/// Weights and biases of a 4×4 convolution (or transposed convolution) `c_in → c_out`.
pub(crate) fn conv4x4_parameters(c_in: usize, c_out: usize) -> usize {
    c_in * c_out * 16 + c_out
}

/// Weights and biases of the linear layers `input → widths…`.
pub(crate) fn linear_stack_parameters(input: usize, widths: &[usize]) -> usize {
    let mut width = input;
    widths
        .iter()
        .map(|&h| {
            let n = width * h + h;
            width = h;
            n
        })
        .sum()
}

/// Parameters of the convolutional encoder for images of `shape` (see [`ConvEncoder::new`]).
pub fn conv_encoder_parameters(shape: ImageShape, output: usize) -> usize {
    let (h, w) = conv_features(shape);
    let [c1, c2] = CONV_CHANNELS;
    conv4x4_parameters(1, c1)
        + conv4x4_parameters(c1, c2)
        + linear_stack_parameters(c2 * h * w, &[CONV_HIDDEN, output])
}

/// MLP with ReLU between layers: pixels → 512 → 256 → output.
#[derive(Module, Debug)]
pub struct MlpEncoder {
    hidden: Vec<Linear>,
    output: Linear,
}

/// Linear layers of the given widths from `input`; returns them and the last width.
pub(crate) fn linear_stack(
    input: usize,
    widths: &[usize],
    rng: &mut HostRng,
) -> (Vec<Linear>, usize) {
    let mut width = input;
    let layers = widths
        .iter()
        .map(|&h| {
            let layer = rng.linear(width, h);
            width = h;
            layer
        })
        .collect();
    (layers, width)
}

impl MlpEncoder {
    /// `pixels → hidden… → output`, initialised from `rng`.
    pub fn new(pixels: usize, hidden: &[usize], output: usize, rng: &mut HostRng) -> Self {
        let (hidden, width) = linear_stack(pixels, hidden, rng);
        Self {
            hidden,
            output: rng.linear(width, output),
        }
    }

    /// `[batch, input]` → `[batch, output]`.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let x = self
            .hidden
            .iter()
            .fold(images, |x, layer| relu(layer.forward(x)));
        self.output.forward(x)
    }
}

/// Small convolutional encoder: conv(1→32, 4×4, stride 2) → conv(32→64, 4×4, stride 2) →
/// 256 → output. On 28×28 images the feature map is 64×7×7.
#[derive(Module, Debug)]
pub struct ConvEncoder {
    conv1: Conv2d,
    conv2: Conv2d,
    hidden: Linear,
    output: Linear,
    rows: usize,
    cols: usize,
}

impl ConvEncoder {
    /// For images of `shape` (each side at least [`CONV_MIN_SIDE`]; `pipeline::check_dataset` says so
    /// before training).
    pub fn new(shape: ImageShape, output: usize, rng: &mut HostRng) -> Self {
        let conv = |rng: &mut HostRng, c_in, c_out| {
            rng.conv2d(
                Conv2dConfig::new([c_in, c_out], [4, 4])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)),
            )
        };
        let (h, w) = conv_features(shape);
        let [c1, c2] = CONV_CHANNELS;
        Self {
            conv1: conv(rng, 1, c1),
            conv2: conv(rng, c1, c2),
            hidden: rng.linear(c2 * h * w, CONV_HIDDEN),
            output: rng.linear(CONV_HIDDEN, output),
            rows: shape.rows,
            cols: shape.cols,
        }
    }

    /// `[batch, rows·cols]` → `[batch, output]`.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let [batch, _] = images.dims();
        let x = images.reshape([batch, 1, self.rows, self.cols]);
        let x = relu(self.conv1.forward(x)); // [batch, 32, rows/2, cols/2]
        let x = relu(self.conv2.forward(x)); // [batch, 64, rows/4, cols/4]
        let [_, c, h, w] = x.dims();
        let x = relu(self.hidden.forward(x.reshape([batch, c * h * w])));
        self.output.forward(x)
    }
}

/// Either encoder. One per model, so the conv variant's size does not matter.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
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
