//! Triplet margin loss with online mining: batch-all, batch-hard or semi-hard.
//!
//! A triplet (anchor `a`, positive `p` with the same label, negative `n` with another) costs
//! `max(0, d(a,p) − d(a,n) + margin)`.
//! - **batch-all** (the default; Hermans et al. 2017): every valid triplet; the loss is the mean
//!   over the triplets that cost more than zero. With a random initial encoder and small label
//!   budgets semi-hard mining often finds no triplet in early batches (every negative is closer
//!   than the positive) while batch-all always has a gradient, and averaging over the active
//!   triplets keeps the gradient from fading as most triplets get satisfied.
//! - **batch-hard**: per anchor, the farthest positive and the closest negative.
//! - **semi-hard** (Schroff et al. 2015, as TensorFlow Addons): per (anchor, positive), the
//!   closest negative farther than the positive; if none is, the farthest negative.
//!
//! Labels are bytes on the host, so pairs and masks are built there and the device works on
//! `[pairs, batch]` or `[batch, batch]`, never on the `[batch, batch, batch]` cube.

use burn::prelude::*;
use burn::tensor::{activation::relu, Int};

use super::distance::pairwise;
use crate::config::{DistanceKind, Miner};

/// Large distance used to mask entries out of a `min`.
const FAR: f32 = 1e9;

/// The loss (one element, differentiable) and the share of mined triplets still active.
pub struct TripletOutput {
    pub loss: Tensor<1>,
    pub active_fraction: Tensor<1>,
}

/// Triplet margin loss with a miner.
#[derive(Debug, Clone, Copy)]
pub struct TripletLoss {
    pub margin: f32,
    pub miner: Miner,
    pub distance: DistanceKind,
}

impl TripletLoss {
    /// Batch-all on Euclidean distances with the given margin.
    pub fn batch_all(margin: f32) -> Self {
        Self {
            margin,
            miner: Miner::BatchAll,
            distance: DistanceKind::Euclidean,
        }
    }

    /// `embeddings: [batch, d]`, `labels`: one class per row. With no valid triplet (fewer than
    /// two classes, or no class with two images) the loss is zero and carries no gradient.
    pub fn forward(&self, embeddings: Tensor<2>, labels: &[u8]) -> TripletOutput {
        let pairs = PositivePairs::of(labels);
        let has_negative = labels.iter().any(|&l| l != labels[0]);
        if pairs.anchors.is_empty() || !has_negative {
            let zero = embeddings.sum().mul_scalar(0.0);
            return TripletOutput {
                loss: zero.clone(),
                active_fraction: zero.detach(),
            };
        }
        let dist = pairwise(embeddings, self.distance); // [batch, batch]
        match self.miner {
            Miner::BatchAll => self.batch_all_loss(dist, labels, &pairs),
            Miner::BatchHard => self.batch_hard_loss(dist, labels),
            Miner::SemiHard => self.semi_hard_loss(dist, labels, &pairs),
        }
    }

    /// Per anchor, the farthest positive against the closest negative, averaged over the
    /// anchors that have both.
    fn batch_hard_loss(&self, dist: Tensor<2>, labels: &[u8]) -> TripletOutput {
        let device = dist.device();
        let batch = labels.len();
        let host = |values: Vec<f32>, shape: [usize; 2]| {
            Tensor::<2>::from_data(TensorData::new(values, shape), &device)
        };
        let pos = host(
            mask(labels, labels, |a, b, i, j| a == b && i != j),
            [batch, batch],
        );
        let neg = host(mask(labels, labels, |a, b, _, _| a != b), [batch, batch]);
        let valid: Vec<f32> = (0..batch)
            .map(|a| {
                let has_pos = (0..batch).any(|p| p != a && labels[p] == labels[a]);
                let has_neg = (0..batch).any(|n| labels[n] != labels[a]);
                (has_pos && has_neg) as u8 as f32
            })
            .collect();
        let valid = host(valid, [batch, 1]);
        let hardest_pos = (dist.clone() * pos).max_dim(1); // [batch, 1]
        let hardest_neg = (dist + (neg.neg() + 1.0) * FAR).min_dim(1); // [batch, 1]
        let costs = relu(hardest_pos - hardest_neg + self.margin) * valid.clone();
        let active = costs.clone().detach().greater_elem(1e-16).float().sum();
        let count = valid.sum().clamp_min(1.0);
        TripletOutput {
            loss: costs.sum() / count.clone(),
            active_fraction: active / count,
        }
    }

