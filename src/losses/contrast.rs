//! The unlabelled contrastive term: NT-Xent (Chen et al. 2020, SimCLR) between two augmented
//! views of each image of a batch. No label is involved: each image's other view is its one
//! positive, the other 2B − 2 views are negatives.
//!
//! On L2-normalised embeddings of the 2B views with similarities `s_ij = z_i·z_j / τ`, view `i`
//! with partner `p(i)` costs `−log( exp(s_ip) / Σ_{a≠i} exp(s_ia) )`; the loss is the mean over
//! the 2B views.

use burn::prelude::*;

use super::distance::l2_normalize;
use super::kl::log_sum_exp;

/// NT-Xent of two views `[batch, d]` each (row i of `a` and row i of `b` are the same image).
pub fn nt_xent(a: Tensor<2>, b: Tensor<2>, temperature: f64) -> Tensor<1> {
    let [batch, _] = a.dims();
    let device = a.device();
    let (a, b) = (l2_normalize(a), l2_normalize(b));
    // Each view with its partner: s_{i,p(i)}, the same for both halves.
    let positive = (a.clone() * b.clone())
        .sum_dim(1)
        .squeeze_dim::<1>(1)
        .div_scalar(temperature);
    let z = Tensor::cat(vec![a, b], 0); // [2B, d]
    let sim = z.clone().matmul(z.transpose()).div_scalar(temperature); // [2B, 2B]
    let eye = Tensor::<2>::eye(2 * batch, &device);
    let denominator = log_sum_exp(sim - eye.mul_scalar(1e9)); // [2B], without a = i
    let positive = Tensor::cat(vec![positive.clone(), positive], 0);
    (denominator - positive).mean()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_hand_computation() {
        let device = crate::backend::cpu();
        // Two images in 2-D; their views are unit vectors at known angles.
        let a = Tensor::<2>::from_floats([[1.0, 0.0], [0.0, 2.0]], &device);
        let b = Tensor::<2>::from_floats([[0.6, 0.8], [0.0, -1.0]], &device);
        let tau = 0.5;
        let got: f32 = nt_xent(a, b, tau).into_scalar();
        // Normalised views: a0 = (1, 0), a1 = (0, 1), b0 = (.6, .8), b1 = (0, −1).
        let v = [[1.0f64, 0.0], [0.0, 1.0], [0.6, 0.8], [0.0, -1.0]];
        let partner = [2, 3, 0, 1];
        let s = |i: usize, j: usize| (v[i][0] * v[j][0] + v[i][1] * v[j][1]) / tau;
        let want: f64 = (0..4)
            .map(|i| {
                let denom: f64 = (0..4).filter(|&a| a != i).map(|a| s(i, a).exp()).sum();
                denom.ln() - s(i, partner[i])
            })
            .sum::<f64>()
            / 4.0;
        assert!((got as f64 - want).abs() < 1e-5, "{got} vs {want}");
    }

    #[test]
    fn identical_views_far_from_the_others_cost_little() {
        let device = crate::backend::cpu();
        let x = Tensor::<2>::from_floats([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]], &device);
        let close: f32 = nt_xent(x.clone(), x.clone(), 0.1).into_scalar();
        let swapped = Tensor::<2>::from_floats([[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], &device);
        let far: f32 = nt_xent(x, swapped, 0.1).into_scalar();
        assert!(close < 0.01, "{close}");
        assert!(far > 5.0, "{far}");
    }
}
