//! The neighbour term: each image of an unlabelled batch is drawn toward one of its nearest
//! training images in pixel space (`train::neighbours` finds them), relative to how far apart
//! the batch's images lie. No label is involved.
//!
//! With embeddings `a_i` of the batch and `b_i` of a neighbour of each, the term is
//! `mean_i ‖a_i − b_i‖² / (2 · mean_x ‖x − x̄‖²)` over the 2B embeddings `x` of both: the
//! neighbour pairs' squared distance over that of two random images of the batch (twice the
//! spread). Shrinking or scaling the whole embedding does not lower it, so the term shapes the
//! embedding (neighbours close, the rest apart) without collapsing it.

use burn::prelude::*;

/// Floor of the spread, so that a collapsed batch gives a large, finite term.
const MIN_SPREAD: f64 = 1e-6;

/// The neighbour term of embeddings `a` `[batch, d]` and their neighbours' `b` `[batch, d]`.
pub fn neighbour_term(a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
    let pairs = (a.clone() - b.clone()).powi_scalar(2).sum_dim(1).mean(); // [1]
    let x = Tensor::cat(vec![a, b], 0);
    let centred = x.clone() - x.mean_dim(0);
    let spread = centred.powi_scalar(2).sum_dim(1).mean().mul_scalar(2.0);
    pairs / spread.clamp_min(MIN_SPREAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(t: Tensor<1>) -> f32 {
        t.into_data().try_to_vec::<f32>().unwrap()[0]
    }

    #[test]
    fn matches_a_hand_computation_and_ignores_scale() {
        let device = crate::backend::cpu();
        // Pairs (0,0)-(1,0) and (4,0)-(4,2): squared distances 1 and 4, mean 2.5. The four
        // points' mean is (2.25, 0.5); squared deviations 5.3125, 1.8125, 3.3125, 5.3125,
        // mean 3.9375, times two 7.875.
        let a = Tensor::<2>::from_floats([[0.0, 0.0], [4.0, 0.0]], &device);
        let b = Tensor::<2>::from_floats([[1.0, 0.0], [4.0, 2.0]], &device);
        let expected = 2.5 / 7.875;
        assert!((value(neighbour_term(a.clone(), b.clone())) - expected).abs() < 1e-6);
        // The whole embedding scaled and shifted: the same term.
        let moved = |t: Tensor<2>| t.mul_scalar(10.0).add_scalar(3.0);
        assert!((value(neighbour_term(moved(a), moved(b))) - expected).abs() < 1e-5);
    }

    #[test]
    fn closer_neighbours_cost_less_and_a_collapse_stays_finite() {
        let device = crate::backend::cpu();
        let a = Tensor::<2>::from_floats([[0.0, 0.0], [4.0, 0.0]], &device);
        let near = Tensor::<2>::from_floats([[0.5, 0.0], [4.0, 0.5]], &device);
        let far = Tensor::<2>::from_floats([[2.0, 0.0], [4.0, 2.0]], &device);
        assert!(value(neighbour_term(a.clone(), near)) < value(neighbour_term(a, far)));
        let zeros = Tensor::<2>::zeros([2, 2], &device);
        assert!(value(neighbour_term(zeros.clone(), zeros)).is_finite());
    }
}