    /// Every valid (anchor, positive, negative) triple, averaged over the active ones. Laid out
    /// `[pairs, batch]` (each anchor-positive pair against every image) with same-class columns
    /// pushed below zero before the hinge, so that no mask multiplies the big tensor forward
    /// or backward, and the class mask is built on the device.
    fn batch_all_loss(&self, dist: Tensor<2>, labels: &[u8], ap: &PositivePairs) -> TripletOutput {
        let batch = labels.len();
        let (d_ap, d_an, anchor_idx) = pair_distances(dist, ap);
        let same_class = same_class(labels, anchor_idx);
        let costs = relu(
            (d_ap - d_an)
                .mask_fill(same_class, -FAR)
                .add_scalar(self.margin),
        );
        let active = costs.clone().detach().greater_elem(1e-16).float().sum();
        // Valid triples: each pair's anchor against every image of another class.
        let mut class_size = [0usize; 256];
        labels.iter().for_each(|&l| class_size[l as usize] += 1);
        let valid: usize = ap
            .anchors
            .iter()
            .map(|&a| batch - class_size[labels[a as usize] as usize])
            .sum();
        TripletOutput {
            loss: costs.sum() / active.clone().clamp_min(1.0),
            active_fraction: active.div_scalar(valid.max(1) as f64),
        }
    }

    /// Semi-hard: per anchor-positive pair, the closest negative farther than the positive,
    /// or the farthest negative where none is. The choice needs no gradient, so it is made on
    /// the detached `[pairs, batch]` distances, and only the `pairs` chosen distances join the
    /// graph (the backward pass never sees the big tensor).
    fn semi_hard_loss(&self, dist: Tensor<2>, labels: &[u8], ap: &PositivePairs) -> TripletOutput {
        let (batch, pairs) = (labels.len(), ap.anchors.len());
        let (d_ap, d_an, anchor_idx) = pair_distances(dist.clone(), ap);
        // Same-class columns at −FAR: never farther than the positive, never the farthest.
        let d_neg = d_an
            .detach()
            .mask_fill(same_class(labels, anchor_idx.clone()), -FAR);
        let not_farther = d_neg
            .clone()
            .lower_equal(d_ap.clone().detach().expand([pairs, batch]));
        let (closest, closest_farther) = d_neg
            .clone()
            .mask_fill(not_farther, FAR)
            .min_dim_with_indices(1); // [pairs, 1]
        let farthest = d_neg.argmax(1);
        let chosen = farthest
            .mask_where(closest.lower_elem(FAR), closest_farther)
            .reshape([pairs]);
        let flat_an = anchor_idx.mul_scalar(batch as i64) + chosen;
        let d_chosen = dist.reshape([batch * batch]).select(0, flat_an);
        let costs = relu(d_ap.reshape([pairs]) - d_chosen + self.margin);
        let active = costs.clone().detach().greater_elem(1e-16).float().sum();
        TripletOutput {
            loss: costs.sum().div_scalar(pairs as f64),
            active_fraction: active.div_scalar(pairs as f64),
        }
    }
}

/// For each anchor-positive pair: its distance `[pairs, 1]`, the anchor's distances to every
/// image `[pairs, batch]`, and the anchors' indices `[pairs]` (gathered on the device).
fn pair_distances(dist: Tensor<2>, ap: &PositivePairs) -> (Tensor<2>, Tensor<2>, Tensor<1, Int>) {
    let PositivePairs { anchors, positives } = ap;
    let device = dist.device();
    let [batch, _] = dist.dims();
    let pairs = anchors.len();
    let int =
        |values: Vec<i64>| Tensor::<1, Int>::from_data(TensorData::new(values, [pairs]), &device);
    let flat_ap = anchors
        .iter()
        .zip(positives)
        .map(|(a, p)| a * batch as i64 + p)
        .collect();
    let d_ap = dist
        .clone()
        .reshape([batch * batch])
        .select(0, int(flat_ap))
        .reshape([pairs, 1]);
    let anchor_idx = int(anchors.to_vec());
    let d_an = dist.select(0, anchor_idx.clone());
    (d_ap, d_an, anchor_idx)
}

/// `[pairs, batch]`: whether image `j` has the class of pair `i`'s anchor (built on the device
/// from the labels, so no host mask of that size is uploaded).
fn same_class(labels: &[u8], anchor_idx: Tensor<1, Int>) -> Tensor<2, Bool> {
    let device = anchor_idx.device();
    let (batch, pairs) = (labels.len(), anchor_idx.dims()[0]);
    let labels_i64: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    let label_t = Tensor::<1, Int>::from_data(TensorData::new(labels_i64, [batch]), &device);
    label_t
        .clone()
        .select(0, anchor_idx)
        .reshape([pairs, 1])
        .expand([pairs, batch])
        .equal(label_t.reshape([1, batch]).expand([pairs, batch]))
}

