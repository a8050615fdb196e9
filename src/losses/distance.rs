//! Pairwise distances between embeddings.

use burn::prelude::*;

/// Squared Euclidean distances `[batch, batch]` between the rows of `x: [batch, d]`.
pub fn pairwise_sq_euclidean(x: Tensor<2>) -> Tensor<2> {
    let sq = x.clone().powi_scalar(2).sum_dim(1); // [batch, 1]
    let gram = x.clone().matmul(x.transpose()); // [batch, batch]
    (sq.clone() + sq.transpose() - gram.mul_scalar(2.0)).clamp_min(0.0)
}

/// Euclidean distances `[batch, batch]`; the square root is taken above 1e-12 so that the
/// gradient stays finite on the diagonal.
pub fn pairwise_euclidean(x: Tensor<2>) -> Tensor<2> {
    pairwise_sq_euclidean(x).clamp_min(1e-12).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_direct_computation() {
        let device = crate::backend::cpu();
        let x = Tensor::<2>::from_floats([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]], &device);
        let d: Vec<f32> = pairwise_euclidean(x).into_data().try_to_vec().unwrap();
        let expected = [0.0, 5.0, 1.4142135, 5.0, 0.0, 3.6055512, 1.4142135, 3.6055512, 0.0];
        for (a, b) in d.iter().zip(expected) {
            assert!((a - b).abs() < 1e-5, "{d:?}");
        }
    }
}
