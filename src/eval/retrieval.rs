//! Retrieval metrics of pytorch-metric-learning's `AccuracyCalculator`, leave-one-out over one
//! set of embeddings: every point queries all the others.
//!
//! For a query whose class has R other members, the R nearest others are retrieved:
//! - precision@1: the nearest other point has the query's class;
//! - R-precision: share of the R retrieved with the query's class;
//! - MAP@R: (1/R) Σ_{i ≤ R} P(i)·rel(i), where P(i) is the precision of the first i retrieved
//!   and rel(i) says whether the i-th has the query's class (Musgrave et al., 2020).
//!
//! Queries whose class has no other member (R = 0) count for precision@1 only. Equal distances
//! are broken by index (the earlier point first).

use serde::{Deserialize, Serialize};

use super::knn::Columns;

/// Mean retrieval scores over all queries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetrievalScores {
    pub precision_at_1: f64,
    pub r_precision: f64,
    pub map_at_r: f64,
}

/// Running sums over queries, so that a host can score a range at a time and yield between.
#[derive(Debug, Default, Clone)]
pub struct RetrievalSums {
    p1: f64,
    queries: usize,
    r_precision: f64,
    map_at_r: f64,
    r_queries: usize,
}

impl RetrievalScores {
    /// "P@1 0.9482, R-precision 0.9021, MAP@R 0.8805", as the CLI and the page show it.
    pub fn text(&self) -> String {
        format!(
            "P@1 {:.4}, R-precision {:.4}, MAP@R {:.4}",
            self.precision_at_1, self.r_precision, self.map_at_r
        )
    }
}

impl RetrievalSums {
    /// Means over the queries added so far.
    pub fn scores(&self) -> RetrievalScores {
        let mean = |s: f64, n: usize| if n == 0 { 0.0 } else { s / n as f64 };
        RetrievalScores {
            precision_at_1: mean(self.p1, self.queries),
            r_precision: mean(self.r_precision, self.r_queries),
            map_at_r: mean(self.map_at_r, self.r_queries),
        }
    }
}

/// Scores the queries `range` of `labels.len()` points of size `dim` against all others
/// (`columns`: [`Columns::all`] of the same `embeddings`, made once for all queries).
pub fn add_queries(
    sums: &mut RetrievalSums,
    columns: &Columns,
    embeddings: &[f32],
    dim: usize,
    labels: &[u8],
    range: std::ops::Range<usize>,
) {
    let n = labels.len();
    let mut class_size = [0usize; 256];
    labels.iter().for_each(|&l| class_size[l as usize] += 1);
    let point = |i: usize| &embeddings[i * dim..(i + 1) * dim];
    let mut distances = Vec::with_capacity(n);
    // Each other point as one sortable key: the distance's bits (a non-negative f32 orders as
    // its bits do) above its index, so that equal distances keep the earlier point first.
    let mut others: Vec<u64> = Vec::with_capacity(n);
    for q in range {
        columns.distances(point(q), &mut distances);
        others.clear();
        others.extend(
            distances
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != q)
                .map(|(j, &d)| (u64::from(d.to_bits()) << 32) | j as u64),
        );
        if others.is_empty() {
            continue;
        }
        let r = class_size[labels[q] as usize] - 1;
        let take = r.max(1);
        if take < others.len() {
            others.select_nth_unstable(take - 1);
            others.truncate(take);
        }
        others.sort_unstable();
        let relevant = |i: usize| labels[(others[i] & u64::from(u32::MAX)) as usize] == labels[q];
        sums.queries += 1;
        sums.p1 += relevant(0) as u8 as f64;
        if r == 0 {
            continue;
        }
        let (mut hits, mut ap) = (0usize, 0.0);
        for i in 0..r {
            if relevant(i) {
                hits += 1;
                ap += hits as f64 / (i + 1) as f64;
            }
        }
        sums.r_queries += 1;
        sums.r_precision += hits as f64 / r as f64;
        sums.map_at_r += ap / r as f64;
    }
}

/// All queries at once.
pub fn retrieval_scores(embeddings: &[f32], dim: usize, labels: &[u8]) -> RetrievalScores {
    let mut sums = RetrievalSums::default();
    let columns = Columns::all(embeddings, dim);
    add_queries(
        &mut sums,
        &columns,
        embeddings,
        dim,
        labels,
        0..labels.len(),
    );
    sums.scores()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_example() {
        // 1-D points: class 0 at 0, 1, 5; class 1 at 2, 6.
        let emb = [0.0, 1.0, 5.0, 2.0, 6.0];
        let labels = [0, 0, 0, 1, 1];
        // Query 0 (R=2): order 1(0), 2... distances 1:1, 3:2, 2:5, 4:6 → retrieved [1 ✓, 3 ✗]
        //   P@1 1, R-prec 1/2, AP (1/1)/2 = 0.5
        // Query 1 (R=2): 0:1, 3:1 (tie → index 0 first), 2:4, 4:5 → [0 ✓, 3 ✗]: 1, 1/2, 0.5
        // Query 2 (R=2): 4:1, 3:3, 1:4, 0:5 → [4 ✗, 3 ✗]: 0, 0, 0
        // Query 3 (R=1): 1:1, 0:2, 2:3, 4:4 → [1 ✗]: 0, 0, 0
        // Query 4 (R=1): 2:1 → [2 ✗]: 0, 0, 0
        let s = retrieval_scores(&emb, 1, &labels);
        assert!((s.precision_at_1 - 2.0 / 5.0).abs() < 1e-12, "{s:?}");
        assert!((s.r_precision - 1.0 / 5.0).abs() < 1e-12, "{s:?}");
        assert!((s.map_at_r - 1.0 / 5.0).abs() < 1e-12, "{s:?}");
    }

    #[test]
    fn map_at_r_rewards_early_hits() {
        // Query 0 (class 0, R=2): retrieved [1 ✗ (class 1), 2 ✓] → R-precision 1/2, AP (1/2)/2.
        let emb = [0.0, 1.0, 2.0, 10.0, 20.0, 30.0];
        let labels = [0, 1, 0, 0, 1, 1];
        let mut sums = RetrievalSums::default();
        add_queries(&mut sums, &Columns::all(&emb, 1), &emb, 1, &labels, 0..1);
        let s = sums.scores();
        assert_eq!(
            (s.precision_at_1, s.r_precision, s.map_at_r),
            (0.0, 0.5, 0.25)
        );
    }

    #[test]
    fn separated_clusters_score_one() {
        let emb: Vec<f32> = (0..60)
            .map(|i| (i / 20) as f32 * 100.0 + (i % 20) as f32)
            .collect();
        let labels: Vec<u8> = (0..60).map(|i| (i / 20) as u8).collect();
        let s = retrieval_scores(&emb, 1, &labels);
        assert_eq!(
            (s.precision_at_1, s.r_precision, s.map_at_r),
            (1.0, 1.0, 1.0)
        );
    }
}
