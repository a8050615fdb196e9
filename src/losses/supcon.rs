//! Supervised contrastive loss (Khosla et al. 2020, "SupCon", L_out form) — the paper's
//! "supervised loss".
//!
//! On L2-normalised embeddings with similarities `s_ij = z_i·z_j / τ`, each anchor `i` with at
//! least one positive costs `−1/|P(i)| Σ_{p∈P(i)} log( exp(s_ip) / Σ_{a≠i} exp(s_ia) )`; the loss
//! is the mean over such anchors.

use burn::prelude::*;

use super::distance::l2_normalize;
use super::kl::log_sum_exp;

/// SupCon with a temperature.
#[derive(Debug, Clone, Copy)]
pub struct SupConLoss {
    pub temperature: f32,
}

impl SupConLoss {
    /// `embeddings: [batch, d]`, one label per row; zero (without gradient) when no anchor has
    /// a positive.
    pub fn forward(&self, embeddings: Tensor<2>, labels: &[u8]) -> Tensor<1> {
        let device = embeddings.device();
        let batch = labels.len();
        let pos: Vec<f32> = (0..batch)
            .flat_map(|i| (0..batch).map(move |j| (i, j)))
            .map(|(i, j)| (i != j && labels[i] == labels[j]) as u8 as f32)
            .collect();
        let counts: Vec<f32> = pos.chunks(batch).map(|row| row.iter().sum()).collect();
        let anchors = counts.iter().filter(|&&c| c > 0.0).count();
        if anchors == 0 {
            return embeddings.sum().mul_scalar(0.0);
        }
        let z = l2_normalize(embeddings);
        let sim = z.clone().matmul(z.transpose()).div_scalar(self.temperature); // [batch, batch]
        let eye = Tensor::<2>::eye(batch, &device);
        let denominator = log_sum_exp(sim.clone() - eye * 1e9).unsqueeze_dim::<2>(1); // [batch, 1]
        let log_prob = sim - denominator;
        let pos = Tensor::<2>::from_data(TensorData::new(pos, [batch, batch]), &device);
        let inv_counts: Vec<f32> = counts
            .iter()
            .map(|&c| if c > 0.0 { 1.0 / c } else { 0.0 })
            .collect();
        let inv_counts = Tensor::<2>::from_data(TensorData::new(inv_counts, [batch, 1]), &device);
        let per_anchor = (log_prob * pos).sum_dim(1) * inv_counts; // [batch, 1]; 0 for anchors without positives
        per_anchor.sum().neg().div_scalar(anchors as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(points: &[[f32; 2]], labels: &[u8], t: f32) -> f32 {
        let device = crate::backend::cpu();
        let flat: Vec<f32> = points.iter().flatten().copied().collect();
        let x = Tensor::<2>::from_data(TensorData::new(flat, [points.len(), 2]), &device);
        SupConLoss { temperature: t }
            .forward(x, labels)
            .into_scalar()
    }

    fn brute_force(points: &[[f32; 2]], labels: &[u8], t: f32) -> f32 {
        let n = points.len();
        let z: Vec<[f32; 2]> = points
            .iter()
            .map(|p| {
                let norm = (p[0] * p[0] + p[1] * p[1]).sqrt();
                [p[0] / norm, p[1] / norm]
            })
            .collect();
        let s = |i: usize, j: usize| (z[i][0] * z[j][0] + z[i][1] * z[j][1]) / t;
        let (mut total, mut anchors) = (0.0, 0);
        for i in 0..n {
            let positives: Vec<usize> = (0..n)
                .filter(|&p| p != i && labels[p] == labels[i])
                .collect();
            if positives.is_empty() {
                continue;
            }
            let denom: f32 = (0..n).filter(|&a| a != i).map(|a| s(i, a).exp()).sum();
            total += -positives
                .iter()
                .map(|&p| (s(i, p).exp() / denom).ln())
                .sum::<f32>()
                / positives.len() as f32;
            anchors += 1;
        }
        total / anchors as f32
    }

    #[test]
    fn hand_computed_example() {
        // Unit vectors e1, e2 (class 0) and −e1 (class 1), τ = 1. Anchor 0: s01 = 0, s02 = −1, so
        // −log(e^0 / (e^0 + e^−1)) = log(1 + e^−1). Anchor 1: s10 = s12 = 0, so log 2. Anchor 2
        // has no positive. Mean over the two anchors.
        let loss = run(&[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], &[0, 0, 1], 1.0);
        let expected = ((1.0 + (-1.0f32).exp()).ln() + 2f32.ln()) / 2.0;
        assert!((loss - expected).abs() < 1e-5, "{loss} vs {expected}");
    }

    #[test]
    fn agrees_with_brute_force() {
        let points = [
            [0.1, 1.0],
            [0.5, 0.2],
            [1.0, 0.1],
            [0.2, 0.9],
            [1.5, 1.5],
            [-0.3, 0.3],
            [2.0, -1.0],
        ];
        let labels = [0, 1, 0, 2, 1, 2, 0];
        for t in [0.1, 0.5, 1.0] {
            let (got, want) = (run(&points, &labels, t), brute_force(&points, &labels, t));
            assert!(
                (got - want).abs() < 1e-3 * want.abs().max(1.0),
                "τ {t}: {got} vs {want}"
            );
        }
        assert_eq!(run(&[[1.0, 0.0], [0.0, 1.0]], &[0, 1], 0.1), 0.0);
    }
}