/// `mask[i][j] = f(rows[i], cols[j], i, j)` as a flat row-major `Vec<f32>` of 0/1.
fn mask(rows: &[u8], cols: &[u8], f: impl Fn(u8, u8, usize, usize) -> bool) -> Vec<f32> {
    rows.iter()
        .enumerate()
        .flat_map(|(i, &a)| cols.iter().enumerate().map(move |(j, &b)| (i, j, a, b)))
        .map(|(i, j, a, b)| f(a, b, i, j) as u8 as f32)
        .collect()
}

/// All ordered pairs `(a, p)` with `a != p` and the same label, as two parallel lists of
/// batch indices (the device gathers with them).
struct PositivePairs {
    anchors: Vec<i64>,
    positives: Vec<i64>,
}

impl PositivePairs {
    fn of(labels: &[u8]) -> Self {
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
        Self { anchors, positives }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(loss: TripletLoss, points: &[[f32; 2]], labels: &[u8]) -> (f32, f32) {
        let device = crate::backend::cpu();
        let flat: Vec<f32> = points.iter().flatten().copied().collect();
        let x = Tensor::<2>::from_data(TensorData::new(flat, [points.len(), 2]), &device);
        let out = loss.forward(x, labels);
        (out.loss.into_scalar(), out.active_fraction.into_scalar())
    }

    fn d(points: &[[f32; 2]], i: usize, j: usize) -> f32 {
        ((points[i][0] - points[j][0]).powi(2) + (points[i][1] - points[j][1]).powi(2)).sqrt()
    }

    /// Brute force over all (a, p, n) triples, as each miner's definition reads.
    fn brute_force(miner: Miner, points: &[[f32; 2]], labels: &[u8], margin: f32) -> f32 {
        let n = points.len();
        let cost = |a, p, neg| (d(points, a, p) - d(points, a, neg) + margin).max(0.0);
        let pos = |a: usize| (0..n).filter(move |&p| p != a && labels[p] == labels[a]);
        let negs = |a: usize| (0..n).filter(move |&x| labels[x] != labels[a]);
        let mut costs = Vec::new();
        for a in 0..n {
            match miner {
                Miner::BatchAll => {
                    for p in pos(a) {
                        costs.extend(negs(a).map(|x| cost(a, p, x)).filter(|&c| c > 0.0));
                    }
                }
                Miner::BatchHard => {
                    let hp = pos(a).map(|p| d(points, a, p)).fold(f32::NAN, f32::max);
                    let hn = negs(a).map(|x| d(points, a, x)).fold(f32::NAN, f32::min);
                    if !hp.is_nan() && !hn.is_nan() {
                        costs.push((hp - hn + margin).max(0.0));
                    }
                }
                Miner::SemiHard => {
                    for p in pos(a) {
                        let dap = d(points, a, p);
                        let farther = negs(a)
                            .map(|x| d(points, a, x))
                            .filter(|&dn| dn > dap)
                            .fold(f32::NAN, f32::min);
                        let dn = if farther.is_nan() {
                            negs(a).map(|x| d(points, a, x)).fold(f32::NAN, f32::max)
                        } else {
                            farther
                        };
                        costs.push((dap - dn + margin).max(0.0));
                    }
                }
            }
        }
        if costs.is_empty() {
            0.0
        } else {
            costs.iter().sum::<f32>() / costs.len() as f32
        }
    }

    const POINTS: [[f32; 2]; 7] = [
        [0.0, 0.0],
        [0.5, 0.2],
        [1.0, 0.1],
        [0.2, 0.9],
        [1.5, 1.5],
        [0.3, 0.3],
        [2.0, 0.0],
    ];
    const LABELS: [u8; 7] = [0, 1, 0, 2, 1, 2, 0];

    #[test]
    fn hand_computed_example() {
        // Points 0,1 are class 0 at distance 2; point 2 (class 1) is 1 away from both.
        // Triplets (0,1,2) and (1,0,2) each cost 2 − 1 + 1 = 2, so every miner gives 2.
        for miner in [Miner::BatchAll, Miner::BatchHard, Miner::SemiHard] {
            let loss = TripletLoss {
                miner,
                ..TripletLoss::batch_all(1.0)
            };
            let (value, active) = run(loss, &[[0.0, 0.0], [2.0, 0.0], [1.0, 0.0]], &[0, 0, 1]);
            assert!((value - 2.0).abs() < 1e-5, "{miner:?}: {value}");
            assert!((active - 1.0).abs() < 1e-6);
        }
        // Well separated classes: every triplet satisfied, loss 0.
        let (loss, active) = run(
            TripletLoss::batch_all(1.0),
            &[[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.1, 0.0]],
            &[0, 0, 1, 1],
        );
        assert_eq!((loss, active), (0.0, 0.0));
        // Semi-hard with squared distances: d²(a,p) = 4, negative at d² = 1 → 4 − 1 + 0.5.
        let loss = TripletLoss {
            miner: Miner::SemiHard,
            distance: DistanceKind::SquaredEuclidean,
            margin: 0.5,
        };
        let (value, _) = run(loss, &[[0.0, 0.0], [2.0, 0.0], [1.0, 0.0]], &[0, 0, 1]);
        assert!((value - 3.5).abs() < 1e-5, "{value}");
    }

    #[test]
    fn every_miner_agrees_with_brute_force_on_a_mixed_batch() {
        for miner in [Miner::BatchAll, Miner::BatchHard, Miner::SemiHard] {
            for margin in [0.1, 0.5, 1.0] {
                let (loss, _) = run(
                    TripletLoss {
                        miner,
                        ..TripletLoss::batch_all(margin)
                    },
                    &POINTS,
                    &LABELS,
                );
                let expected = brute_force(miner, &POINTS, &LABELS, margin);
                assert!(
                    (loss - expected).abs() < 1e-4,
                    "{miner:?} margin {margin}: {loss} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn no_valid_triplet_means_zero_loss() {
        assert_eq!(
            run(
                TripletLoss::batch_all(1.0),
                &[[0.0, 0.0], [1.0, 0.0]],
                &[0, 1]
            )
            .0,
            0.0
        );
        assert_eq!(
            run(
                TripletLoss::batch_all(1.0),
                &[[0.0, 0.0], [1.0, 0.0]],
                &[3, 3]
            )
            .0,
            0.0
        );
    }

    /// Semi-hard chooses its negatives without a gradient: the gradient must still be that of
    /// the mean hinge over the chosen (anchor, positive, negative) triplets, here written out
    /// one triplet at a time with the negative chosen on the host.
    #[test]
    fn semi_hard_gradient_is_that_of_the_chosen_triplets() {
        let device = crate::backend::cpu().autodiff();
        let flat: Vec<f32> = POINTS.iter().flatten().copied().collect();
        let leaf = || {
            Tensor::<2>::from_data(TensorData::new(flat.clone(), [POINTS.len(), 2]), &device)
                .require_grad()
        };
        let margin = 0.5;
        let x = leaf();
        let loss = TripletLoss {
            miner: Miner::SemiHard,
            ..TripletLoss::batch_all(margin)
        };
        let got = x
            .grad(&loss.forward(x.clone(), &LABELS).loss.backward())
            .unwrap();
        let y = leaf();
        let PositivePairs { anchors, positives } = PositivePairs::of(&LABELS);
        let dist = |a: usize, b: usize| {
            let diff = y.clone().narrow(0, a, 1) - y.clone().narrow(0, b, 1);
            diff.powf_scalar(2.0).sum().sqrt()
        };
        let negs = |a: usize| (0..POINTS.len()).filter(move |&n| LABELS[n] != LABELS[a]);
        let terms: Vec<Tensor<1>> = anchors
            .iter()
            .zip(&positives)
            .map(|(&a, &p)| {
                let (a, p) = (a as usize, p as usize);
                let dap = d(&POINTS, a, p);
                let by = |x: &usize, y: &usize| d(&POINTS, a, *x).total_cmp(&d(&POINTS, a, *y));
                let n = negs(a)
                    .filter(|&n| d(&POINTS, a, n) > dap)
                    .min_by(by)
                    .or_else(|| negs(a).max_by(by))
                    .unwrap();
                relu(dist(a, p) - dist(a, n) + margin)
            })
            .collect();
        let count = terms.len() as f64;
        let want = y
            .grad(&Tensor::cat(terms, 0).sum().div_scalar(count).backward())
            .unwrap();
        let (got, want): (Vec<f32>, Vec<f32>) = (
            got.into_data().try_to_vec().unwrap(),
            want.into_data().try_to_vec().unwrap(),
        );
        assert!(want.iter().any(|g| g.abs() > 1e-3), "{want:?}");
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn gradient_pulls_positives_together() {
        let device = crate::backend::cpu().autodiff();
        let x =
            Tensor::<2>::from_floats([[0.0, 0.0], [2.0, 0.0], [1.0, 0.0]], &device).require_grad();
        let out = TripletLoss::batch_all(1.0).forward(x.clone(), &[0, 0, 1]);
        let grads = out.loss.backward();
        let g: Vec<f32> = x.grad(&grads).unwrap().into_data().try_to_vec().unwrap();
        // Anchor 0 moves towards its positive (+x), anchor 1 towards its positive (−x).
        assert!(g[0] < 0.0 && g[2] > 0.0, "{g:?}");
    }
}
