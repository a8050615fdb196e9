//! Plots as SVG text, drawn with plotters: the CLI writes the files, the page shows the same SVG.

use plotters::prelude::*;

use super::curves::Curves;

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

/// Loss curves, one coloured line per named series, with a legend.
pub fn loss_curves_svg(curves: &Curves, width: u32, height: u32) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let all = || curves.series.iter().flat_map(|(_, p)| p.iter());
        let x_range = padded_range(all().map(|p| p.0).chain([0.0, 1.0]));
        let y_range = padded_range(all().map(|p| p.1).chain([0.0]));
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .build_cartesian_2d(x_range, y_range)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("step")
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, (name, points)) in curves.series.iter().enumerate() {
            let color = class_color(i);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), &color))
                .map_err(|e| e.to_string())?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
        if !curves.series.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// A scatter of 2-D points coloured by class; each point is one `<circle>`.
pub fn scatter_svg(
    points: &[[f32; 2]],
    labels: &[u8],
    width: u32,
    height: u32,
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let x_range = padded_range(points.iter().map(|p| p[0] as f64));
        let y_range = padded_range(points.iter().map(|p| p[1] as f64));
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(25)
            .y_label_area_size(40)
            .build_cartesian_2d(x_range, y_range)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(points.iter().zip(labels).map(|(p, &l)| {
                Circle::new(
                    (p[0] as f64, p[1] as f64),
                    2,
                    class_color(l as usize).mix(0.7).filled(),
                )
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_has_one_circle_per_point() {
        let pts: Vec<[f32; 2]> = (0..37).map(|i| [i as f32, (i * i) as f32]).collect();
        let labels: Vec<u8> = (0..37).map(|i| (i % 10) as u8).collect();
        let svg = scatter_svg(&pts, &labels, 400, 300).unwrap();
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<circle").count(), 37);
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
        let svg = loss_curves_svg(&c, 400, 200).unwrap();
        // Each series: its line and its legend mark, in the series' colour.
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
}
