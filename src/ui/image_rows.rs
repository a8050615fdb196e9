//! Rows of grey images drawn on a canvas by `images.js`: a dataset's samples per class and a
//! decoder's reconstructions.

use js_sys::{Array, Uint32Array, Uint8Array};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::data::ImageSet;
use crate::report::figures::{class_samples, ReconGrid};

#[wasm_bindgen(module = "/src/ui/images.js")]
extern "C" {
    #[wasm_bindgen(js_name = drawImageRows)]
    fn draw_image_rows(
        host: &JsValue,
        labels: Array,
        counts: Uint32Array,
        pixels: Uint8Array,
        width: u32,
        height: u32,
        scale: f64,
        max_tile: f64,
    );
}

/// Images in labelled rows (`counts[r]` images in row `r`, all `width` × `height`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageRows {
    pub labels: Vec<String>,
    pub counts: Vec<u32>,
    /// Every image's pixels, row after row.
    pub pixels: Vec<u8>,
    pub width: usize,
    pub height: usize,
}

impl ImageRows {
    /// The first `per_class` images of each class, one row per class.
    pub fn class_samples(set: &ImageSet, class_names: &[String], per_class: usize) -> Self {
        let rows = class_samples(set, class_names.len(), per_class);
        Self {
            labels: class_names.to_vec(),
            counts: rows.iter().map(|r| r.len() as u32).collect(),
            pixels: rows.into_iter().flatten().flatten().collect(),
            width: set.cols,
            height: set.rows,
        }
    }

    /// Test images over their reconstructions.
    pub fn reconstructions(grid: &ReconGrid) -> Self {
        Self {
            labels: Vec::new(),
            counts: vec![
                grid.originals.len() as u32,
                grid.reconstructions.len() as u32,
            ],
            pixels: grid
                .originals
                .iter()
                .chain(&grid.reconstructions)
                .flatten()
                .copied()
                .collect(),
            width: grid.width,
            height: grid.height,
        }
    }
}

/// A canvas showing `rows`, redrawn when they change.
#[component]
pub fn ImageRowsView(
    /// What to draw.
    #[prop(into)]
    rows: Signal<ImageRows>,
    /// `data-testid` of the element around the canvas.
    testid: &'static str,
    /// CSS pixels per image pixel (lowered for large images)…
    scale: u32,
    /// …so that a tile's longer side takes at most this many CSS pixels.
    max_tile: u32,
) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let Some(el) = host.get() else {
            return;
        };
        rows.with(|r| {
            let labels = Array::new();
            // Rows without labels (the reconstructions) still need one entry each.
            for i in 0..r.counts.len() {
                labels.push(&r.labels.get(i).map(String::as_str).unwrap_or("").into());
            }
            draw_image_rows(
                &el.into(),
                labels,
                Uint32Array::from(&r.counts[..]),
                Uint8Array::from(&r.pixels[..]),
                r.width as u32,
                r.height as u32,
                scale as f64,
                max_tile as f64,
            );
        });
    });
    view! { <div class="chart image-rows" data-testid=testid node_ref=host></div> }
}
