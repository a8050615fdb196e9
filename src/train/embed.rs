//! Embedding an image set with a model, in chunks, with an observer event after each (the
//! pseudo-labels' training images during a run, the test images after it).

use burn::prelude::*;

use super::{EmbeddedSet, Flow, Observer, TrainEvent};
use crate::backend::read_floats;
use crate::data::batch::images_tensor;
use crate::data::ImageSet;
use crate::model::LabModel;

/// Embeddings `[n * lsdim]` (row-major) of every image in `set` (the split `of` names for the
/// events), `chunk` images per forward pass with an observer event after each; `None` if the
/// observer stopped.
pub async fn embed_all(
    model: &LabModel,
    (set, of): (&ImageSet, EmbeddedSet),
    chunk: usize,
    device: &Device,
    observer: &mut impl Observer,
) -> Result<Option<Vec<f32>>, String> {
    let all: Vec<usize> = (0..set.len()).collect();
    embed_images(model, (set, of), &all, chunk, device, observer).await
}

/// Embeddings of the images `indices` of `set`, in that order (see [`embed_all`]).
pub async fn embed_images(
    model: &LabModel,
    (set, of): (&ImageSet, EmbeddedSet),
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
            of,
            done,
            total: indices.len(),
        };
        if observer.on_event(&event).await == Flow::Stop {
            return Ok(None);
        }
    }
    Ok(Some(out))
}
