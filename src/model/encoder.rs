//! The MLP encoder: 784 → 512 → 256 → lsdim with ReLU between layers.

use burn::nn::{Linear, LinearConfig};
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
    /// Embedding size.
    pub lsdim: usize,
}

/// Maps flattened images to embeddings.
#[derive(Module, Debug)]
pub struct MlpEncoder {
    hidden: Vec<Linear>,
    output: Linear,
}

impl MlpEncoderConfig {
    /// Builds the encoder with burn's default (Kaiming-uniform) initialisation on `device`.
    pub fn init(&self, device: &Device) -> MlpEncoder {
        let mut width = self.input;
        let hidden = self
            .hidden
            .iter()
            .map(|&h| {
                let layer = LinearConfig::new(width, h).init(device);
                width = h;
                layer
            })
            .collect();
        MlpEncoder { hidden, output: LinearConfig::new(width, self.lsdim).init(device) }
    }
}

impl MlpEncoder {
    /// `[batch, input]` → `[batch, lsdim]`.
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let x = self.hidden.iter().fold(images, |x, layer| relu(layer.forward(x)));
        self.output.forward(x)
    }
}
