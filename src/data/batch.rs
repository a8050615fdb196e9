//! Turning byte images into tensors, one batch at a time.

use burn::prelude::*;

use super::dataset::ImageSet;

/// The images at `indices` as a `[batch, rows*cols]` float tensor scaled to [0, 1].
pub fn images_tensor(set: &ImageSet, indices: &[usize], device: &Device) -> Tensor<2> {
    let dim = set.dim();
    let mut values = Vec::with_capacity(indices.len() * dim);
    for &i in indices {
        values.extend(set.image(i).iter().map(|&p| p as f32 / 255.0));
    }
    Tensor::from_data(TensorData::new(values, [indices.len(), dim]), device)
}

/// Like [`images_tensor`], with each image randomly rotated, scaled and shifted.
pub fn augmented_images_tensor(
    set: &ImageSet,
    indices: &[usize],
    rng: &mut rand::rngs::StdRng,
    device: &Device,
) -> Tensor<2> {
    let mut values = Vec::with_capacity(indices.len() * set.dim());
    for &i in indices {
        values.extend(super::augment::augment(
            set.image(i),
            set.rows,
            set.cols,
            rng,
        ));
    }
    Tensor::from_data(TensorData::new(values, [indices.len(), set.dim()]), device)
}
