//! Seeded batches of labelled images.

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
        Self { indices, pos: 0, rng }
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
}
