//! Random images in MNIST's shape, for speed benchmarks that need no data files (a training
//! step costs the same whatever the pixels hold).

use rand::{rngs::StdRng, RngExt, SeedableRng};

use super::{Dataset, ImageSet};

/// `train` + `test` random 28×28 images with uniformly drawn labels of 10 classes.
pub fn random_mnist_shaped(train: usize, test: usize, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut split = |name: &str, n: usize| {
        let pixels: Vec<u8> = (0..n * 784).map(|_| rng.random()).collect();
        let labels: Vec<u8> = (0..n).map(|_| rng.random_range(0..10u8)).collect();
        ImageSet::new(name, pixels, labels, 28, 28, 10).expect("consistent by construction")
    };
    let train = split("train", train.max(1));
    let test = split("test", test.max(1));
    Dataset {
        name: "random (MNIST-shaped)".into(),
        class_names: (0..10).map(|d| d.to_string()).collect(),
        train,
        test,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_mnist_shape_and_every_class() {
        let data = random_mnist_shaped(500, 50, 1);
        assert_eq!(
            (data.train.len(), data.test.len(), data.train.dim()),
            (500, 50, 784)
        );
        assert!((0..10u8).all(|c| data.train.labels.contains(&c)));
        assert_eq!(data, random_mnist_shaped(500, 50, 1));
    }
}
