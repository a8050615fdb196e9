//! Reconstruction terms, per image (summed over pixels), from the decoder's logits.

use burn::prelude::*;
use burn::tensor::activation::{sigmoid, softplus};

use crate::config::ReconLoss;

/// `[batch]` reconstruction cost of `target` (intensities in [0, 1]) from pixel `logits`:
/// squared error of `sigmoid(logits)`, or Bernoulli cross-entropy computed stably from logits.
pub fn reconstruction_per_image(
    logits: Tensor<2>,
    target: Tensor<2>,
    kind: ReconLoss,
) -> Tensor<1> {
    let per_pixel = match kind {
        ReconLoss::Mse => (sigmoid(logits) - target).powi_scalar(2),
        ReconLoss::Bce => softplus(logits.clone(), 1.0) - target * logits,
    };
    per_pixel.sum_dim(1).squeeze_dim::<1>(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_formulas() {
        let device = crate::backend::cpu();
        let logits = Tensor::<2>::from_floats([[0.0, 2.0]], &device);
        let target = Tensor::<2>::from_floats([[1.0, 0.0]], &device);
        let mse: f32 =
            reconstruction_per_image(logits.clone(), target.clone(), ReconLoss::Mse).into_scalar();
        let s2 = 1.0 / (1.0 + (-2.0f32).exp());
        assert!((mse - (0.25 + s2 * s2)).abs() < 1e-5, "{mse}");
        let bce: f32 = reconstruction_per_image(logits, target, ReconLoss::Bce).into_scalar();
        let want = -(0.5f32).ln() - (1.0 - s2).ln();
        assert!((bce - want).abs() < 1e-5, "{bce} vs {want}");
    }
}
