//! Clustering quality: k-means (smartcore, k-means++ initialisation, one seeded run as
//! scikit-learn's `n_init="auto"` does) with k = number of classes, scored by NMI and AMI of
//! the clusters against the true classes.

use serde::{Deserialize, Serialize};
use smartcore::cluster::kmeans::{KMeans, KMeansParameters};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::mutual_info::{adjusted_mutual_info, normalized_mutual_info};

/// Agreement of k-means clusters with the classes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClusterScores {
    pub nmi: f64,
    pub ami: f64,
}

impl ClusterScores {
    /// "NMI 0.8949, AMI 0.8947", as the CLI and the page show it.
    pub fn text(&self) -> String {
        format!("NMI {:.4}, AMI {:.4}", self.nmi, self.ami)
    }
}

/// Most Lloyd iterations (scikit-learn's default is 300; it converges much sooner here).
const MAX_ITER: usize = 100;

/// Cluster of each point (`k` ≥ 2 clusters).
pub fn kmeans(embeddings: &[f32], dim: usize, k: usize, seed: u64) -> Result<Vec<usize>, String> {
    let n = embeddings.len() / dim.max(1);
    let x = DenseMatrix::new(n, dim, embeddings.to_vec(), false)
        .map_err(|e| format!("k-means input: {e}"))?;
    let params = KMeansParameters::default()
        .with_k(k.max(2))
        .with_max_iter(MAX_ITER);
    let params = KMeansParameters {
        seed: Some(seed),
        ..params
    };
    let model: KMeans<f32, u32, DenseMatrix<f32>, Vec<u32>> =
        KMeans::fit(&x, params).map_err(|e| format!("k-means: {e}"))?;
    let clusters: Vec<u32> = model.predict(&x).map_err(|e| format!("k-means: {e}"))?;
    Ok(clusters.into_iter().map(|c| c as usize).collect())
}

/// NMI and AMI of k-means clusters (k = `num_classes`) against `labels`.
pub fn cluster_scores(
    embeddings: &[f32],
    dim: usize,
    labels: &[u8],
    num_classes: usize,
    seed: u64,
) -> Result<ClusterScores, String> {
    let clusters = kmeans(embeddings, dim, num_classes, seed)?;
    let truth: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
    Ok(ClusterScores {
        nmi: normalized_mutual_info(&truth, &clusters),
        ami: adjusted_mutual_info(&truth, &clusters),
    })
}
