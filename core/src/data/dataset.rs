//! Labelled image sets kept as bytes: pixels stay `u8` in memory and become `f32` per batch.

use std::borrow::Cow;

use thiserror::Error;

use super::idx::{parse_idx, IdxError};

/// Why a dataset could not be assembled from its files.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DataError {
    #[error("{file}: {source}")]
    Idx { file: String, source: IdxError },
    #[error("{file}: expected images of shape [n, rows, cols], found dimensions {dims:?}")]
    ImageShape { file: String, dims: Vec<usize> },
    #[error("{file}: expected labels of shape [n], found dimensions {dims:?}")]
    LabelShape { file: String, dims: Vec<usize> },
    #[error("{split}: {images} images but {labels} labels")]
    CountMismatch {
        split: String,
        images: usize,
        labels: usize,
    },
    #[error("{split}: label {label} at index {index} is out of range (expected 0..{classes})")]
    LabelOutOfRange {
        split: String,
        index: usize,
        label: u8,
        classes: usize,
    },
    #[error("{split}: the split has no images")]
    EmptySplit { split: String },
    #[error("{0}")]
    Io(String),
}

/// Rows and columns of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageShape {
    pub rows: usize,
    pub cols: usize,
}

impl ImageShape {
    /// Pixels per image.
    pub fn pixels(self) -> usize {
        self.rows * self.cols
    }
}

/// A set of equally sized grey-scale images with one class label each.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// `n * rows * cols` pixels, row-major, one byte each.
    pub pixels: Vec<u8>,
    /// One class index per image.
    pub labels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
}

impl ImageSet {
    /// Builds a set from IDX image and label file contents (raw or gzip), checking that they
    /// agree; owned contents are parsed in place ([`parse_idx`]).
    pub fn from_idx<'a>(
        split: &str,
        images_name: &str,
        images: impl Into<Cow<'a, [u8]>>,
        labels_name: &str,
        labels: impl Into<Cow<'a, [u8]>>,
        num_classes: usize,
    ) -> Result<Self, DataError> {
        let img = parse_idx(images).map_err(|source| DataError::Idx {
            file: images_name.into(),
            source,
        })?;
        let lab = parse_idx(labels).map_err(|source| DataError::Idx {
            file: labels_name.into(),
            source,
        })?;
        if img.dims.len() != 3 {
            return Err(DataError::ImageShape {
                file: images_name.into(),
                dims: img.dims,
            });
        }
        if lab.dims.len() != 1 {
            return Err(DataError::LabelShape {
                file: labels_name.into(),
                dims: lab.dims,
            });
        }
        Self::new(
            split,
            img.data,
            lab.data,
            img.dims[1],
            img.dims[2],
            num_classes,
        )
    }

    /// Builds a set from pixels and labels, checking counts and label range.
    pub fn new(
        split: &str,
        pixels: Vec<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
        num_classes: usize,
    ) -> Result<Self, DataError> {
        // checked: an empty IDX file may claim 2^32 × 2^32 pixels per image (usize is 32 bits
        // in the browser).
        let per_image = rows.checked_mul(cols).unwrap_or(0);
        if per_image == 0 || labels.is_empty() {
            return Err(DataError::EmptySplit {
                split: split.into(),
            });
        }
        let images = pixels.len() / per_image;
        if images != labels.len() || !pixels.len().is_multiple_of(per_image) {
            return Err(DataError::CountMismatch {
                split: split.into(),
                images,
                labels: labels.len(),
            });
        }
        if let Some((index, &label)) = labels
            .iter()
            .enumerate()
            .find(|(_, &l)| l as usize >= num_classes)
        {
            return Err(DataError::LabelOutOfRange {
                split: split.into(),
                index,
                label,
                classes: num_classes,
            });
        }
        Ok(Self {
            pixels,
            labels,
            rows,
            cols,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels per image (`rows * cols`).
    pub fn dim(&self) -> usize {
        self.rows * self.cols
    }

    /// Rows and columns of every image.
    pub fn shape(&self) -> ImageShape {
        ImageShape {
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.pixels[i * self.dim()..(i + 1) * self.dim()]
    }
}

/// A dataset: a training split, a test split and the names of its classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub name: String,
    pub class_names: Vec<String>,
    pub train: ImageSet,
    pub test: ImageSet,
}

impl Dataset {
    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::encode_idx;

    #[test]
    fn images_and_labels_must_agree() {
        let images = encode_idx(&[3, 2, 2], &[0; 12]);
        let labels = encode_idx(&[2], &[0, 1]);
        let err = ImageSet::from_idx("train", "img", &images, "lab", &labels, 10).unwrap_err();
        assert_eq!(err.to_string(), "train: 3 images but 2 labels");
    }

    #[test]
    fn labels_must_be_in_range() {
        let images = encode_idx(&[2, 1, 1], &[0; 2]);
        let labels = encode_idx(&[2], &[3, 10]);
        let err = ImageSet::from_idx("test", "img", &images, "lab", &labels, 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "test: label 10 at index 1 is out of range (expected 0..10)"
        );
    }

    #[test]
    fn shapes_are_checked() {
        let flat = encode_idx(&[4], &[0; 4]);
        let err = ImageSet::from_idx("train", "img", &flat, "lab", &flat, 10).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("img: expected images of shape [n, rows, cols]"));
    }
}
