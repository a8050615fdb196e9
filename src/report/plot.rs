//! Plots as SVG text, drawn with plotters: the CLI writes the files, the page shows the same SVG.

use plotters::prelude::*;

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
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let pad = ((hi - lo) * 0.05).max(1e-6);
    (lo - pad)..(hi + pad)
}

/// A loss curve: `points` are (step, loss).
pub fn loss_curve_svg(points: &[(f64, f64)], width: u32, height: u32) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let x_range = padded_range(points.iter().map(|p| p.0).chain([0.0, 1.0]));
        let y_range = padded_range(points.iter().map(|p| p.1).chain([0.0]));
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .build_cartesian_2d(x_range, y_range)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("loss")
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(points.iter().copied(), &class_color(0)))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// A scatter of 2-D points coloured by class; each point is one `<circle>`.
pub fn scatter_svg(points: &[[f32; 2]], labels: &[u8], width: u32, height: u32) -> Result<String, String> {
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
        chart.configure_mesh().disable_mesh().draw().map_err(|e| e.to_string())?;
        chart
            .draw_series(points.iter().zip(labels).map(|(p, &l)| {
                Circle::new((p[0] as f64, p[1] as f64), 2, class_color(l as usize).mix(0.7).filled())
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
    fn loss_curve_draws_a_polyline() {
        let svg = loss_curve_svg(&[(1.0, 0.9), (2.0, 0.5), (3.0, 0.4)], 400, 200).unwrap();
        assert!(svg.contains("<polyline"), "{svg}");
        assert!(loss_curve_svg(&[], 400, 200).is_ok());
    }
}
