//! t-SNE of the embeddings to 2-D (the latent scatter's non-linear projection), by the
//! `bhtsne` crate's Barnes-Hut t-SNE, started from the PCA projection rather than at random
//! (with one thread, as in the page, the same embeddings give the same picture).

use bhtsne::tSNE;

use super::knn::squared_distance;
use super::pca::Projection2d;

/// Most points projected (the first ones): about 1.5 s natively on one core, a few seconds in
/// the page's worker.
pub const TSNE_POINTS: usize = 2000;
/// The effective number of neighbours each point keeps (scikit-learn's and openTSNE's default).
pub const TSNE_PERPLEXITY: f32 = 30.0;
/// Gradient iterations (the first 250 with early exaggeration).
pub const TSNE_ITERATIONS: usize = 500;
/// Barnes-Hut's accuracy/speed trade-off (0.5, as in the reference implementation).
const THETA: f32 = 0.5;

/// The 2-D t-SNE coordinates of `points` (`[n * dim]`, row-major); all of them, so the caller
/// takes the first [`TSNE_POINTS`]. Too few points, or a non-finite value, give an error
/// rather than the crate's panic.
pub fn tsne_2d(points: &[f32], dim: usize) -> Result<Vec<[f32; 2]>, String> {
    if dim == 0 || !points.len().is_multiple_of(dim) {
        return Err(format!(
            "{} values are not points of size {dim}",
            points.len()
        ));
    }
    let n = points.len() / dim;
    // The crate needs 3 × perplexity neighbours per point: fewer points, a smaller perplexity.
    let perplexity = TSNE_PERPLEXITY.min(((n.saturating_sub(1)) / 3) as f32);
    if perplexity < 2.0 {
        return Err(format!("t-SNE needs at least 7 points, got {n}"));
    }
    if points.iter().any(|v| !v.is_finite()) {
        return Err("the embeddings hold a non-finite value".into());
    }
    // PCA coordinates scaled to a standard deviation of 1e-4 (openTSNE's initialisation).
    let pca = Projection2d::fit(points, dim).apply_all(points);
    let spread = (pca.iter().map(|p| (p[0] as f64).powi(2)).sum::<f64>() / n as f64).sqrt();
    let scale = if spread > 0.0 { 1e-4 / spread } else { 1.0 };
    let init: Vec<f32> = pca
        .iter()
        .flat_map(|p| [(p[0] as f64 * scale) as f32, (p[1] as f64 * scale) as f32])
        .collect();
    let rows: Vec<&[f32]> = points.chunks_exact(dim).collect();
    let mut tsne: tSNE<f32, &[f32]> = tSNE::new(&rows);
    tsne.perplexity(perplexity)
        .epochs(TSNE_ITERATIONS)
        .initial_embedding(init)
        .barnes_hut(THETA, |a, b| squared_distance(a, b).sqrt());
    let flat = tsne.embedding();
    if flat.len() != 2 * n || flat.iter().any(|v| !v.is_finite()) {
        return Err("t-SNE did not converge on these embeddings (do many coincide?)".into());
    }
    Ok(flat.chunks_exact(2).map(|p| [p[0], p[1]]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tight, well-separated clusters in 5-D stay three clusters in 2-D: every point is
    /// nearer its own cluster's centre than any other's.
    #[test]
    fn separated_clusters_stay_separated() {
        let (n, dim) = (150, 5);
        let mut state = 7u64;
        let mut noise = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let points: Vec<f32> = (0..n)
            .flat_map(|i| (0..dim).map(move |j| (i, j)))
            .map(|(i, j)| if j == i % 3 { 10.0 } else { 0.0 } + 0.3 * noise())
            .collect();
        let y = tsne_2d(&points, dim).unwrap();
        assert_eq!(y.len(), n);
        let centre = |c: usize| {
            let members: Vec<&[f32; 2]> = y.iter().skip(c).step_by(3).collect();
            let m = members.len() as f32;
            [
                members.iter().map(|p| p[0]).sum::<f32>() / m,
                members.iter().map(|p| p[1]).sum::<f32>() / m,
            ]
        };
        let centres = [centre(0), centre(1), centre(2)];
        let d2 = |p: &[f32; 2], c: &[f32; 2]| (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
        for (i, p) in y.iter().enumerate() {
            let own = d2(p, &centres[i % 3]);
            for (c, centre) in centres.iter().enumerate().filter(|(c, _)| *c != i % 3) {
                assert!(
                    own < d2(p, centre),
                    "point {i} is nearer cluster {c} than its own"
                );
            }
        }
    }

    #[test]
    fn too_few_or_broken_points_are_an_error_not_a_panic() {
        assert!(tsne_2d(&[0.0; 12], 2).unwrap_err().contains("at least 7"));
        let mut points = vec![1.0; 40];
        points[3] = f32::NAN;
        assert!(tsne_2d(&points, 2).unwrap_err().contains("non-finite"));
        assert!(tsne_2d(&[1.0; 7], 2).is_err());
    }
}
