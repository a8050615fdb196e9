//! What the plots of a run show, as plain data kept in its record, so that `dml-lab report`
//! (and the page) can redraw them without the model.

use serde::{Deserialize, Serialize};

use crate::eval::pca::Projection2d;
use crate::eval::tsne::{tsne_2d, TSNE_POINTS};
use crate::train::{AccuracyPoint, Curves};

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

/// How the latent scatter maps d > 2 dimensions to two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Projection {
    /// The two leading principal axes, of every test point (linear: distances along them are
    /// the embedding's own).
    #[default]
    Pca,
    /// t-SNE of the first test points (non-linear: it keeps neighbourhoods, not distances).
    Tsne,
}

impl Projection {
    pub const ALL: [Projection; 2] = [Projection::Pca, Projection::Tsne];

    /// Its name in the page's controls.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pca => "pca",
            Self::Tsne => "tsne",
        }
    }

    /// How captions and axes call it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pca => "PCA",
            Self::Tsne => "t-SNE",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
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

    /// The 2-D t-SNE of the first [`TSNE_POINTS`] of `embeddings` (`[n * dim]`); the latent
    /// space itself when `dim <= 2`. No prior components: t-SNE has no map for them.
    pub fn tsne(embeddings: &[f32], dim: usize, labels: &[u8]) -> Result<Self, String> {
        let n = TSNE_POINTS.min(labels.len());
        if dim <= 2 {
            return Ok(Self::project(
                &embeddings[..n * dim],
                dim,
                &labels[..n],
                &[],
            ));
        }
        Ok(Scatter {
            points: tsne_2d(&embeddings[..n * dim], dim)?,
            labels: labels[..n].to_vec(),
            components: Vec::new(),
            axes: Projection::Tsne.label().into(),
        })
    }

    /// What the axes are called, before their number ("PC1", "z1", "t-SNE 1").
    pub fn axis_prefix(&self) -> &'static str {
        match self.axes.as_str() {
            "PCA" => "PC",
            "t-SNE" => "t-SNE ",
            _ => "z",
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
    /// kNN accuracy of the first test images while training went on (absent in older records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accuracy: Vec<AccuracyPoint>,
}
