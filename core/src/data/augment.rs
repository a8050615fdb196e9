//! Random affine augmentation of byte images (rotation, scale, translation), seeded.

use rand::{rngs::StdRng, RngExt};

/// Largest rotation (degrees), scale change and shift (pixels) drawn per image.
const MAX_DEGREES: f32 = 12.0;
const MAX_SCALE: f32 = 0.1;
const MAX_SHIFT: f32 = 2.0;

/// A randomly rotated, scaled and shifted copy of a `rows × cols` image (bilinear sampling,
/// zero outside), as intensities in [0, 1].
pub fn augment(image: &[u8], rows: usize, cols: usize, rng: &mut StdRng) -> Vec<f32> {
    let angle = (rng.random::<f32>() * 2.0 - 1.0) * MAX_DEGREES.to_radians();
    let scale = 1.0 + (rng.random::<f32>() * 2.0 - 1.0) * MAX_SCALE;
    let (dx, dy) = (
        (rng.random::<f32>() * 2.0 - 1.0) * MAX_SHIFT,
        (rng.random::<f32>() * 2.0 - 1.0) * MAX_SHIFT,
    );
    let (cy, cx) = ((rows as f32 - 1.0) / 2.0, (cols as f32 - 1.0) / 2.0);
    let (sin, cos) = angle.sin_cos();
    let pixel = |r: isize, c: isize| -> f32 {
        if r < 0 || c < 0 || r >= rows as isize || c >= cols as isize {
            0.0
        } else {
            image[r as usize * cols + c as usize] as f32 / 255.0
        }
    };
    let mut out = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        for c in 0..cols {
            // Inverse map: output pixel → source position.
            let (y, x) = (r as f32 - cy - dy, c as f32 - cx - dx);
            let sy = (cos * y - sin * x) / scale + cy;
            let sx = (sin * y + cos * x) / scale + cx;
            let (y0, x0) = (sy.floor(), sx.floor());
            let (fy, fx) = (sy - y0, sx - x0);
            let (y0, x0) = (y0 as isize, x0 as isize);
            let top = pixel(y0, x0) * (1.0 - fx) + pixel(y0, x0 + 1) * fx;
            let bottom = pixel(y0 + 1, x0) * (1.0 - fx) + pixel(y0 + 1, x0 + 1) * fx;
            out.push(top * (1.0 - fy) + bottom * fy);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn keeps_mass_roughly_and_changes_the_image() {
        let mut image = vec![0u8; 28 * 28];
        for r in 10..18 {
            for c in 12..16 {
                image[r * 28 + c] = 255;
            }
        }
        let mut rng = StdRng::seed_from_u64(1);
        let out = augment(&image, 28, 28, &mut rng);
        let mass_in: f32 = image.iter().map(|&p| p as f32 / 255.0).sum();
        let mass_out: f32 = out.iter().sum();
        assert!(
            (mass_out / mass_in - 1.0).abs() < 0.3,
            "{mass_in} → {mass_out}"
        );
        assert!(out.iter().all(|&p| (0.0..=1.0).contains(&p)));
        let original: Vec<f32> = image.iter().map(|&p| p as f32 / 255.0).collect();
        assert_ne!(out, original);
        assert_eq!(out, augment(&image, 28, 28, &mut StdRng::seed_from_u64(1)));
    }
}
