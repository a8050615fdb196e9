//! Random-forest probe (smartcore): a forest fitted on (at most 4000 rows of) 4 folds predicts
//! the 5th, as in the paper.

use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};
use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::folds::rows;

/// Trees per forest. scikit-learn's default is 100; smartcore's split search scans every
/// sample at every node, so a tree costs ~40 ms on 8k points. 20 trees are within 0.1 points
/// of 30–50 on the synthetic 10-D data of `examples/probe_bench.rs` (: 0.9927 vs 0.9938) in 3.8 s instead
/// of 10 s for the 5 folds.
pub const TREES: u16 = 20;
/// Depth and leaf-size limits: on overlapping classes unlimited trees grow thousands of nodes,
/// each scanning all samples. On a real embedding (dml, 60 labels, lsdim 4: kNN 0.834) depth
/// 10 with 5 samples per leaf scores 0.838 in 3.1 s against 0.834 in 10.2 s unlimited.
pub const MAX_DEPTH: u16 = 10;
pub const MIN_SAMPLES_LEAF: usize = 5;
/// Training rows per forest: a fold's 8000 are cut to a seeded 4000 (as scikit-learn's
/// `max_samples = 0.5`), since smartcore scans every training row at every node. On a trained
/// embedding (dml, 10 % labels, one epoch: kNN .9746) the forest scores .9718 in 0.48 s against
/// .9722 in 1.15 s on all rows; on the synthetic data of `examples/probe_bench.rs`, .9905
/// against .9925 (noise 1.3) and .9679 against .9741 (noise 1.6, overlapping classes).
pub const MAX_TRAIN_ROWS: usize = 4000;

/// Fits a seeded forest on (`train`, `train_labels`) and predicts `test` (row-major, `dim`
/// columns).
pub fn fit_predict(
    train: &[f32],
    train_labels: &[u8],
    test: &[f32],
    dim: usize,
    seed: u64,
) -> Result<Vec<u8>, String> {
    let matrix = |values: &[f32]| {
        DenseMatrix::new(values.len() / dim.max(1), dim, values.to_vec(), false)
            .map_err(|e| format!("random forest input: {e}"))
    };
    let n = train_labels.len();
    let (train, train_labels) = if n > MAX_TRAIN_ROWS {
        let mut idx: Vec<usize> = (0..n).collect();
        idx.shuffle(&mut StdRng::seed_from_u64(seed));
        idx.truncate(MAX_TRAIN_ROWS);
        idx.sort_unstable();
        let labels = idx.iter().map(|&i| train_labels[i]).collect();
        (rows(train, dim, &idx), labels)
    } else {
        (train.to_vec(), train_labels.to_vec())
    };
    let x = matrix(&train)?;
    let y: Vec<u32> = train_labels.iter().map(|&l| l as u32).collect();
    let params = RandomForestClassifierParameters::default()
        .with_n_trees(TREES)
        .with_max_depth(MAX_DEPTH)
        .with_min_samples_leaf(MIN_SAMPLES_LEAF)
        .with_seed(seed);
    let forest =
        RandomForestClassifier::fit(&x, &y, params).map_err(|e| format!("random forest: {e}"))?;
    let pred: Vec<u32> = forest
        .predict(&matrix(test)?)
        .map_err(|e| format!("random forest: {e}"))?;
    Ok(pred.into_iter().map(|p| p as u8).collect())
}
