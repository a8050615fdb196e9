//! What the plots of a run show, as plain data kept in its record, so that `dml-lab report`
//! (and the page) can redraw them without the model.

use serde::{Deserialize, Serialize};

use crate::eval::pca::Projection2d;
use crate::train::Curves;

/// Test points kept in a record's scatter (the page draws all of them live).
pub const RECORDED_SCATTER_POINTS: usize = 2000;
/// Test images shown in a reconstruction grid.
pub const RECONSTRUCTIONS: usize = 8;

/// A prior component drawn on the scatter: its projected mean and one standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub center: [f32; 2],
    pub radius: f32,
}

/// The latent scatter: test embeddings projected to 2-D (PCA when lsdim > 2), their classes,
/// and the prior's components in the same projection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scatter {
    pub points: Vec<[f32; 2]>,
    pub labels: Vec<u8>,
    #[serde(default)]
    pub components: Vec<Component>,
    /// "PCA" or "latent" (lsdim ≤ 2: the coordinates themselves).
    pub axes: String,
}

impl Scatter {
    /// Projects `embeddings` (`[n * dim]`) and the prior components (means `[dim]` with
    /// log-variances `[dim]`; the radius is the mean standard deviation).
    pub fn project(
        embeddings: &[f32],
        dim: usize,
        labels: &[u8],
        components: &[(Vec<f32>, Vec<f32>)],
    ) -> Self {
        let projection = Projection2d::fit(embeddings, dim);
        Scatter {
            points: projection.apply_all(embeddings),
            labels: labels.to_vec(),
            components: components
                .iter()
                .map(|(mean, logvar)| Component {
                    center: projection.apply(mean),
                    radius: logvar.iter().map(|l| (0.5 * l).exp()).sum::<f32>()
                        / logvar.len().max(1) as f32,
                })
                .collect(),
            axes: if dim > 2 { "PCA" } else { "latent" }.into(),
        }
    }

    /// The first `n` points only (components kept).
    pub fn truncated(&self, n: usize) -> Self {
        Scatter {
            points: self.points.iter().take(n).copied().collect(),
            labels: self.labels.iter().take(n).copied().collect(),
            ..self.clone()
        }
    }
}

/// Test images and their reconstructions, pixels 0–255 row-major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconGrid {
    pub width: usize,
    pub height: usize,
    pub originals: Vec<Vec<u8>>,
    pub reconstructions: Vec<Vec<u8>>,
}

/// The first `per_class` images of each class `0..classes` in `set` (fewer when a class has
/// fewer), for a glance at a dataset.
pub fn class_samples(
    set: &crate::data::ImageSet,
    classes: usize,
    per_class: usize,
) -> Vec<Vec<Vec<u8>>> {
    let mut out = vec![Vec::new(); classes];
    for (i, &label) in set.labels.iter().enumerate() {
        if let Some(row) = out.get_mut(label as usize) {
            if row.len() < per_class {
                row.push(set.image(i).to_vec());
            }
        }
        if out.iter().all(|row| row.len() >= per_class) {
            break;
        }
    }
    out
}

/// Everything a run's plots need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Loss terms per step (thinned).
    pub curves: Curves,
    pub scatter: Scatter,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconstructions: Option<ReconGrid>,
}
