//! Fold assignment for k-fold cross-validation over one set of embeddings (the paper's
//! protocol): every probe that cross-validates uses the same folds for the same seed.

use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

/// Fold of each of `n` points: a seeded shuffle cut into `folds` equal contiguous parts, as
/// scikit-learn's `KFold(shuffle=True)` does.
pub fn assign_folds(n: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let mut fold_of = vec![0; n];
    for (pos, &i) in order.iter().enumerate() {
        fold_of[i] = pos * folds / n.max(1);
    }
    fold_of
}

/// Indices of the points outside and inside fold `f`.
pub fn split(fold_of: &[usize], f: usize) -> (Vec<usize>, Vec<usize>) {
    (0..fold_of.len()).partition(|&i| fold_of[i] != f)
}

/// Predictions for the points of `fold` by a classifier fitted on all other folds:
/// `fit_predict(train, train_labels, test, seed)` with rows of size `dim` and the seed
/// `seed + fold`. Returns the fold's point indices and their predicted classes.
pub fn predict_fold(
    embeddings: &[f32],
    dim: usize,
    labels: &[u8],
    fold_of: &[usize],
    fold: usize,
    seed: u64,
    fit_predict: impl FnOnce(&[f32], &[u8], &[f32], u64) -> Result<Vec<u8>, String>,
) -> Result<(Vec<usize>, Vec<u8>), String> {
    let (train_idx, test_idx) = split(fold_of, fold);
    let train_labels: Vec<u8> = train_idx.iter().map(|&i| labels[i]).collect();
    let pred = fit_predict(
        &rows(embeddings, dim, &train_idx),
        &train_labels,
        &rows(embeddings, dim, &test_idx),
        seed.wrapping_add(fold as u64),
    )?;
    Ok((test_idx, pred))
}

/// Rows `idx` of a row-major `[n * dim]` matrix.
pub fn rows(points: &[f32], dim: usize, idx: &[usize]) -> Vec<f32> {
    idx.iter()
        .flat_map(|&i| points[i * dim..(i + 1) * dim].iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_balanced_seeded_and_cover_every_point() {
        let f = assign_folds(103, 5, 7);
        assert_eq!(f, assign_folds(103, 5, 7));
        assert_ne!(f, assign_folds(103, 5, 8));
        for k in 0..5 {
            let size = f.iter().filter(|&&x| x == k).count();
            assert!((20..=21).contains(&size), "{size}");
            let (outside, inside) = split(&f, k);
            assert_eq!(outside.len() + inside.len(), 103);
        }
        assert_eq!(
            rows(&[0., 1., 2., 3., 4., 5.], 2, &[2, 0]),
            vec![4., 5., 0., 1.]
        );
    }
}
