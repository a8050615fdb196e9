//! Seeded batches: all training images for L_U, the labelled ones for L_S.

use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

/// Yields batches from a fixed index set forever: each pass is a fresh seeded shuffle, and a
/// batch never straddles two passes (so no image appears twice in one batch).
pub struct Cycler {
    indices: Vec<usize>,
    pos: usize,
    rng: StdRng,
}

impl Cycler {
    pub fn new(mut indices: Vec<usize>, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        indices.shuffle(&mut rng);
        Self {
            indices,
            pos: 0,
            rng,
        }
    }

    /// The next `size` indices (`size` is capped at the number of indices).
    pub fn next_batch(&mut self, size: usize) -> Vec<usize> {
        let size = size.min(self.indices.len());
        if self.pos + size > self.indices.len() {
            self.indices.shuffle(&mut self.rng);
            self.pos = 0;
        }
        let batch = self.indices[self.pos..self.pos + size].to_vec();
        self.pos += size;
        batch
    }
}

/// Batches of labelled images: plain random ones, or class-balanced ones with `m` images of
/// each of `batch / m` classes (so that every batch has positives for the metric loss).
pub enum LabelledSampler {
    Random(Cycler),
    Balanced {
        m: usize,
        classes: Cycler,
        per_class: Vec<Cycler>,
    },
}

impl LabelledSampler {
    /// `indices`: the labelled images; `labels`: the label of every training image.
    pub fn new(indices: Vec<usize>, labels: &[u8], m_per_class: usize, seed: u64) -> Self {
        if m_per_class == 0 {
            return Self::Random(Cycler::new(indices, seed));
        }
        let mut by_class: Vec<Vec<usize>> = Vec::new();
        for &i in &indices {
            let c = labels[i] as usize;
            if by_class.len() <= c {
                by_class.resize(c + 1, Vec::new());
            }
            by_class[c].push(i);
        }
        let present: Vec<usize> = (0..by_class.len())
            .filter(|&c| !by_class[c].is_empty())
            .collect();
        let per_class = present
            .iter()
            .enumerate()
            .map(|(k, &c)| Cycler::new(by_class[c].clone(), seed.wrapping_add(1 + k as u64)))
            .collect();
        Self::Balanced {
            m: m_per_class,
            classes: Cycler::new((0..present.len()).collect(), seed),
            per_class,
        }
    }

    /// The next batch of at most `size` labelled images.
    pub fn next_batch(&mut self, size: usize) -> Vec<usize> {
        match self {
            Self::Random(c) => c.next_batch(size),
            Self::Balanced {
                m,
                classes,
                per_class,
            } => {
                let k = (size / *m).max(1);
                classes
                    .next_batch(k)
                    .into_iter()
                    .flat_map(|c| per_class[c].next_batch(*m))
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_seeded_and_never_repeat_an_image() {
        let mut a = Cycler::new((0..10).collect(), 1);
        let mut b = Cycler::new((0..10).collect(), 1);
        for _ in 0..7 {
            let batch = a.next_batch(4);
            assert_eq!(batch, b.next_batch(4));
            let mut sorted = batch.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 4);
        }
        assert_eq!(Cycler::new(vec![3, 4], 0).next_batch(256).len(), 2);
    }

    #[test]
    fn balanced_batches_have_m_images_of_each_class() {
        let labels: Vec<u8> = (0..100).map(|i| (i % 10) as u8).collect();
        let mut s = LabelledSampler::new((0..100).collect(), &labels, 4, 0);
        for _ in 0..5 {
            let batch = s.next_batch(20);
            assert_eq!(batch.len(), 20);
            let mut counts = [0; 10];
            batch.iter().for_each(|&i| counts[labels[i] as usize] += 1);
            assert_eq!(counts.iter().filter(|&&c| c == 4).count(), 5, "{counts:?}");
        }
    }
}
