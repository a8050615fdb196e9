//! Writing a run's plots as SVG files (shared by `train --plots` and `report`).

use std::path::Path;

use crate::report::plot::{latent_bars_svg, loss_curves_svg, reconstructions_svg, scatter_svg};
use crate::report::run_record::LatentDiagnostics;
use crate::report::{Figures, Scatter};

/// Writes loss.svg, scatter.svg, (decoder models) reconstructions.svg and (with diagnostics)
/// latent.svg into `dir`; returns
/// the file names written.
pub fn write_plots(
    dir: &Path,
    figures: &Figures,
    scatter: &Scatter,
    diagnostics: Option<&LatentDiagnostics>,
) -> Result<Vec<String>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = vec![
        (
            "loss.svg",
            loss_curves_svg(
                &figures.curves,
                800,
                160 * figures.curves.series.len().max(2) as u32,
            )?,
        ),
        ("scatter.svg", scatter_svg(scatter, 800, 800)?),
    ];
    if let Some(grid) = &figures.reconstructions {
        files.push(("reconstructions.svg", reconstructions_svg(grid, 3)?));
    }
    if let Some(d) = diagnostics {
        files.push(("latent.svg", latent_bars_svg(d, 600, 400)?));
    }
    let mut written = Vec::new();
    for (name, svg) in files {
        let path = dir.join(name);
        std::fs::write(&path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(name.to_string());
    }
    Ok(written)
}
