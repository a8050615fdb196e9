//! Pairwise distances between embeddings.

use burn::prelude::*;

use crate::config::DistanceKind;

/// Squared Euclidean distances `[n, m]` between the rows of `x: [n, d]` and `y: [m, d]`.
pub fn cross_sq_euclidean(x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
    let x_sq = x.clone().powi_scalar(2).sum_dim(1); // [n, 1]
    let y_sq = y.clone().powi_scalar(2).sum_dim(1).transpose(); // [1, m]
    (x_sq + y_sq - x.matmul(y.transpose()).mul_scalar(2.0)).clamp_min(0.0)
}

/// Squared Euclidean distances `[batch, batch]` between the rows of `x: [batch, d]`.
pub fn pairwise_sq_euclidean(x: Tensor<2>) -> Tensor<2> {
    cross_sq_euclidean(x.clone(), x)
}

/// Euclidean distances `[batch, batch]`; the square root is taken above 1e-12 so that the
/// gradient stays finite on the diagonal.
pub fn pairwise_euclidean(x: Tensor<2>) -> Tensor<2> {
    pairwise_sq_euclidean(x).clamp_min(1e-12).sqrt()
}

/// Pairwise distances of the chosen kind.
pub fn pairwise(x: Tensor<2>, kind: DistanceKind) -> Tensor<2> {
    match kind {
        DistanceKind::Euclidean => pairwise_euclidean(x),
        DistanceKind::SquaredEuclidean => pairwise_sq_euclidean(x),
    }
}

/// Rows scaled to unit L2 norm (rows of norm below 1e-12 are left near zero).
pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum_dim(1).clamp_min(1e-24).sqrt(); // [batch, 1]
    x / norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_direct_computation() {
        let device = crate::backend::cpu();
        let x = Tensor::<2>::from_floats([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]], &device);
        let d: Vec<f32> = pairwise_euclidean(x.clone())
            .into_data()
            .try_to_vec()
            .unwrap();
        // Distances between (0, 0), (3, 4) and (1, 1): 5, √2 and √13.
        let (r2, r13) = (std::f32::consts::SQRT_2, 13f32.sqrt());
        let expected = [0.0, 5.0, r2, 5.0, 0.0, r13, r2, r13, 0.0];
        for (a, b) in d.iter().zip(expected) {
            assert!((a - b).abs() < 1e-5, "{d:?}");
        }
        let sq: Vec<f32> = pairwise(x.clone(), DistanceKind::SquaredEuclidean)
            .into_data()
            .try_to_vec()
            .unwrap();
        assert!(
            (sq[1] - 25.0).abs() < 1e-4 && (sq[5] - 13.0).abs() < 1e-4,
            "{sq:?}"
        );
        let n: Vec<f32> = l2_normalize(x).into_data().try_to_vec().unwrap();
        assert!(
            (n[2] - 0.6).abs() < 1e-6 && (n[3] - 0.8).abs() < 1e-6,
            "{n:?}"
        );
    }
}
