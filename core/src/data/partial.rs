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

/// Like [`select_labelled`], but class-balanced (the semi-supervised literature's choice: 100
/// labels of MNIST are 10 per class): the same count, split evenly over the classes present
/// (the first classes get one more when it does not divide), each class's images taken in the
/// seeded shuffle's order. A class with too few images gives what it has, and the rest goes to
/// the others.
pub fn select_labelled_balanced(labels: &[u8], pl_percent: f64, seed: u64) -> Vec<usize> {
    let n = labels.len();
    let mut all: Vec<usize> = (0..n).collect();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_1abe_1000_0000);
    all.shuffle(&mut rng);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); 256];
    for &i in &all {
        by_class[labels[i] as usize].push(i);
    }
    let mut queues: Vec<std::vec::IntoIter<usize>> = by_class
        .into_iter()
        .filter(|c| !c.is_empty())
        .map(Vec::into_iter)
        .collect();
    let want = labelled_count(n, pl_percent);
    let mut chosen = Vec::with_capacity(want);
    // Round robin over the classes: each round takes one image of every class that has one left.
    while chosen.len() < want {
        let before = chosen.len();
        for q in queues.iter_mut() {
            if chosen.len() == want {
                break;
            }
            chosen.extend(q.next());
        }
        if chosen.len() == before {
            break;
        }
    }
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100 of 60 000 labels over 10 classes: 10 per class; 6 labels: one each for six classes;
    /// a small class gives what it has and the others make up the count.
    #[test]
    fn balanced_choice_takes_the_same_number_from_each_class() {
        let labels: Vec<u8> = (0..60000).map(|i| ((i * 7) % 10) as u8).collect();
        let per_class = |chosen: &[usize]| {
            let mut counts = [0usize; 10];
            chosen.iter().for_each(|&i| counts[labels[i] as usize] += 1);
            counts
        };
        let pl_100 = 100.0 * 100.0 / 60000.0;
        let chosen = select_labelled_balanced(&labels, pl_100, 0);
        assert_eq!(chosen.len(), 100);
        assert_eq!(per_class(&chosen), [10; 10]);
        assert!(chosen.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        assert_eq!(chosen, select_labelled_balanced(&labels, pl_100, 0));
        assert_ne!(chosen, select_labelled_balanced(&labels, pl_100, 1));
        let six = per_class(&select_labelled_balanced(&labels, 0.01, 0));
        assert_eq!(six.iter().sum::<usize>(), 6);
        assert!(six.iter().all(|&c| c <= 1), "{six:?}");
        // The uniform choice of the same seed is not balanced (it is what the paper does).
        let uniform = per_class(&select_labelled(60000, pl_100, 0));
        assert_ne!(uniform, [10; 10], "{uniform:?}");
        let mut small: Vec<u8> = vec![0; 3];
        small.extend(std::iter::repeat_n(1u8, 97));
        let chosen = select_labelled_balanced(&small, 20.0, 0);
        let zeros = chosen.iter().filter(|&&i| small[i] == 0).count();
        assert_eq!((chosen.len(), zeros), (20, 3));
    }

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
