//! Decoders mirroring the encoders: latent `[batch, d]` → pixel logits `[batch, 784]`.

use burn::nn::conv::{ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::encoder::linear_stack;

/// MLP decoder d → 256 → 512 → 784 (ReLU), returning logits.
#[derive(Module, Debug)]
pub struct MlpDecoder {
    layers: Vec<Linear>,
}

impl MlpDecoder {
    pub fn new(lsdim: usize, device: &Device) -> Self {
        Self {
            layers: linear_stack(lsdim, &[256, 512, 784], device).0,
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

/// Convolutional decoder: d → 256 → 64×7×7 → transposed convs (64→32→1, stride 2).
#[derive(Module, Debug)]
pub struct ConvDecoder {
    hidden: Vec<Linear>,
    deconv1: ConvTranspose2d,
    deconv2: ConvTranspose2d,
}

impl ConvDecoder {
    pub fn new(lsdim: usize, device: &Device) -> Self {
        let deconv = |c_in, c_out| {
            ConvTranspose2dConfig::new([c_in, c_out], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .init(device)
        };
        Self {
            hidden: linear_stack(lsdim, &[256, 64 * 7 * 7], device).0,
            deconv1: deconv(64, 32),
            deconv2: deconv(32, 1),
        }
    }

    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        let [batch, _] = z.dims();
        let x = self
            .hidden
            .iter()
            .fold(z, |x, layer| relu(layer.forward(x)));
        let x = relu(self.deconv1.forward(x.reshape([batch, 64, 7, 7]))); // [batch, 32, 14, 14]
        self.deconv2.forward(x).reshape([batch, 784]) // [batch, 1, 28, 28] → logits
    }
}

/// Either decoder.
#[derive(Module, Debug)]
pub enum Decoder {
    Mlp(MlpDecoder),
    Conv(ConvDecoder),
}

impl Decoder {
    /// Pixel logits `[batch, 784]` (`sigmoid` gives intensities in [0, 1]).
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        match self {
            Decoder::Mlp(d) => d.forward(z),
            Decoder::Conv(d) => d.forward(z),
        }
    }
}
