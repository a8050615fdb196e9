//! `dml-lab report`: run records → comparison table (Markdown + CSV) and each run's plots.

use std::path::{Path, PathBuf};

use clap::Args;

use super::plots::write_plots;
use crate::report::table::{compare, metrics_markdown};
use crate::report::RunRecord;

/// Flags of `dml-lab report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Run records written by `dml-lab train --json` (or exported by the page).
    #[arg(required = true, value_name = "RUN.json")]
    runs: Vec<PathBuf>,
    /// Folder for report.md, report.csv and plots/<run>/*.svg.
    #[arg(long, value_name = "DIR", default_value = "report")]
    out: PathBuf,
    /// Classifier probe in the table's cells: knn, random_forest, mlp or few_label_knn.
    #[arg(long, default_value = "knn")]
    probe: String,
}

/// File name without its extension, for plot folders and table rows.
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into())
}

/// Runs `dml-lab report`.
pub fn run(args: ReportArgs) -> Result<(), String> {
    let mut runs = Vec::new();
    for path in &args.runs {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let record = RunRecord::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        runs.push((stem(path), record));
    }
    let records: Vec<RunRecord> = runs.iter().map(|(_, r)| r.clone()).collect();
    let table = compare(&records, crate::eval::ClassifierProbe::parse(&args.probe)?);
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let mut plotted = 0;
    for (name, record) in &runs {
        if let Some(figures) = &record.figures {
            write_plots(
                &args.out.join("plots").join(name),
                figures,
                &figures.scatter,
                record.diagnostics.as_ref(),
            )?;
            plotted += 1;
        }
    }
    let latent = table.latent_markdown().map(|t| {
        format!(
            "## Latent diagnostics\n\nActive units (dimensions whose encoder mean varies by more \
             than {} over the test images) / d, mean KL to the prior in nats per image, and \
             **collapsed** when kNN accuracy is within {} of chance or at most one unit is \
             active.\n\n{t}\n",
            crate::eval::diagnostics::ACTIVE_THRESHOLD,
            crate::eval::diagnostics::CHANCE_MARGIN,
        )
    });
    let markdown = format!(
        "# dml-lab report\n\n{} runs; cells: {} accuracy / AMI (mean±sd over seeds when n > 1); \
         best per row in bold.\n\n{}\n{}## Every metric per run\n\n{}\nPlots: `plots/<run>/` \
         (loss.svg, scatter.svg, reconstructions.svg for decoder models, latent.svg with the diagnostics).\n",
        runs.len(),
        args.probe,
        table.markdown(),
        latent.clone().unwrap_or_default(),
        metrics_markdown(&runs)
    );
    let write = |name: &str, text: &str| {
        let path = args.out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("report.md", &markdown)?;
    write("report.csv", &table.csv())?;
    print!("{}", table.markdown());
    if let Some(latent) = latent {
        print!("\n{latent}");
    }
    eprintln!(
        "wrote {}/report.md, report.csv and plots for {plotted} of {} runs",
        args.out.display(),
        runs.len()
    );
    Ok(())
}
