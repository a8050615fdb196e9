//! Principal-component projection to 2-D for the latent scatter.

/// A fitted projection to 2-D: the mean and the two leading principal axes of a point cloud
/// (identity on the first two coordinates when `dim <= 2`).
#[derive(Debug, Clone, PartialEq)]
pub struct Projection2d {
    dim: usize,
    /// `None` for `dim <= 2`: coordinates are kept (the second is zero when `dim == 1`).
    pca: Option<(Vec<f64>, [Vec<f64>; 2])>,
}

impl Projection2d {
    /// Fits on `n` points of size `dim` (power iteration with deflation on the covariance).
    pub fn fit(points: &[f32], dim: usize) -> Self {
        if dim <= 2 {
            return Self { dim, pca: None };
        }
        let n = points.len() / dim;
        let row = |i: usize| &points[i * dim..(i + 1) * dim];
        let mut mean = vec![0.0f64; dim];
        for i in 0..n {
            row(i)
                .iter()
                .zip(&mut mean)
                .for_each(|(&x, m)| *m += x as f64 / n as f64);
        }
        let mut cov = vec![0.0f64; dim * dim];
        for i in 0..n {
            let c: Vec<f64> = row(i)
                .iter()
                .zip(&mean)
                .map(|(&x, m)| x as f64 - m)
                .collect();
            for a in 0..dim {
                for b in 0..dim {
                    cov[a * dim + b] += c[a] * c[b];
                }
            }
        }
        let first = leading_eigenvector(&cov, dim);
        let lambda = rayleigh(&cov, dim, &first);
        for a in 0..dim {
            for b in 0..dim {
                cov[a * dim + b] -= lambda * first[a] * first[b];
            }
        }
        let second = leading_eigenvector(&cov, dim);
        Self {
            dim,
            pca: Some((mean, [first, second])),
        }
    }

    /// The 2-D coordinates of one point of size `dim`.
    pub fn apply(&self, point: &[f32]) -> [f32; 2] {
        match &self.pca {
            None => [point[0], if self.dim == 2 { point[1] } else { 0.0 }],
            Some((mean, axes)) => {
                let dot = |v: &[f64]| {
                    point
                        .iter()
                        .zip(mean)
                        .zip(v)
                        .map(|((&x, m), a)| (x as f64 - m) * a)
                        .sum::<f64>() as f32
                };
                [dot(&axes[0]), dot(&axes[1])]
            }
        }
    }

    /// The 2-D coordinates of `n` points of size `dim`.
    pub fn apply_all(&self, points: &[f32]) -> Vec<[f32; 2]> {
        if self.dim == 0 {
            return Vec::new();
        }
        points
            .chunks_exact(self.dim)
            .map(|p| self.apply(p))
            .collect()
    }
}

fn mat_vec(m: &[f64], dim: usize, v: &[f64]) -> Vec<f64> {
    (0..dim)
        .map(|a| (0..dim).map(|b| m[a * dim + b] * v[b]).sum())
        .collect()
}

fn rayleigh(m: &[f64], dim: usize, v: &[f64]) -> f64 {
    mat_vec(m, dim, v).iter().zip(v).map(|(a, b)| a * b).sum()
}

fn leading_eigenvector(m: &[f64], dim: usize) -> Vec<f64> {
    // A fixed, non-symmetric start so the result is deterministic and rarely orthogonal to the answer.
    let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + 0.1 * i as f64).collect();
    for _ in 0..500 {
        let w = mat_vec(m, dim, &v);
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm < 1e-300 {
            return v
                .iter()
                .map(|x| x / v.iter().map(|y| y * y).sum::<f64>().sqrt())
                .collect();
        }
        v = w.iter().map(|x| x / norm).collect();
    }
    // Fix the sign so that the largest component is positive.
    let (i, _) =
        v.iter().enumerate().fold(
            (0, 0.0),
            |acc, (i, &x)| if x.abs() > acc.1 { (i, x.abs()) } else { acc },
        );
    if v[i] < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_2d(points: &[f32], dim: usize) -> Vec<[f32; 2]> {
        Projection2d::fit(points, dim).apply_all(points)
    }

    #[test]
    fn finds_the_axes_of_an_elongated_cloud() {
        // Points spread along x (large variance), less along y (uncorrelated), none along z.
        let mut pts = Vec::new();
        for t in -12..=12 {
            for y in [1.0, -1.0] {
                pts.extend_from_slice(&[3.0 * t as f32, y, 0.0]);
            }
        }
        let p = project_2d(&pts, 3);
        assert_eq!(p.len(), 50);
        // First axis is x (up to sign), second is y.
        assert!((p[0][0].abs() - 36.0).abs() < 1e-3, "{:?}", p[0]);
        assert!((p[0][1].abs() - 1.0).abs() < 1e-3, "{:?}", p[0]);
    }

    #[test]
    fn low_dimensions_are_kept() {
        assert_eq!(
            project_2d(&[1.0, 2.0, 3.0, 4.0], 2),
            vec![[1.0, 2.0], [3.0, 4.0]]
        );
        assert_eq!(project_2d(&[1.0, 2.0], 1), vec![[1.0, 0.0], [2.0, 0.0]]);
    }

    #[test]
    fn a_fitted_projection_places_new_points_consistently() {
        let pts: Vec<f32> = (0..30)
            .flat_map(|i| [i as f32, 0.5 * i as f32, 1.0])
            .collect();
        let proj = Projection2d::fit(&pts, 3);
        // The cloud's mean maps to the origin; a point's image equals its image in the cloud.
        let mean = proj.apply(&[14.5, 7.25, 1.0]);
        assert!(mean[0].abs() < 1e-4 && mean[1].abs() < 1e-4, "{mean:?}");
        assert_eq!(proj.apply(&pts[9..12]), proj.apply_all(&pts)[3]);
    }
}
