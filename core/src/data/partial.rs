//! Partial labels: which training images keep their label.

use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

/// Number of images that keep their label when `pl` percent of `n` do (at least one).
pub fn labelled_count(n: usize, pl_percent: f64) -> usize {
    ((n as f64 * pl_percent / 100.0).round() as usize).clamp(1, n)
}

/// Indices (sorted) of the training images that keep their label: a seeded uniform choice of
/// `labelled_count(n, pl)` out of `n`, the same for the same seed on every platform.
pub fn select_labelled(n: usize, pl_percent: f64, seed: u64) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).collect();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_1abe_1000_0000);
    all.shuffle(&mut rng);
    let mut chosen = all[..labelled_count(n, pl_percent)].to_vec();
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_percentage() {
        assert_eq!(labelled_count(60000, 10.0), 6000);
        assert_eq!(labelled_count(60000, 0.1), 60);
        assert_eq!(labelled_count(60000, 0.01), 6);
        assert_eq!(labelled_count(60000, 100.0), 60000);
        assert_eq!(labelled_count(10, 0.01), 1);
        assert_eq!(select_labelled(60000, 0.1, 3).len(), 60);
    }

    #[test]
    fn choice_is_seeded_unique_and_in_range() {
        let a = select_labelled(1000, 5.0, 7);
        assert_eq!(a, select_labelled(1000, 5.0, 7));
        assert_ne!(a, select_labelled(1000, 5.0, 8));
        let mut dedup = a.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), 50);
        assert!(a.iter().all(|&i| i < 1000));
    }
}
