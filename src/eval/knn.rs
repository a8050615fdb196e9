//! k-nearest-neighbour probe with k-fold cross-validation over one set of embeddings (the
//! paper's protocol): every point is predicted by the points outside its fold.

use std::ops::Range;

use wide::f32x8;

use super::folds::assign_folds;

/// Cross-validated kNN over `n` embeddings of size `dim`.
pub struct CrossValKnn<'a> {
    embeddings: &'a [f32],
    dim: usize,
    labels: &'a [u8],
    num_classes: usize,
    k: usize,
    fold_of: Vec<usize>,
    /// For each fold, the points outside it (ascending index) and their labels.
    outside: Vec<(Columns, Vec<u8>)>,
}

impl<'a> CrossValKnn<'a> {
    /// Cross-validates over `folds` folds of [`assign_folds`].
    pub fn new(
        embeddings: &'a [f32],
        dim: usize,
        labels: &'a [u8],
        num_classes: usize,
        k: usize,
        folds: usize,
        seed: u64,
    ) -> Self {
        let n = labels.len();
        assert_eq!(embeddings.len(), n * dim, "embeddings and labels disagree");
        let fold_of = assign_folds(n, folds, seed);
        let outside = (0..folds)
            .map(|f| {
                let idx: Vec<usize> = (0..n).filter(|&j| fold_of[j] != f).collect();
                let labels = idx.iter().map(|&j| labels[j]).collect();
                (Columns::of(embeddings, dim, &idx), labels)
            })
            .collect();
        Self {
            embeddings,
            dim,
            labels,
            num_classes,
            k,
            fold_of,
            outside,
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there is no point.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    fn point(&self, i: usize) -> &[f32] {
        &self.embeddings[i * self.dim..(i + 1) * self.dim]
    }

    /// Predicted classes of the points in `range`: the majority label of the `k` nearest
    /// (squared Euclidean) points of other folds; ties go to the smallest class, as in
    /// scikit-learn.
    pub fn predict(&self, range: Range<usize>) -> Vec<u8> {
        let mut best = Nearest::new(self.k);
        let mut distances = Vec::new();
        range
            .map(|q| {
                best.clear();
                let (refs, ref_labels) = &self.outside[self.fold_of[q]];
                refs.distances(self.point(q), &mut distances);
                for (&d, &label) in distances.iter().zip(ref_labels) {
                    best.offer(d, label);
                }
                best.vote(self.num_classes)
            })
            .collect()
    }
}

/// Points stored dimension by dimension (`coords[k * n + j]`), so that the distances from one
/// query to all of them are loops the compiler vectorises (SIMD128 in the page). Each distance
/// adds its squared differences in dimension order, as [`squared_distance`] does, so the values
/// are the same to the bit.
pub struct Columns {
    n: usize,
    coords: Vec<f32>,
}

impl Columns {
    /// The points `idx` of row-major `embeddings` (size `dim` each), in that order.
    pub fn of(embeddings: &[f32], dim: usize, idx: &[usize]) -> Self {
        let n = idx.len();
        let mut coords = vec![0.0; n * dim];
        for (j, &i) in idx.iter().enumerate() {
            for k in 0..dim {
                coords[k * n + j] = embeddings[i * dim + k];
            }
        }
        Self { n, coords }
    }

    /// All the points of row-major `embeddings` (size `dim` each).
    pub fn all(embeddings: &[f32], dim: usize) -> Self {
        let idx: Vec<usize> = (0..embeddings.len() / dim.max(1)).collect();
        Self::of(embeddings, dim, &idx)
    }

    /// Squared Euclidean distances from `query` to every point, into `out`.
    pub fn distances(&self, query: &[f32], out: &mut Vec<f32>) {
        /// Points per block, one `f32x8` each: explicit SIMD, so that the page's size-optimised
        /// build (opt-level "s", which vectorises no loop) runs it as fast as a native one.
        const LANES: usize = 8;
        out.clear();
        out.resize(self.n, 0.0);
        let whole = self.n - self.n % LANES;
        for (k, &x) in query.iter().enumerate() {
            let column = &self.coords[k * self.n..(k + 1) * self.n];
            let xs = f32x8::splat(x);
            for (o, y) in out[..whole]
                .chunks_exact_mut(LANES)
                .zip(column.chunks_exact(LANES))
            {
                let o: &mut [f32; LANES] = o.try_into().expect("a block");
                let y: &[f32; LANES] = y.try_into().expect("a block");
                let d = xs - f32x8::from(*y);
                *o = (f32x8::from(*o) + d * d).to_array();
            }
            for (o, &y) in out[whole..].iter_mut().zip(&column[whole..]) {
                *o += (x - y) * (x - y);
            }
        }
    }
}

/// kNN fitted on one set (`refs`, [`Columns::all`] of the reference embeddings, and
/// `ref_labels`) predicting another (`queries`): the few-label probe, where only the labelled
/// training images are known.
pub fn predict_from(
    refs: &Columns,
    ref_labels: &[u8],
    queries: &[f32],
    dim: usize,
    num_classes: usize,
    k: usize,
) -> Vec<u8> {
    let mut best = Nearest::new(k.min(ref_labels.len()).max(1));
    let mut distances = Vec::new();
    queries
        .chunks_exact(dim)
        .map(|query| {
            best.clear();
            refs.distances(query, &mut distances);
            for (&d, &label) in distances.iter().zip(ref_labels) {
                best.offer(d, label);
            }
            best.vote(num_classes)
        })
        .collect()
}

/// Squared Euclidean distance.
pub fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The `k` closest labels seen so far, nearest first (a stable insertion: of equal distances
/// the earlier point wins, as in a stable sort).
struct Nearest {
    k: usize,
    best: Vec<(f32, u8)>,
}

impl Nearest {
    fn new(k: usize) -> Self {
        Self {
            k,
            best: Vec::with_capacity(k + 1),
        }
    }

    fn clear(&mut self) {
        self.best.clear();
    }

    fn offer(&mut self, d: f32, label: u8) {
        if self.best.len() < self.k || d < self.best[self.best.len() - 1].0 {
            let at = self.best.partition_point(|&(bd, _)| bd <= d);
            self.best.insert(at, (d, label));
            self.best.truncate(self.k);
        }
    }

    /// Majority label; ties go to the smallest class, as in scikit-learn.
    fn vote(&self, num_classes: usize) -> u8 {
        let mut votes = vec![0usize; num_classes];
        self.best.iter().for_each(|&(_, l)| votes[l as usize] += 1);
        let top = votes.iter().copied().max().unwrap_or(0);
        votes.iter().position(|&v| v == top).unwrap_or(0) as u8
    }
}

/// Share of equal entries.
pub fn accuracy(truth: &[u8], pred: &[u8]) -> f64 {
    let hits = truth.iter().zip(pred).filter(|(a, b)| a == b).count();
    hits as f64 / truth.len().max(1) as f64
}

/// Counts of (true class, predicted class): `matrix[t][p]`, `classes` × `classes` (labels at
/// or above `classes` are left out).
pub fn confusion(truth: &[u8], pred: &[u8], classes: usize) -> Vec<Vec<u32>> {
    let mut matrix = vec![vec![0u32; classes]; classes];
    for (&t, &p) in truth.iter().zip(pred) {
        if let Some(cell) = matrix
            .get_mut(t as usize)
            .and_then(|row| row.get_mut(p as usize))
        {
            *cell += 1;
        }
    }
    matrix
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows are the true classes, columns the predictions; the diagonal holds the hits.
    #[test]
    fn confusion_counts_true_rows_and_predicted_columns() {
        let m = confusion(&[0, 0, 1, 2, 2, 2], &[0, 1, 1, 2, 0, 2], 3);
        assert_eq!(m, vec![vec![1, 1, 0], vec![0, 1, 0], vec![1, 0, 2]]);
        let hits: u32 = (0..3).map(|i| m[i][i]).sum();
        assert_eq!(
            hits as f64 / 6.0,
            accuracy(&[0, 0, 1, 2, 2, 2], &[0, 1, 1, 2, 0, 2])
        );
    }

    /// Points on a line: class c sits around 10·c.
    fn clusters(n_per: usize, classes: usize) -> (Vec<f32>, Vec<u8>) {
        let mut emb = Vec::new();
        let mut labels = Vec::new();
        for c in 0..classes {
            for i in 0..n_per {
                emb.push(10.0 * c as f32 + i as f32 * 0.01);
                labels.push(c as u8);
            }
        }
        (emb, labels)
    }

    #[test]
    fn columns_give_the_same_distances_to_the_bit() {
        let dim = 7;
        let emb: Vec<f32> = (0..40 * dim)
            .map(|i| ((i * 37 % 101) as f32).sin() * 3.1)
            .collect();
        let idx: Vec<usize> = (0..40).filter(|j| j % 3 != 1).collect();
        let columns = Columns::of(&emb, dim, &idx);
        let mut out = Vec::new();
        for q in [0, 5, 39] {
            let query = &emb[q * dim..(q + 1) * dim];
            columns.distances(query, &mut out);
            let direct: Vec<f32> = idx
                .iter()
                .map(|&j| squared_distance(query, &emb[j * dim..(j + 1) * dim]))
                .collect();
            assert_eq!(out, direct);
        }
    }

    #[test]
    fn separated_clusters_are_predicted_perfectly() {
        let (emb, labels) = clusters(30, 4);
        let knn = CrossValKnn::new(&emb, 1, &labels, 4, 5, 5, 0);
        assert_eq!(accuracy(&labels, &knn.predict(0..labels.len())), 1.0);
    }

    #[test]
    fn random_labels_give_chance() {
        let emb: Vec<f32> = (0..2000).map(|i| ((i * 7919) % 2000) as f32).collect();
        let labels: Vec<u8> = (0..2000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8 % 10)
            .collect();
        let knn = CrossValKnn::new(&emb, 1, &labels, 10, 5, 5, 0);
        let acc = accuracy(&labels, &knn.predict(0..2000));
        assert!(acc < 0.2, "{acc}");
    }

    #[test]
    fn a_point_never_votes_for_itself_and_ties_go_to_the_smallest_class() {
        // Each point shares its position with a point of the other label in the other fold:
        // with k = 1 every prediction is that twin's label, never the point's own.
        let emb = [0.0, 0.0, 5.0, 5.0];
        let labels = [1, 0, 0, 1];
        let knn = CrossValKnn::new(&emb, 1, &labels, 2, 1, 2, 3);
        let knn = CrossValKnn {
            fold_of: vec![0, 1, 0, 1],
            ..knn
        };
        assert_eq!(knn.predict(0..4), vec![0, 1, 1, 0]);
        // With k = 2, point 0 sees one neighbour of each class: the tie goes to class 0.
        let labels = [1, 1, 0, 0];
        let tie = CrossValKnn {
            fold_of: vec![0, 1, 1, 0],
            labels: &labels,
            k: 2,
            ..knn
        };
        assert_eq!(tie.predict(0..1), vec![0]);
    }

    #[test]
    fn few_label_knn_predicts_queries_from_the_references_only() {
        let refs = [0.0, 10.0, 20.0];
        let ref_labels = [2, 0, 1];
        let refs = Columns::all(&refs, 1);
        let queries = [1.0, 9.0, 19.5, 100.0];
        // k larger than the references: capped at 3, then majority (a 3-way tie → class 0).
        assert_eq!(
            predict_from(&refs, &ref_labels, &queries, 1, 3, 1),
            vec![2, 0, 1, 1]
        );
        assert_eq!(
            predict_from(&refs, &ref_labels, &queries, 1, 3, 5),
            vec![0; 4]
        );
    }
}
