//! Embedding a whole image set with a trained model, in chunks.

use burn::prelude::*;

use crate::backend::read_floats;
use crate::data::batch::images_tensor;
use crate::data::ImageSet;
use crate::model::LabModel;
use crate::train::{Flow, Observer, TrainEvent};

/// Embeddings `[n * lsdim]` (row-major) of every image in `set`, `chunk` images per forward
/// pass with an observer event after each; `None` if the observer stopped.
pub async fn embed_all(
    model: &LabModel,
    set: &ImageSet,
    chunk: usize,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<Option<Vec<f32>>, String> {
    let all: Vec<usize> = (0..set.len()).collect();
    embed_images(model, set, &all, chunk, device, observer).await
}

/// Embeddings of the images `indices` of `set`, in that order (see [`embed_all`]).
pub async fn embed_images(
    model: &LabModel,
    set: &ImageSet,
    indices: &[usize],
    chunk: usize,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<Option<Vec<f32>>, String> {
    let mut out = Vec::new();
    let mut done = 0;
    for idx in indices.chunks(chunk.max(1)) {
        let z = model.embed(images_tensor(set, idx, device)); // [chunk, lsdim]
        out.extend(read_floats(z, "embeddings").await?);
        done += idx.len();
        let event = TrainEvent::Embedding {
            done,
            total: indices.len(),
        };
        if observer.on_event(&event).await == Flow::Stop {
            return Ok(None);
        }
    }
    Ok(Some(out))
}
