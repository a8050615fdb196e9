//! Pseudo-labels (self-training): at the start of each epoch after the first, every training
//! image is embedded with the current model; each class with a labelled image gets a prototype
//! (the mean embedding of its labelled images), each unlabelled image the class of its nearest
//! prototype, and the most confident `share` of each predicted class (confidence: the relative
//! margin `1 − d₁/d₂` between the nearest and the second-nearest prototype) joins the labelled
//! images for the metric loss until the next epoch. Only the labelled images' labels are read.

/// Pseudo-labels `(image, class)` for the unlabelled images of an embedded set.
///
/// `embeddings`: `[n * d]`; `labelled`: the labelled images with their labels; `share` in
/// [0, 1]: the part of each predicted class kept, most confident first; `normalize`: compare
/// the embeddings on the unit sphere, as the metric loss does with `normalize`. Classes without a
/// labelled image get no prototype, so no image is given them; with fewer than two prototypes
/// nothing is returned (there is no margin to be confident about). Ties keep the lower index.
pub fn pseudo_labels(
    embeddings: &[f32],
    d: usize,
    labelled: &[(usize, u8)],
    share: f64,
    normalize: bool,
) -> Vec<(usize, u8)> {
    if d == 0 || share <= 0.0 {
        return Vec::new();
    }
    let n = embeddings.len() / d;
    let unit: Vec<f32>;
    let embeddings = if normalize {
        unit = on_unit_sphere(embeddings, d);
        &unit[..]
    } else {
        embeddings
    };
    let prototypes = prototypes(embeddings, d, labelled);
    if prototypes.len() < 2 {
        return Vec::new();
    }
    let mut is_labelled = vec![false; n];
    for &(i, _) in labelled {
        is_labelled[i] = true;
    }
    // Per predicted class: (confidence, image).
    let mut by_class: Vec<Vec<(f64, usize)>> = vec![Vec::new(); prototypes.len()];
    for i in (0..n).filter(|&i| !is_labelled[i]) {
        if let Some((k, confidence)) = nearest(&embeddings[i * d..(i + 1) * d], &prototypes) {
            by_class[k].push((confidence, i));
        }
    }
    let share = share.min(1.0);
    let mut out = Vec::new();
    for (k, mut members) in by_class.into_iter().enumerate() {
        members.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let keep = (members.len() as f64 * share).round() as usize;
        let class = prototypes[k].0;
        out.extend(members.into_iter().take(keep).map(|(_, i)| (i, class)));
    }
    out.sort_unstable();
    out
}

/// Each `d`-vector scaled to length 1.
fn on_unit_sphere(embeddings: &[f32], d: usize) -> Vec<f32> {
    embeddings
        .chunks(d)
        .flat_map(|z| {
            let norm = z.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            z.iter().map(move |x| x / norm)
        })
        .collect()
}

/// The mean embedding of each class's labelled images, by class (ascending).
fn prototypes(embeddings: &[f32], d: usize, labelled: &[(usize, u8)]) -> Vec<(u8, Vec<f64>)> {
    let mut sums: Vec<(u8, Vec<f64>, usize)> = Vec::new();
    for &(i, class) in labelled {
        let slot = match sums.iter().position(|(c, _, _)| *c == class) {
            Some(k) => k,
            None => {
                sums.push((class, vec![0.0; d], 0));
                sums.len() - 1
            }
        };
        for (s, &x) in sums[slot].1.iter_mut().zip(&embeddings[i * d..(i + 1) * d]) {
            *s += f64::from(x);
        }
        sums[slot].2 += 1;
    }
    sums.sort_by_key(|(c, _, _)| *c);
    sums.into_iter()
        .map(|(c, s, k)| (c, s.into_iter().map(|x| x / k as f64).collect()))
        .collect()
}

