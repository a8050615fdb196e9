//! Decoders mirroring the encoders: latent `[batch, d]` → pixel logits `[batch, rows·cols]`.

use burn::nn::conv::{ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::encoder::{
    conv4x4_parameters, linear_stack, linear_stack_parameters, CONV_CHANNELS, CONV_HIDDEN,
    MLP_HIDDEN,
};
use super::init::HostRng;
use crate::data::ImageShape;

/// MLP decoder d → 256 → 512 → pixels (ReLU), returning logits.
#[derive(Module, Debug)]
pub struct MlpDecoder {
    layers: Vec<Linear>,
}

impl MlpDecoder {
    pub fn new(lsdim: usize, pixels: usize, rng: &mut HostRng) -> Self {
        Self {
            layers: linear_stack(lsdim, &[MLP_HIDDEN[1], MLP_HIDDEN[0], pixels], rng).0,
        }
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        self.layers.iter().enumerate().fold(z, |x, (i, layer)| {
            let y = layer.forward(x);
            if i == last {
                y
            } else {
                relu(y)
            }
        })
    }
}

/// Parameters of the MLP decoder (see [`MlpDecoder::new`]).
pub fn mlp_decoder_parameters(lsdim: usize, pixels: usize) -> usize {
    linear_stack_parameters(lsdim, &[MLP_HIDDEN[1], MLP_HIDDEN[0], pixels])
}

/// Parameters of the convolutional decoder for images of `shape` (see [`ConvDecoder::new`]).
pub fn conv_decoder_parameters(lsdim: usize, shape: ImageShape) -> usize {
    let (h, w) = (shape.rows.div_ceil(4), shape.cols.div_ceil(4));
    let [c1, c2] = CONV_CHANNELS;
    linear_stack_parameters(lsdim, &[CONV_HIDDEN, c2 * h * w])
        + conv4x4_parameters(c2, c1)
        + conv4x4_parameters(c1, 1)
}

/// Convolutional decoder: d → 256 → 64×⌈rows/4⌉×⌈cols/4⌉ → transposed convs (64→32→1,
/// stride 2, each doubling a side) → cropped to rows × cols (no crop on 28×28).
#[derive(Module, Debug)]
pub struct ConvDecoder {
    hidden: Vec<Linear>,
    deconv1: ConvTranspose2d,
    deconv2: ConvTranspose2d,
    rows: usize,
    cols: usize,
}

impl ConvDecoder {
    pub fn new(lsdim: usize, shape: ImageShape, rng: &mut HostRng) -> Self {
        let (h, w) = (shape.rows.div_ceil(4), shape.cols.div_ceil(4));
        let deconv = |rng: &mut HostRng, c_in, c_out| {
            rng.conv_transpose2d(
                ConvTranspose2dConfig::new([c_in, c_out], [4, 4])
                    .with_stride([2, 2])
                    .with_padding([1, 1]),
            )
        };
        let [c1, c2] = CONV_CHANNELS;
        Self {
            hidden: linear_stack(lsdim, &[CONV_HIDDEN, c2 * h * w], rng).0,
            deconv1: deconv(rng, c2, c1),
            deconv2: deconv(rng, c1, 1),
            rows: shape.rows,
            cols: shape.cols,
        }
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        let [batch, _] = z.dims();
        let (h, w) = (self.rows.div_ceil(4), self.cols.div_ceil(4));
        let x = self
            .hidden
            .iter()
            .fold(z, |x, layer| relu(layer.forward(x)));
        let x = relu(self.deconv1.forward(x.reshape([batch, 64, h, w]))); // [batch, 32, 2h, 2w]
        let x = self.deconv2.forward(x); // [batch, 1, 4h, 4w] logits
        let x = if 4 * h == self.rows && 4 * w == self.cols {
            x
        } else {
            x.slice([0..batch, 0..1, 0..self.rows, 0..self.cols])
        };
        x.reshape([batch, self.rows * self.cols])
    }
}

/// Either decoder. One per model, so the conv variant's size does not matter.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Decoder {
    Mlp(MlpDecoder),
    Conv(ConvDecoder),
}

impl Decoder {
    /// Pixel logits `[batch, rows·cols]` (`sigmoid` gives intensities in [0, 1]).
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        match self {
            Decoder::Mlp(d) => d.forward(z),
            Decoder::Conv(d) => d.forward(z),
        }
    }
}
