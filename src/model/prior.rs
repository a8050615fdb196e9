//! Where the GMM prior's components sit. (Densities and KL terms live in `losses::kl`.)

use rand::{rngs::StdRng, RngExt, SeedableRng};

/// Log-variance of every GMM component (the paper's default).
pub const GMM_LOGVAR: f32 = 1.0;

/// Components of the GMM prior in `d` dimensions for `prior_components` = `k` (the length of
/// [`gmm_means`]): 2^d for `k == 0`, else k.
pub fn gmm_components(d: usize, k: usize) -> usize {
    if k == 0 {
        1 << d
    } else {
        k
    }
}

/// Means `[K, d]` of the GMM prior. `k == 0`: the paper's 2^d vertices of {−1, 1}^d.
/// `k > 0`: k points spread evenly — on a line (d = 1), a circle of radius √2 (d = 2), or by
/// farthest-point sampling from the hypercube vertices and the sphere of radius √d (d ≥ 3).
pub fn gmm_means(d: usize, k: usize, seed: u64) -> Vec<Vec<f32>> {
    let vertices = |d: usize| -> Vec<Vec<f32>> {
        (0..1usize << d)
            .map(|v| {
                (0..d)
                    .map(|i| if v >> i & 1 == 1 { 1.0 } else { -1.0 })
                    .collect()
            })
            .collect()
    };
    if k == 0 {
        return vertices(d);
    }
    match d {
        1 => (0..k)
            .map(|i| {
                vec![if k == 1 {
                    0.0
                } else {
                    -1.0 + 2.0 * i as f32 / (k - 1) as f32
                }]
            })
            .collect(),
        2 => (0..k)
            .map(|i| {
                let a = std::f32::consts::TAU * i as f32 / k as f32;
                vec![2f32.sqrt() * a.cos(), 2f32.sqrt() * a.sin()]
            })
            .collect(),
        _ => {
            let mut candidates = if d <= 12 { vertices(d) } else { Vec::new() };
            let mut rng = StdRng::seed_from_u64(seed);
            let radius = (d as f32).sqrt();
            while candidates.len() < 4 * k + 4096 {
                let v: Vec<f32> = (0..d).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect();
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                candidates.push(v.iter().map(|x| x * radius / norm).collect());
            }
            farthest_points(&candidates, k)
        }
    }
}

fn farthest_points(candidates: &[Vec<f32>], k: usize) -> Vec<Vec<f32>> {
    let dist = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>();
    let mut chosen = vec![candidates[0].clone()];
    let mut nearest: Vec<f32> = candidates.iter().map(|c| dist(c, &chosen[0])).collect();
    while chosen.len() < k {
        let (next, _) =
            nearest.iter().enumerate().fold(
                (0, -1.0),
                |acc, (i, &d)| if d > acc.1 { (i, d) } else { acc },
            );
        chosen.push(candidates[next].clone());
        for (n, c) in nearest.iter_mut().zip(candidates) {
            *n = n.min(dist(c, &candidates[next]));
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_places_2_to_the_d_components_on_the_hypercube() {
        let m = gmm_means(3, 0, 0);
        assert_eq!(m.len(), gmm_components(3, 0));
        assert_eq!(gmm_means(4, 10, 0).len(), gmm_components(4, 10));
        assert_eq!(m.len(), 8);
        assert!(m.iter().all(|v| v.iter().all(|x| x.abs() == 1.0)));
        let mut sorted = m.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        sorted.dedup();
        assert_eq!(sorted.len(), 8);
    }

    #[test]
    fn k_components_are_spread_out() {
        let m = gmm_means(2, 10, 0);
        assert_eq!(m.len(), 10);
        let m = gmm_means(4, 10, 0);
        assert_eq!(m.len(), 10);
        // Farthest-point sampling from the hypercube: no two means closer than an edge (2).
        for i in 0..10 {
            for j in 0..i {
                let d: f32 = m[i]
                    .iter()
                    .zip(&m[j])
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f32>()
                    .sqrt();
                assert!(d >= 2.0 - 1e-4, "{d}");
            }
        }
    }
}
