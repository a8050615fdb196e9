//! Center loss (Wen et al. 2016) with learned class centres, without the softmax head it is
//! usually paired with. Alone, pulling embeddings to learned centres has a trivial minimum
//! (every centre and embedding at one point), so the centres are also pushed at least
//! `margin` apart: loss = pull + push, with
//! - pull = mean over the batch of d(z_i, c_{y_i}),
//! - push = mean over pairs of centres j < k of max(0, margin − ‖c_j − c_k‖)².

use burn::prelude::*;
use burn::tensor::{activation::relu, Int};

use super::distance::pairwise_euclidean;
use crate::config::DistanceKind;

/// Center loss terms.
pub struct CenterOutput {
    pub pull: Tensor<1>,
    pub push: Tensor<1>,
}

/// Center loss with a minimum distance between centres.
#[derive(Debug, Clone, Copy)]
pub struct CenterLoss {
    pub margin: f32,
    pub distance: DistanceKind,
}

impl CenterLoss {
    /// `embeddings: [batch, d]`, `centers: [classes, d]`.
    pub fn forward(
        &self,
        embeddings: Tensor<2>,
        labels: &[u8],
        centers: Tensor<2>,
    ) -> CenterOutput {
        let device = embeddings.device();
        let [classes, _] = centers.dims();
        let idx: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
        let own = centers.clone().select(
            0,
            Tensor::<1, Int>::from_data(TensorData::new(idx, [labels.len()]), &device),
        );
        let sq = (embeddings - own).powi_scalar(2).sum_dim(1); // [batch, 1]
        let pull = match self.distance {
            DistanceKind::SquaredEuclidean => sq.mean(),
            DistanceKind::Euclidean => sq.clamp_min(1e-12).sqrt().mean(),
        };
        let push = if classes < 2 {
            pull.clone().mul_scalar(0.0)
        } else {
            let upper: Vec<f32> = (0..classes)
                .flat_map(|j| (0..classes).map(move |k| (k > j) as u8 as f32))
                .collect();
            let upper = Tensor::<2>::from_data(TensorData::new(upper, [classes, classes]), &device);
            let gaps = relu(pairwise_euclidean(centers).neg() + self.margin).powi_scalar(2) * upper;
            gaps.sum().div_scalar((classes * (classes - 1) / 2) as f32)
        };
        CenterOutput { pull, push }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_example() {
        let device = crate::backend::cpu();
        let z = Tensor::<2>::from_floats([[1.0, 0.0], [0.0, 3.0]], &device);
        let c = Tensor::<2>::from_floats([[0.0, 0.0], [0.0, 1.0]], &device);
        let loss = CenterLoss {
            margin: 2.0,
            distance: DistanceKind::SquaredEuclidean,
        };
        let out = loss.forward(z.clone(), &[0, 1], c.clone());
        // pull: (1² + 2²) / 2 = 2.5; push: centres 1 apart, (2 − 1)² = 1 over one pair.
        assert!((out.pull.into_scalar::<f32>() - 2.5).abs() < 1e-5);
        assert!((out.push.into_scalar::<f32>() - 1.0).abs() < 1e-5);
        let euclid = CenterLoss {
            margin: 0.5,
            distance: DistanceKind::Euclidean,
        }
        .forward(z, &[0, 1], c);
        assert!((euclid.pull.into_scalar::<f32>() - 1.5).abs() < 1e-5); // (1 + 2) / 2
        assert!(euclid.push.into_scalar::<f32>().abs() < 1e-6); // centres already 1 ≥ 0.5 apart
    }
}