/// The nearest prototype of `z` (its index; ties keep the lower one) and the confidence
/// `1 − d₁/d₂`; `None` for a non-finite embedding.
fn nearest(z: &[f32], prototypes: &[(u8, Vec<f64>)]) -> Option<(usize, f64)> {
    let (mut best, mut second) = ((f64::INFINITY, 0), f64::INFINITY);
    for (k, (_, p)) in prototypes.iter().enumerate() {
        let dist = z
            .iter()
            .zip(p)
            .map(|(&a, b)| (f64::from(a) - b).powi(2))
            .sum::<f64>()
            .sqrt();
        if dist < best.0 {
            second = best.0;
            best = (dist, k);
        } else if dist < second {
            second = dist;
        }
    }
    if !best.0.is_finite() || !second.is_finite() {
        return None; // a non-finite embedding gets no label
    }
    let confidence = if second > 0.0 {
        1.0 - best.0 / second
    } else {
        0.0
    };
    Some((best.1, confidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two clusters in 2-D around (0, 0) and (10, 0), one labelled image in each.
    fn two_clusters() -> (Vec<f32>, Vec<(usize, u8)>) {
        let points: [[f32; 2]; 6] = [
            [0.0, 0.0],
            [10.0, 0.0],
            [1.0, 0.0],
            [4.0, 0.0],
            [9.0, 1.0],
            [6.0, 0.0],
        ];
        (points.concat(), vec![(0, 3), (1, 7)])
    }

    #[test]
    fn nearest_prototype_gives_the_class_and_the_share_keeps_the_confident() {
        let (z, labelled) = two_clusters();
        // Every unlabelled image gets the class of the nearer labelled one.
        assert_eq!(
            pseudo_labels(&z, 2, &labelled, 1.0, false),
            vec![(2, 3), (3, 3), (4, 7), (5, 7)]
        );
        // Half of each predicted class: the ones far from the midpoint (x = 5).
        assert_eq!(
            pseudo_labels(&z, 2, &labelled, 0.5, false),
            vec![(2, 3), (4, 7)]
        );
        assert!(pseudo_labels(&z, 2, &labelled, 0.0, false).is_empty());
    }

    #[test]
    fn labelled_images_keep_their_own_label_and_one_class_gives_nothing() {
        let (z, labelled) = two_clusters();
        let out = pseudo_labels(&z, 2, &labelled, 1.0, false);
        assert!(out.iter().all(|(i, _)| *i != 0 && *i != 1), "{out:?}");
        assert!(pseudo_labels(&z, 2, &[(0, 3), (2, 3)], 1.0, false).is_empty());
    }

    #[test]
    fn the_prototype_is_the_mean_of_a_class() {
        // Class 1 labelled at x = 0 and 4 (prototype 2), class 2 at 10. The image at 6.5 is
        // nearer a labelled image of class 1 (2.5 against 3.5) but nearer the prototype of
        // class 2 (3.5 against 4.5): the prototype decides.
        let z: Vec<f32> = [[0.0f32, 0.0], [4.0, 0.0], [10.0, 0.0], [6.5, 0.0]].concat();
        let out = pseudo_labels(&z, 2, &[(0, 1), (1, 1), (2, 2)], 1.0, false);
        assert_eq!(out, vec![(3, 2)]);
    }

    #[test]
    fn on_the_unit_sphere_the_direction_decides() {
        // Class 1 at (1, 0), class 2 at (0, 10); the image at (3, 4) is nearer class 1 in the
        // plane (4.5 against 6.7) but nearer class 2 in direction (.6, .8).
        let z: Vec<f32> = [[1.0f32, 0.0], [0.0, 10.0], [3.0, 4.0]].concat();
        let labelled = [(0, 1), (1, 2)];
        assert_eq!(pseudo_labels(&z, 2, &labelled, 1.0, false), vec![(2, 1)]);
        assert_eq!(pseudo_labels(&z, 2, &labelled, 1.0, true), vec![(2, 2)]);
    }

    #[test]
    fn a_non_finite_embedding_gets_no_label() {
        let (mut z, labelled) = two_clusters();
        z[4] = f32::NAN; // image 2
        let out = pseudo_labels(&z, 2, &labelled, 1.0, false);
        assert!(out.iter().all(|(i, _)| *i != 2), "{out:?}");
        assert_eq!(out.len(), 3);
    }
}
