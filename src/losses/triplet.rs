//! Triplet margin loss with batch-all online mining.
//!
//! For every anchor `a`, positive `p` (same label, `p != a`) and negative `n` (other label) in
//! the batch, the triplet costs `max(0, d(a,p) − d(a,n) + margin)` on Euclidean distances; the
//! loss is the mean over the triplets that cost more than zero (Hermans et al. 2017, "batch
//! all"). Batch-all rather than semi-hard: with randomly initialised encoders and small label
//! budgets, semi-hard mining often finds no triplet at all in early batches (every negative is
//! closer than the positive), while batch-all always has a gradient, and averaging over the
//! active triplets keeps the gradient from fading as most triplets get satisfied.
//!
//! Pairs `(a, p)` are enumerated on the host from the labels (cheap: labels are bytes) so the
//! device works on `[pairs, batch]` instead of the full `[batch, batch, batch]` cube.

use burn::prelude::*;
use burn::tensor::{activation::relu, Int};

use super::distance::pairwise_euclidean;

/// The loss value (a one-element tensor, differentiable) and the share of valid triplets that
/// are still active.
pub struct TripletOutput {
    pub loss: Tensor<1>,
    pub active_fraction: Tensor<1>,
}

/// Batch-all triplet loss.
#[derive(Debug, Clone, Copy)]
pub struct TripletLoss {
    pub margin: f32,
}

impl TripletLoss {
    /// `embeddings: [batch, d]`, `labels`: one class per row. With no valid triplet (fewer than
    /// two classes, or no class with two images) the loss is zero and carries no gradient.
    pub fn forward(&self, embeddings: Tensor<2>, labels: &[u8]) -> TripletOutput {
        let device = embeddings.device();
        let batch = labels.len();
        let (anchors, positives) = positive_pairs(labels);
        if anchors.is_empty() {
            let zero = embeddings.sum().mul_scalar(0.0);
            return TripletOutput { loss: zero.clone(), active_fraction: zero.detach() };
        }
        let pairs = anchors.len();
        let dist = pairwise_euclidean(embeddings); // [batch, batch]
        let anchor_idx = Tensor::<1, Int>::from_data(TensorData::new(anchors.clone(), [pairs]), &device);
        let flat_ap: Vec<i64> = anchors.iter().zip(&positives).map(|(a, p)| a * batch as i64 + p).collect();
        let flat_ap = Tensor::<1, Int>::from_data(TensorData::new(flat_ap, [pairs]), &device);

        let d_ap = dist.clone().reshape([batch * batch]).select(0, flat_ap).reshape([pairs, 1]);
        let d_an = dist.select(0, anchor_idx); // [pairs, batch]
        let neg_mask: Vec<f32> = anchors
            .iter()
            .flat_map(|&a| labels.iter().map(move |&l| (l != labels[a as usize]) as u8 as f32))
            .collect();
        let neg_mask = Tensor::<2>::from_data(TensorData::new(neg_mask, [pairs, batch]), &device);

        let costs = relu(d_ap - d_an + self.margin) * neg_mask.clone(); // [pairs, batch]
        let active = costs.clone().detach().greater_elem(1e-16).float().sum();
        let valid = neg_mask.sum();
        let loss = costs.sum() / active.clone().clamp_min(1.0);
        TripletOutput { loss, active_fraction: active / valid.clamp_min(1.0) }
    }
}

/// All ordered pairs `(a, p)` with `a != p` and the same label.
fn positive_pairs(labels: &[u8]) -> (Vec<i64>, Vec<i64>) {
    let mut anchors = Vec::new();
    let mut positives = Vec::new();
    for (a, &la) in labels.iter().enumerate() {
        for (p, &lp) in labels.iter().enumerate() {
            if a != p && la == lp {
                anchors.push(a as i64);
                positives.push(p as i64);
            }
        }
    }
    (anchors, positives)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(points: &[[f32; 2]], labels: &[u8], margin: f32) -> (f32, f32) {
        let device = crate::backend::cpu();
        let flat: Vec<f32> = points.iter().flatten().copied().collect();
        let x = Tensor::<2>::from_data(TensorData::new(flat, [points.len(), 2]), &device);
        let out = TripletLoss { margin }.forward(x, labels);
        (out.loss.into_scalar(), out.active_fraction.into_scalar())
    }

    /// Brute force over all (a, p, n) triples, as the definition reads.
    fn brute_force(points: &[[f32; 2]], labels: &[u8], margin: f32) -> f32 {
        let d = |i: usize, j: usize| {
            ((points[i][0] - points[j][0]).powi(2) + (points[i][1] - points[j][1]).powi(2)).sqrt()
        };
        let (mut sum, mut active) = (0.0, 0);
        for a in 0..points.len() {
            for p in 0..points.len() {
                for n in 0..points.len() {
                    if a != p && labels[a] == labels[p] && labels[a] != labels[n] {
                        let c = (d(a, p) - d(a, n) + margin).max(0.0);
                        if c > 0.0 {
                            sum += c;
                            active += 1;
                        }
                    }
                }
            }
        }
        if active == 0 { 0.0 } else { sum / active as f32 }
    }

    #[test]
    fn hand_computed_example() {
        // Points 0,1 are class 0 at distance 2; point 2 (class 1) is 1 away from both.
        // Triplets (0,1,2) and (1,0,2) each cost 2 − 1 + 1 = 2, so the mean is 2; all active.
        let (loss, active) = run(&[[0.0, 0.0], [2.0, 0.0], [1.0, 0.0]], &[0, 0, 1], 1.0);
        assert!((loss - 2.0).abs() < 1e-5, "{loss}");
        assert!((active - 1.0).abs() < 1e-6);
        // Well separated classes: every triplet satisfied, loss 0.
        let (loss, active) = run(&[[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.1, 0.0]], &[0, 0, 1, 1], 1.0);
        assert_eq!((loss, active), (0.0, 0.0));
    }

    #[test]
    fn agrees_with_brute_force_on_a_mixed_batch() {
        let points = [[0.0, 0.0], [0.5, 0.2], [1.0, 0.1], [0.2, 0.9], [1.5, 1.5], [0.3, 0.3], [2.0, 0.0]];
        let labels = [0, 1, 0, 2, 1, 2, 0];
        for margin in [0.1, 0.5, 1.0] {
            let (loss, _) = run(&points, &labels, margin);
            let expected = brute_force(&points, &labels, margin);
            assert!((loss - expected).abs() < 1e-4, "margin {margin}: {loss} vs {expected}");
        }
    }

    #[test]
    fn no_positive_pair_means_zero_loss() {
        let (loss, _) = run(&[[0.0, 0.0], [1.0, 0.0]], &[0, 1], 1.0);
        assert_eq!(loss, 0.0);
    }

    #[test]
    fn gradient_pulls_positives_together() {
        let device = crate::backend::cpu().autodiff();
        let x = Tensor::<2>::from_floats([[0.0, 0.0], [2.0, 0.0], [1.0, 0.0]], &device).require_grad();
        let out = TripletLoss { margin: 1.0 }.forward(x.clone(), &[0, 0, 1]);
        let grads = out.loss.backward();
        let g: Vec<f32> = x.grad(&grads).unwrap().into_data().try_to_vec().unwrap();
        // Anchor 0 moves towards its positive (+x), anchor 1 towards its positive (−x).
        assert!(g[0] < 0.0 && g[2] > 0.0, "{g:?}");
    }
}
