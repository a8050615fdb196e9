//! Plots as SVG text, drawn with plotters: the CLI writes the files, the page shows the same SVG.

use plotters::prelude::*;

use super::figures::{Component, ReconGrid, Scatter};
use crate::eval::diagnostics::LatentDiagnostics;
use crate::train::Curves;

/// Distinct colours for up to 11 classes (Tableau 10 and one more), readable on white.
pub const CLASS_COLORS: [(u8, u8, u8); 11] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
    (0, 0, 128),
];

type Area<'b> = DrawingArea<SVGBackend<'b>, plotters::coord::Shift>;

/// An SVG of `size` pixels on white, drawn by `draw`.
fn svg_drawing(
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<(), String>,
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Colour of class `c` (cycling past 11 classes).
pub fn class_color(c: usize) -> RGBColor {
    let (r, g, b) = CLASS_COLORS[c % CLASS_COLORS.len()];
    RGBColor(r, g, b)
}

fn padded_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let pad = ((hi - lo) * 0.05).max(1e-6);
    (lo - pad)..(hi + pad)
}

/// A number in at most 3 significant digits, without trailing zeros (axis labels).
fn short_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-3..5).contains(&magnitude) {
        return format!("{v:.1e}");
    }
    let decimals = (2 - magnitude).max(0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// An exponential moving average of `points`' values over about `span` points.
pub fn smoothed(points: &[(f64, f64)], span: usize) -> Vec<(f64, f64)> {
    let alpha = 2.0 / (span.max(1) as f64 + 1.0);
    let mut avg = None;
    points
        .iter()
        .map(|&(x, y)| {
            let next = match avg {
                Some(a) => a + alpha * (y - a),
                None => y,
            };
            avg = Some(next);
            (x, next)
        })
        .collect()
}

/// Loss curves: one small chart per named series, each on its own scale (an L_U term at a
/// per-pixel scale is not a flat line on the metric loss's axis), the raw per-step values
/// faint and their moving average over ~1/30 of the run in full colour; steps on the x axis.
pub fn loss_curves_svg(curves: &Curves, width: u32, height: u32) -> Result<String, String> {
    curves_svg(&[curves], &[], width, height)
}

/// [`loss_curves_svg`] for one or more runs: one chart per loss term any run has, each on its
/// own scale. One run: faint raw values, its moving average in the term's colour. Several:
/// each run's moving average in the run's colour ([`class_color`] of its position), overlaid.
/// `marks`: steps where a dotted vertical line goes (the ends of epochs).
pub fn curves_svg(
    runs: &[&Curves],
    marks: &[f64],
    width: u32,
    height: u32,
) -> Result<String, String> {
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in runs.iter().flat_map(|c| c.series.iter()) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let series = |name: &str| -> Vec<(usize, &Vec<(f64, f64)>)> {
        runs.iter()
            .enumerate()
            .filter_map(|(r, c)| {
                c.series
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, p)| (r, p))
            })
            .collect()
    };
    svg_drawing((width, height), |root| {
        let all = || {
            runs.iter()
                .flat_map(|c| c.series.iter())
                .flat_map(|(_, p)| p.iter())
        };
        let x_range = padded_range(all().map(|p| p.0).chain([0.0, 1.0]));
        let panels = root.split_evenly((names.len().max(1), 1));
        for (i, (name, panel)) in names.iter().zip(&panels).enumerate() {
            let caption_color = if runs.len() == 1 {
                class_color(i)
            } else {
                BLACK
            };
            let y_range =
                padded_range(series(name).iter().flat_map(|(_, p)| p.iter().map(|q| q.1)));
            let caption = (*name, caption_color);
            let mut chart = step_chart(panel, caption, x_range.clone(), y_range, 4, marks)?;
            for (r, points) in series(name) {
                let color = if runs.len() == 1 {
                    class_color(i)
                } else {
                    class_color(r)
                };
                if runs.len() == 1 {
                    chart
                        .draw_series(LineSeries::new(points.iter().copied(), color.mix(0.3)))
                        .map_err(|e| e.to_string())?;
                }
                chart
                    .draw_series(LineSeries::new(
                        smoothed(points, points.len() / 30),
                        color.stroke_width(2),
                    ))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

type StepChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// A chart over training steps (integer ticks) with its caption, mesh and dotted verticals at
/// `marks` (the ends of epochs): the frame shared by [`curves_svg`] and [`accuracy_svg`].
fn step_chart<'a, 'b>(
    area: &'a Area<'b>,
    (caption, color): (&str, RGBColor),
    x_range: std::ops::Range<f64>,
    y_range: std::ops::Range<f64>,
    y_labels: usize,
    marks: &[f64],
) -> Result<StepChart<'a, 'b>, String> {
    let mut chart = ChartBuilder::on(area)
        .margin(6)
        .caption(caption, ("sans-serif", 14).into_font().color(&color))
        .x_label_area_size(22)
        .y_label_area_size(52)
        .build_cartesian_2d(x_range, y_range.clone())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .light_line_style(WHITE.mix(0.0))
        .x_labels(8)
        .y_labels(y_labels)
        .label_style(("sans-serif", 12))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| short_number(*y))
        .draw()
        .map_err(|e| e.to_string())?;
    for &m in marks {
        chart
            .draw_series(DashedLineSeries::new(
                [(m, y_range.start), (m, y_range.end)],
                2,
                3,
                BLACK.mix(0.35).stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
    }
    Ok(chart)
}

/// kNN accuracy while training, one line with dots per run (in the run's colour, as in
/// [`curves_svg`]) on a fixed 0–1 scale, the dashed line at `chance`, dotted verticals at
/// `marks` (the ends of epochs).
pub fn accuracy_svg(
    runs: &[&[(f64, f64)]],
    chance: Option<f64>,
    marks: &[f64],
    width: u32,
    height: u32,
) -> Result<String, String> {
    svg_drawing((width, height), |root| {
        let x_range = padded_range(
            runs.iter()
                .flat_map(|r| r.iter().map(|p| p.0))
                .chain([0.0, 1.0]),
        );
        let caption = ("kNN accuracy, first test images", BLACK);
        let mut chart = step_chart(root, caption, x_range.clone(), 0.0..1.0, 6, marks)?;
        if let Some(c) = chance {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x_range.start, c), (x_range.end, c)],
                    5,
                    4,
                    RGBColor(214, 39, 40).mix(0.7).stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
        }
        for (r, points) in runs.iter().enumerate() {
            let color = class_color(if runs.len() == 1 { 0 } else { r });
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// The collapse diagnostics as bars, one per latent dimension: the variance of its encoder
/// mean over the test images (log scale, blue when active, grey when not, the dashed line at
/// the active-unit threshold) and, for the unit prior, its KL to N(0, 1) in nats (orange).
// Long: one plotters chart, drawn layer by layer (axes, bars, threshold, KL).
pub fn latent_bars_svg(d: &LatentDiagnostics, width: u32, height: u32) -> Result<String, String> {
    let floor = 1e-5f64;
    let log = |v: f64| v.max(floor).log10();
    let dims = d.variance.len().max(1);
    // plotters' segmented 0..n has n + 1 segments.
    let segments = || (0..dims - 1).into_segmented();
    // Bars sit on segments labelled 1..=d (only some labels when d is large).
    let every = dims.div_ceil(12);
    let dim_label = |x: &SegmentValue<usize>| match x {
        SegmentValue::CenterOf(i) if i % every == 0 => format!("{}", i + 1),
        _ => String::new(),
    };
    svg_drawing((width, height), |root| {
        let panels = match &d.kl_per_dim {
            Some(_) => root.split_evenly((2, 1)),
            None => vec![root.clone()],
        };
        let top = d.variance.iter().map(|&v| log(v)).fold(0.0f64, f64::max) + 0.3;
        let bar = |i: usize, lo: f64, hi: f64, color: RGBColor| {
            Rectangle::new(
                [
                    (SegmentValue::Exact(i), lo),
                    (SegmentValue::Exact(i + 1), hi),
                ],
                color.filled(),
            )
            .into_dyn()
        };
        let mut chart = ChartBuilder::on(&panels[0])
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(44)
            .caption(
                "variance of each latent dimension's mean",
                ("sans-serif", 13),
            )
            .build_cartesian_2d(segments(), log(floor)..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&dim_label)
            .y_labels(6)
            .y_label_formatter(&|y| format!("1e{}", y.round() as i32))
            .draw()
            .map_err(|e| e.to_string())?;
        let threshold = crate::eval::diagnostics::ACTIVE_THRESHOLD;
        chart
            .draw_series(d.variance.iter().enumerate().map(|(i, &v)| {
                let color = if v > threshold {
                    class_color(0)
                } else {
                    RGBColor(170, 170, 170)
                };
                bar(i, log(floor), log(v), color)
            }))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(DashedLineSeries::new(
                [
                    (SegmentValue::Exact(0), log(threshold)),
                    (SegmentValue::Exact(dims), log(threshold)),
                ],
                4,
                3,
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
        if let (Some(per_dim), Some(panel)) = (&d.kl_per_dim, panels.get(1)) {
            let top = per_dim.iter().copied().fold(0.0f64, f64::max).max(1e-3) * 1.1;
            let mut chart = ChartBuilder::on(panel)
                .margin(8)
                .x_label_area_size(24)
                .y_label_area_size(44)
                .caption("KL to N(0, 1) per dimension (nats)", ("sans-serif", 13))
                .build_cartesian_2d(segments(), 0.0..top)
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_label_formatter(&dim_label)
                .y_labels(5)
                .draw()
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(
                    per_dim
                        .iter()
                        .enumerate()
                        .map(|(i, &kl)| bar(i, 0.0, kl, class_color(1))),
                )
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// The latent scatter: one `<circle>` per point, coloured by class, and each prior component
/// as a dashed black ring of one standard deviation (a 48-segment `<polyline>`).
pub fn scatter_svg(scatter: &Scatter, width: u32, height: u32) -> Result<String, String> {
    scatter_svg_in(scatter, None, width, height)
}

/// The x and y ranges that hold every point of every scatter (and their prior rings), padded:
/// scatters drawn side by side at one scale.
pub fn common_ranges(scatters: &[&Scatter]) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let points = || {
        scatters.iter().flat_map(|s| {
            s.points
                .iter()
                .map(|p| (p[0] as f64, p[1] as f64))
                .chain(s.components.iter().flat_map(|c| {
                    let r = c.radius as f64;
                    [
                        (c.center[0] as f64 - r, c.center[1] as f64 - r),
                        (c.center[0] as f64 + r, c.center[1] as f64 + r),
                    ]
                }))
        })
    };
    (
        padded_range(points().map(|p| p.0)),
        padded_range(points().map(|p| p.1)),
    )
}

/// [`scatter_svg`] on the given `(x, y)` ranges (its own when `None`).
pub fn scatter_svg_in(
    scatter: &Scatter,
    ranges: Option<(std::ops::Range<f64>, std::ops::Range<f64>)>,
    width: u32,
    height: u32,
) -> Result<String, String> {
    svg_drawing((width, height), |root| {
        let ring = |c: &Component| {
            let c = *c;
            (0..=48).map(move |i| {
                let a = std::f64::consts::TAU * i as f64 / 48.0;
                (
                    c.center[0] as f64 + c.radius as f64 * a.cos(),
                    c.center[1] as f64 + c.radius as f64 * a.sin(),
                )
            })
        };
        let xs = scatter.points.iter().map(|p| p[0] as f64);
        let ys = scatter.points.iter().map(|p| p[1] as f64);
        let ring_points: Vec<(f64, f64)> = scatter.components.iter().flat_map(ring).collect();
        let (x_range, y_range) = ranges.unwrap_or_else(|| {
            (
                padded_range(xs.chain(ring_points.iter().map(|p| p.0))),
                padded_range(ys.chain(ring_points.iter().map(|p| p.1))),
            )
        });
        let axis = scatter.axis_prefix();
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .build_cartesian_2d(x_range, y_range)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(format!("{axis}1"))
            .y_desc(format!("{axis}2"))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(scatter.points.iter().zip(&scatter.labels).map(|(p, &l)| {
                Circle::new(
                    (p[0] as f64, p[1] as f64),
                    2,
                    class_color(l as usize).mix(0.7).filled(),
                )
            }))
            .map_err(|e| e.to_string())?;
        for c in &scatter.components {
            chart
                .draw_series(DashedLineSeries::new(
                    ring(c),
                    4,
                    3,
                    BLACK.mix(0.8).stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// Test images (top row) over their reconstructions (bottom row), `scale` pixels per pixel.
pub fn reconstructions_svg(grid: &ReconGrid, scale: u32) -> Result<String, String> {
    let rows = [
        (String::new(), grid.originals.clone()),
        (String::new(), grid.reconstructions.clone()),
    ];
    image_rows_svg(&rows, grid.width, grid.height, scale)
}

/// A few images of each class (rows labelled with the class names), as the page shows them
/// once a dataset is loaded.
pub fn class_samples_svg(
    set: &crate::data::ImageSet,
    class_names: &[String],
    per_class: usize,
    scale: u32,
) -> Result<String, String> {
    let samples = super::figures::class_samples(set, class_names.len(), per_class);
    let rows: Vec<(String, Vec<Vec<u8>>)> = class_names.iter().cloned().zip(samples).collect();
    image_rows_svg(&rows, set.cols, set.rows, scale)
}

/// Rows of grey images (`width`×`height`, pixels 0–255 row-major), each row with an optional
/// label on its left, `scale` pixels per pixel.
pub fn image_rows_svg(
    rows: &[(String, Vec<Vec<u8>>)],
    width: usize,
    height: usize,
    scale: u32,
) -> Result<String, String> {
    let (w, h) = (width as u32, height as u32);
    let gap = 4;
    let label_width = if rows.iter().any(|(label, _)| !label.is_empty()) {
        8 * rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0) as u32
            + 8
    } else {
        0
    };
    let count = rows
        .iter()
        .map(|(_, images)| images.len())
        .max()
        .unwrap_or(0) as u32;
    let size = (
        label_width + count * (w * scale + gap) + gap,
        rows.len() as u32 * (h * scale + gap) + gap,
    );
    svg_drawing(size, |root| {
        for (row, (label, images)) in rows.iter().enumerate() {
            let y0 = (gap + row as u32 * (h * scale + gap)) as i32;
            if !label.is_empty() {
                let style = ("sans-serif", 13).into_font().color(&BLACK);
                let y = y0 + (h * scale / 2) as i32 - 6;
                root.draw(&Text::new(label.clone(), (2, y), style))
                    .map_err(|e| e.to_string())?;
            }
            for (col, pixels) in images.iter().enumerate() {
                let x0 = (label_width + gap + col as u32 * (w * scale + gap)) as i32;
                let tile = [(x0, y0), (x0 + (w * scale) as i32, y0 + (h * scale) as i32)];
                root.draw(&Rectangle::new(tile, BLACK.filled()))
                    .map_err(|e| e.to_string())?;
                for (i, &v) in pixels.iter().enumerate() {
                    // Quantised to 16 grey levels; dark pixels are the tile itself.
                    let level = v / 16 * 17;
                    if level == 0 {
                        continue;
                    }
                    let (px, py) = ((i as u32 % w * scale) as i32, (i as u32 / w * scale) as i32);
                    let cell = [
                        (x0 + px, y0 + py),
                        (x0 + px + scale as i32, y0 + py + scale as i32),
                    ];
                    root.draw(&Rectangle::new(
                        cell,
                        RGBColor(level, level, level).filled(),
                    ))
                    .map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses the SVG and counts its elements by tag name.
    fn count(svg: &str, tag: &str) -> usize {
        let doc = roxmltree::Document::parse(svg).expect("valid SVG");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        doc.descendants()
            .filter(|n| n.tag_name().name() == tag)
            .count()
    }

    #[test]
    fn scatter_has_one_circle_per_point_and_a_ring_per_component() {
        let scatter = Scatter {
            points: (0..37).map(|i| [i as f32, (i * i) as f32]).collect(),
            labels: (0..37).map(|i| (i % 10) as u8).collect(),
            components: vec![
                Component {
                    center: [0.0, 0.0],
                    radius: 1.0,
                },
                Component {
                    center: [5.0, 5.0],
                    radius: 2.0,
                },
            ],
            axes: "PCA".into(),
        };
        let plain = scatter_svg(
            &Scatter {
                components: vec![],
                ..scatter.clone()
            },
            400,
            300,
        )
        .unwrap();
        assert_eq!(count(&plain, "circle"), 37);
        let with_prior = scatter_svg(&scatter, 400, 300).unwrap();
        assert_eq!(count(&with_prior, "circle"), 37);
        // Each dashed ring adds polylines (its dashes) that the plain scatter does not have.
        let extra = count(&with_prior, "polyline") + count(&with_prior, "path")
            - count(&plain, "polyline")
            - count(&plain, "path");
        assert!(extra >= 2, "{extra}: {with_prior}");
        assert!(with_prior.contains("PC1") && with_prior.contains("PC2"));
    }

    #[test]
    fn reconstruction_grid_draws_two_rows_of_tiles() {
        let grid = ReconGrid {
            width: 2,
            height: 2,
            originals: vec![vec![0, 255, 0, 0], vec![0, 0, 0, 0], vec![255; 4]],
            reconstructions: vec![vec![10, 200, 0, 0], vec![0; 4], vec![128; 4]],
        };
        let svg = reconstructions_svg(&grid, 3).unwrap();
        // 6 black tiles + 1 + 4 lit originals + 1 + 4 lit reconstructions (10 < 16 stays dark),
        // plus the white background.
        assert_eq!(count(&svg, "rect"), 1 + 6 + 5 + 5, "{svg}");
    }

    #[test]
    fn class_samples_draw_a_labelled_row_per_class() {
        // 2×2 images: labels 0,1,0,2,0; class 1 has one image, class 2 one, class 0 three.
        let set =
            crate::data::ImageSet::new("train", vec![255; 5 * 4], vec![0, 1, 0, 2, 0], 2, 2, 3)
                .unwrap();
        let samples = crate::report::figures::class_samples(&set, 3, 2);
        assert_eq!(
            samples.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![2, 1, 1]
        );
        let names: Vec<String> = ["zero", "one", "two"].map(String::from).to_vec();
        let svg = class_samples_svg(&set, &names, 2, 1).unwrap();
        // background + 4 tiles + 4 lit pixels per tile; one text label per class.
        assert_eq!(count(&svg, "rect"), 1 + 4 + 4 * 4, "{svg}");
        assert_eq!(count(&svg, "text"), 3, "{svg}");
        assert!(svg.contains("two"), "{svg}");
    }

    #[test]
    fn loss_curves_draw_one_polyline_per_series() {
        let mut c = Curves::default();
        for step in 1..=3 {
            c.push(
                step as f64,
                &vec![
                    ("triplet".into(), 1.0 / step as f64),
                    ("active_triplets".into(), 0.5),
                ],
            );
        }
        let svg = loss_curves_svg(&c, 400, 300).unwrap();
        // Each series: its faint raw line and its smoothed line, in the series' colour, in a
        // chart of its own (its name as the caption).
        for color in ["#1F77B4", "#FF7F0E"] {
            let lines = svg
                .lines()
                .filter(|l| l.starts_with("<polyline") && l.contains(color))
                .count();
            assert_eq!(lines, 2, "{color}: {svg}");
        }
        assert!(svg.contains("triplet") && svg.contains("active_triplets"));
        assert!(loss_curves_svg(&Curves::default(), 400, 200).is_ok());
    }

    /// Two runs overlaid: one chart per term either run has, each run's smoothed line in the
    /// run's colour (no faint raw lines); a term only one run has is drawn for that run only.
    #[test]
    fn overlaid_curves_colour_each_run_and_mark_epochs() {
        let run = |scale: f64, extra: bool| {
            let mut c = Curves::default();
            for step in 1..=4 {
                let mut terms = vec![("triplet".to_string(), scale / step as f64)];
                if extra {
                    terms.push(("kl".into(), 0.1));
                }
                c.push(step as f64, &terms);
            }
            c
        };
        let (a, b) = (run(1.0, false), run(2.0, true));
        let svg = curves_svg(&[&a, &b], &[2.0], 400, 300).unwrap();
        let lines = |color: &str| {
            svg.lines()
                .filter(|l| l.starts_with("<polyline") && l.contains(color))
                .count()
        };
        assert_eq!(lines("#1F77B4"), 1, "run 1: triplet only: {svg}");
        assert_eq!(lines("#FF7F0E"), 2, "run 2: triplet and kl: {svg}");
        assert!(
            svg.lines().any(|l| l.trim() == "kl"),
            "the kl chart's caption: {svg}"
        );
        // The epoch mark: a dashed vertical line in each of the two charts.
        let dashed = svg
            .lines()
            .filter(|l| l.contains("stroke-dasharray") || l.starts_with("<line"))
            .count();
        assert!(dashed >= 2, "{svg}");
    }

    /// Accuracy points as dots on a 0–1 axis, one colour per run, the chance line dashed red.
    #[test]
    fn accuracy_chart_draws_a_dot_per_point_and_the_chance_line() {
        let a = [(10.0, 0.5), (20.0, 0.8), (30.0, 0.9)];
        let b = [(10.0, 0.3), (30.0, 0.6)];
        let svg = accuracy_svg(&[&a, &b], Some(0.1135), &[], 400, 200).unwrap();
        assert_eq!(count(&svg, "circle"), 5, "{svg}");
        assert!(svg.contains("#D62728"), "the chance line: {svg}");
        let one = accuracy_svg(&[&a], None, &[], 400, 200).unwrap();
        assert_eq!(count(&one, "circle"), 3);
        assert!(!one.contains("#D62728"));
    }

    /// Side by side at one scale: the common ranges hold every point of both scatters.
    #[test]
    fn common_ranges_hold_every_scatter() {
        let s = |points: Vec<[f32; 2]>| Scatter {
            labels: vec![0; points.len()],
            points,
            components: vec![],
            axes: "PCA".into(),
        };
        let (a, b) = (
            s(vec![[0.0, 0.0], [1.0, 1.0]]),
            s(vec![[-5.0, 2.0], [3.0, 10.0]]),
        );
        let (x, y) = common_ranges(&[&a, &b]);
        assert!(
            x.start < -5.0 && x.end > 3.0 && y.start < 0.0 && y.end > 10.0,
            "{x:?} {y:?}"
        );
        let (xa, _) = common_ranges(&[&a]);
        assert!(xa.start > -1.0 && xa.end < 2.0);
    }

    #[test]
    fn smoothing_and_axis_numbers() {
        let pts: Vec<(f64, f64)> = (0..5)
            .map(|i| (i as f64, if i % 2 == 0 { 1.0 } else { 0.0 }))
            .collect();
        let avg = smoothed(&pts, 3); // α = 0.5
        let ys: Vec<f64> = avg.iter().map(|p| p.1).collect();
        assert_eq!(ys, [1.0, 0.5, 0.75, 0.375, 0.6875]);
        assert_eq!(smoothed(&pts, 0), pts, "a span of 1 point is the raw line");
        assert_eq!(short_number(0.00123456), "0.00123");
        assert_eq!(short_number(0.000123456), "1.2e-4");
        assert_eq!(short_number(12.5), "12.5");
        assert_eq!(short_number(1500.0), "1500");
        assert_eq!(short_number(2.0), "2");
        assert_eq!(short_number(1e-7), "1.0e-7");
    }

    #[test]
    fn latent_bars_colour_active_and_inactive_dimensions() {
        let d = LatentDiagnostics {
            variance: vec![0.5, 0.002, 0.2],
            active_units: 2,
            kl_nats: Some(1.0),
            kl_per_dim: None,
            chance_accuracy: 0.1,
        };
        let svg = latent_bars_svg(&d, 300, 200).unwrap();
        let (r, g, b) = CLASS_COLORS[0];
        let blue = format!("#{r:02X}{g:02X}{b:02X}");
        assert_eq!(svg.matches(&blue).count(), 2, "two active bars: {svg}");
        assert_eq!(svg.matches("#AAAAAA").count(), 1, "one inactive bar");
        let unit = LatentDiagnostics {
            kl_per_dim: Some(vec![0.3, 0.0, 0.7]),
            ..d
        };
        let svg = latent_bars_svg(&unit, 300, 300).unwrap();
        let (r, g, b) = CLASS_COLORS[1];
        assert_eq!(
            svg.matches(&format!("#{r:02X}{g:02X}{b:02X}")).count(),
            3,
            "a KL bar per dimension"
        );
        assert!(svg.contains("KL to N(0, 1) per dimension"));
        // One dimension draws one bar.
        let one = LatentDiagnostics {
            variance: vec![0.5],
            active_units: 1,
            kl_nats: None,
            kl_per_dim: None,
            chance_accuracy: 0.1,
        };
        let svg = latent_bars_svg(&one, 300, 200).unwrap();
        let (r, g, b) = CLASS_COLORS[0];
        assert_eq!(svg.matches(&format!("#{r:02X}{g:02X}{b:02X}")).count(), 1);
    }
}
