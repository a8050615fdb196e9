//! Comparison tables across runs in the paper's layout: rows = label budget (pl %), columns =
//! model × lsdim, cells = probe accuracy / AMI (mean ± standard deviation over seeds).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::run_record::RunRecord;
use crate::eval::ClassifierProbe;

/// Config fields that never split a column: the table's own axes, the seed (averaged over) and
/// where it ran.
const NOT_A_VARIANT: [&str; 5] = ["pl", "lsdim", "seed", "backend", "model"];

/// Runs that share everything but the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub runs: usize,
    pub accuracy: (f64, f64),
    pub ami: (f64, f64),
    /// Collapse diagnostics, where the runs have them.
    pub latent: Option<LatentCell>,
}

/// A cell's collapse diagnostics over its seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentCell {
    /// Mean active units, and the latent dimension.
    pub active_units: f64,
    pub lsdim: usize,
    /// Mean KL to the prior over the test images, nats (models with a prior).
    pub kl_nats: Option<f64>,
    /// Seeds whose run collapsed ([`RunRecord::collapse`]).
    pub collapsed: usize,
}

/// A column: a model with the config fields that differ between the compared runs of that
/// model (fields in which only different models differ, such as their defaults, name no
/// column).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Column {
    pub model: String,
    /// e.g. `alpha=0.5, schedule=alternating`; empty when nothing else varies.
    pub variant: String,
    pub lsdim: usize,
}

impl Column {
    pub fn label(&self) -> String {
        match self.variant.as_str() {
            "" => format!("{} d={}", self.model, self.lsdim),
            v => format!("{} ({v}) d={}", self.model, self.lsdim),
        }
    }
}

/// The comparison of many runs for one classifier probe.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub probe: String,
    /// Label budgets in percent, ascending.
    pub rows: Vec<f64>,
    pub columns: Vec<Column>,
    /// Keyed by (row index, column index).
    pub cells: BTreeMap<(usize, usize), Cell>,
}

fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// A run's config as text, without the fields its model ignores.
fn config_fields(r: &RunRecord) -> BTreeMap<String, String> {
    r.config
        .used_fields()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Fields (other than the table's axes and the seed) whose value differs between runs.
fn varying_fields(all: &[BTreeMap<String, String>]) -> Vec<String> {
    let keys: BTreeSet<&String> = all.iter().flat_map(|m| m.keys()).collect();
    keys.into_iter()
        .filter(|k| !NOT_A_VARIANT.contains(&k.as_str()))
        .filter(|k| {
            // Only among the runs whose model uses the field.
            let values: BTreeSet<&String> = all.iter().filter_map(|m| m.get(*k)).collect();
            values.len() > 1
        })
        .cloned()
        .collect()
}

/// Builds the comparison for `probe`; runs without that probe are left out.
pub fn compare(records: &[RunRecord], probe: ClassifierProbe) -> Comparison {
    let all_fields: Vec<BTreeMap<String, String>> = records.iter().map(config_fields).collect();
    // The fields that differ between the runs of each model, once per model.
    let mut varying: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for model in records.iter().map(|r| r.config.model) {
        varying
            .entry(crate::config::name_of(&model))
            .or_insert_with(|| {
                let of_model: Vec<BTreeMap<String, String>> = records
                    .iter()
                    .zip(&all_fields)
                    .filter(|(r, _)| r.config.model == model)
                    .map(|(_, f)| f.clone())
                    .collect();
                varying_fields(&of_model)
            });
    }
    let mut groups: BTreeMap<(u64, Column), Vec<&RunRecord>> = BTreeMap::new();
    for (r, fields) in records.iter().zip(&all_fields) {
        if r.metrics.probe(probe).is_none() {
            continue;
        }
        let variant = varying[&crate::config::name_of(&r.config.model)]
            .iter()
            .filter_map(|k| fields.get(k).map(|v| format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join(", ");
        let column = Column {
            model: crate::config::name_of(&r.config.model),
            variant,
            lsdim: r.config.lsdim,
        };
        groups
            .entry((r.config.pl.to_bits(), column))
            .or_default()
            .push(r);
    }
    let rows: Vec<f64> = {
        let mut pls: Vec<f64> = groups.keys().map(|(pl, _)| f64::from_bits(*pl)).collect();
        pls.sort_by(f64::total_cmp);
        pls.dedup();
        pls
    };
    let columns: Vec<Column> = groups
        .keys()
        .map(|(_, c)| c.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let cells = groups
        .into_iter()
        .map(|((pl, column), runs)| {
            let row = rows.iter().position(|r| r.to_bits() == pl).unwrap_or(0);
            let col = columns.iter().position(|c| *c == column).unwrap_or(0);
            let scores: Vec<_> = runs.iter().filter_map(|r| r.metrics.probe(probe)).collect();
            let acc: Vec<f64> = scores.iter().map(|s| s.accuracy).collect();
            let ami: Vec<f64> = scores.iter().map(|s| s.ami).collect();
            let cell = Cell {
                runs: scores.len(),
                accuracy: mean_sd(&acc),
                ami: mean_sd(&ami),
                latent: latent_cell(&runs),
            };
            ((row, col), cell)
        })
        .collect();
    Comparison {
        probe: probe.name().to_string(),
        rows,
        columns,
        cells,
    }
}

/// The diagnostics of a cell's runs, if every run has them.
fn latent_cell(runs: &[&RunRecord]) -> Option<LatentCell> {
    let diagnostics: Vec<_> = runs
        .iter()
        .map(|r| r.diagnostics.as_ref())
        .collect::<Option<_>>()?;
    let n = diagnostics.len().max(1) as f64;
    let kls: Option<Vec<f64>> = diagnostics.iter().map(|d| d.kl_nats).collect();
    Some(LatentCell {
        active_units: diagnostics
            .iter()
            .map(|d| d.active_units as f64)
            .sum::<f64>()
            / n,
        lsdim: diagnostics.first().map_or(0, |d| d.variance.len()),
        kl_nats: kls.map(|k| k.iter().sum::<f64>() / n),
        collapsed: runs.iter().filter(|r| r.collapse().is_some()).count(),
    })
}

/// A cell's diagnostics as text: `active 1/4 · KL 0.02 · collapsed`, with `(2 of 3 seeds)`.
pub fn latent_text(c: &Cell) -> String {
    let Some(l) = &c.latent else {
        return "–".into();
    };
    let mut text = format!("active {}/{}", trim_number(l.active_units), l.lsdim);
    if let Some(kl) = l.kl_nats {
        text.push_str(&format!(" · KL {kl:.2}"));
    }
    match (l.collapsed, c.runs) {
        (0, _) => {}
        (k, n) if k == n => text.push_str(" · **collapsed**"),
        (k, n) => text.push_str(&format!(" · **collapsed** ({k} of {n} seeds)")),
    }
    text
}

/// `2` for 2.0, `2.33` for 2.333….
fn trim_number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// A cell as the tables show it: `acc / AMI`, with ± sd and n when several seeds ran.
pub fn cell_text(c: &Cell) -> String {
    if c.runs > 1 {
        format!(
            "{:.4}±{:.4} / {:.4}±{:.4} (n={})",
            c.accuracy.0, c.accuracy.1, c.ami.0, c.ami.1, c.runs
        )
    } else {
        format!("{:.4} / {:.4}", c.accuracy.0, c.ami.0)
    }
}

impl Comparison {
    /// The table as Markdown; the best accuracy of each row is bold.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(Column::label).collect();
        let _ = writeln!(out, "| pl % | {} |", header.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(self.columns.len()));
        for (r, pl) in self.rows.iter().enumerate() {
            let best = (0..self.columns.len())
                .filter_map(|c| self.cells.get(&(r, c)).map(|cell| cell.accuracy.0))
                .fold(f64::NEG_INFINITY, f64::max);
            let cells: Vec<String> = (0..self.columns.len())
                .map(|c| match self.cells.get(&(r, c)) {
                    Some(cell) if cell.accuracy.0 == best => format!("**{}**", cell_text(cell)),
                    Some(cell) => cell_text(cell),
                    None => "–".into(),
                })
                .collect();
            let _ = writeln!(out, "| {pl} | {} |", cells.join(" | "));
        }
        out
    }

    /// The cells' collapse diagnostics in the same layout (Markdown), or `None` when no run
    /// has them.
    pub fn latent_markdown(&self) -> Option<String> {
        if self.cells.values().all(|c| c.latent.is_none()) {
            return None;
        }
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(Column::label).collect();
        let _ = writeln!(out, "| pl % | {} |", header.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(self.columns.len()));
        for (r, pl) in self.rows.iter().enumerate() {
            let cells: Vec<String> = (0..self.columns.len())
                .map(|c| {
                    self.cells
                        .get(&(r, c))
                        .map(latent_text)
                        .unwrap_or_else(|| "–".into())
                })
                .collect();
            let _ = writeln!(out, "| {pl} | {} |", cells.join(" | "));
        }
        Some(out)
    }

    /// One line per cell: `pl,model,variant,lsdim,probe,runs,accuracy_mean,accuracy_sd,ami_mean,ami_sd`.
    pub fn csv(&self) -> String {
        let mut out = csv::Writer::from_writer(Vec::new());
        let header = [
            "pl",
            "model",
            "variant",
            "lsdim",
            "probe",
            "runs",
            "accuracy_mean",
            "accuracy_sd",
            "ami_mean",
            "ami_sd",
        ];
        // Writing into a Vec cannot fail.
        let _ = out.write_record(header);
        for ((r, c), cell) in &self.cells {
            let col = &self.columns[*c];
            let _ = out.write_record([
                self.rows[*r].to_string(),
                col.model.clone(),
                col.variant.clone(),
                col.lsdim.to_string(),
                self.probe.clone(),
                cell.runs.to_string(),
                format!("{:.6}", cell.accuracy.0),
                format!("{:.6}", cell.accuracy.1),
                format!("{:.6}", cell.ami.0),
                format!("{:.6}", cell.ami.1),
            ]);
        }
        String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// A run's metrics as an aligned text table (the CLI's output).
pub fn metrics_text(m: &crate::eval::Metrics) -> String {
    let mut out = String::from("probe                              accuracy   AMI\n");
    for probe in ClassifierProbe::ALL {
        let label = probe.label();
        if let Some(s) = m.probe(probe) {
            let _ = writeln!(out, "{label:<34} {:<10.4} {:.4}", s.accuracy, s.ami);
        }
    }
    if let Some(k) = m.kmeans {
        let _ = writeln!(out, "{:<34} {}", crate::eval::KMEANS_LABEL, k.text());
    }
    if let Some(r) = m.retrieval {
        let _ = writeln!(out, "{:<34} {}", crate::eval::RETRIEVAL_LABEL, r.text());
    }
    let seconds: Vec<String> = m
        .seconds
        .iter()
        .map(|(k, v)| format!("{k} {v:.2}s"))
        .collect();
    let _ = writeln!(out, "probe time: {}", seconds.join(", "));
    out
}

/// A run's collapse diagnostics as text lines (the CLI's output), empty without them.
pub fn diagnostics_text(r: &RunRecord) -> String {
    let Some(d) = &r.diagnostics else {
        return String::new();
    };
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = format!(
        "latent: {} of {} dimensions active (variance of the means > {}: {})
",
        d.active_units,
        d.variance.len(),
        crate::eval::diagnostics::ACTIVE_THRESHOLD,
        list(&d.variance)
    );
    if let Some(kl) = d.kl_nats {
        let _ = write!(out, "KL to the prior: {kl:.3} nats per image");
        match &d.kl_per_dim {
            Some(per_dim) => {
                let _ = writeln!(out, " (per dimension: {})", list(per_dim));
            }
            None => out.push('\n'),
        }
    }
    let _ = writeln!(
        out,
        "chance (most frequent test class): {:.4}",
        d.chance_accuracy
    );
    if let Some(why) = r.collapse() {
        let _ = writeln!(
            out,
            "COLLAPSED: {why}. What usually fixes it: {}.",
            crate::eval::diagnostics::collapse_fixes(&r.config)
        );
    }
    out
}

/// Every metric of every run, one row each (Markdown), with the probes' seconds.
pub fn metrics_markdown(runs: &[(String, RunRecord)]) -> String {
    let mut out = String::from(
        "| run | model | pl % | d | seed | kNN acc/AMI | RF acc/AMI | MLP acc/AMI | few-label kNN acc/AMI | k-means NMI/AMI | P@1 | R-prec | MAP@R | train s | probes s |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    let pair = |s: Option<crate::eval::ProbeScores>| {
        s.map(|s| format!("{:.4} / {:.4}", s.accuracy, s.ami))
            .unwrap_or_else(|| "–".into())
    };
    for (name, r) in runs {
        let m = &r.metrics;
        let retrieval = |f: fn(&crate::eval::RetrievalScores) -> f64| {
            m.retrieval
                .as_ref()
                .map(|x| format!("{:.4}", f(x)))
                .unwrap_or_else(|| "–".into())
        };
        let probe_seconds: Vec<String> = m
            .seconds
            .iter()
            .map(|(k, v)| format!("{k} {v:.2}"))
            .collect();
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |",
            crate::config::name_of(&r.config.model),
            r.config.pl,
            r.config.lsdim,
            r.config.seed,
            pair(Some(m.knn)),
            pair(m.random_forest),
            pair(m.mlp),
            pair(m.few_label_knn),
            m.kmeans
                .map(|k| format!("{:.4} / {:.4}", k.nmi, k.ami))
                .unwrap_or_else(|| "–".into()),
            retrieval(|x| x.precision_at_1),
            retrieval(|x| x.r_precision),
            retrieval(|x| x.map_at_r),
            r.timings.train_seconds,
            probe_seconds.join(", "),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ExperimentConfig, ModelKind};
    use crate::eval::{Metrics, ProbeScores};
    use crate::report::Timings;
    use crate::train::speed::BackendInfo;

    fn record(
        model: ModelKind,
        pl: f64,
        lsdim: usize,
        seed: u64,
        alpha: f64,
        acc: f64,
    ) -> RunRecord {
        RunRecord {
            config: ExperimentConfig {
                model,
                pl,
                lsdim,
                seed,
                alpha,
                ..Default::default()
            },
            history: vec![],
            metrics: Metrics {
                knn: ProbeScores {
                    accuracy: acc,
                    ami: acc - 0.1,
                },
                random_forest: None,
                mlp: Some(ProbeScores {
                    accuracy: 0.5,
                    ami: 0.4,
                }),
                few_label_knn: None,
                kmeans: None,
                retrieval: None,
                knn_confusion: None,
                seconds: Default::default(),
            },
            backend: BackendInfo::new(crate::backend::BackendKind::Cpu, "ndarray"),
            labelled: 6,
            timings: Timings {
                train_seconds: 1.0,
                eval_seconds: 1.0,
                seconds_per_step: 0.1,
            },
            stopped_early: false,
            version: "test".into(),
            figures: None,
            diagnostics: None,
        }
    }

    #[test]
    fn rows_are_label_budgets_columns_model_by_lsdim_and_seeds_are_averaged() {
        let runs = vec![
            record(ModelKind::Dml, 10.0, 4, 0, 0.5, 0.90),
            record(ModelKind::Dml, 10.0, 4, 1, 0.5, 0.92),
            record(ModelKind::Dml, 0.1, 4, 0, 0.5, 0.60),
            record(ModelKind::DmlAe, 0.1, 4, 0, 0.5, 0.70),
            record(ModelKind::DmlAe, 0.1, 2, 0, 0.5, 0.65),
        ];
        let t = compare(&runs, ClassifierProbe::Knn);
        assert_eq!(t.rows, vec![0.1, 10.0]);
        let labels: Vec<String> = t.columns.iter().map(Column::label).collect();
        assert_eq!(labels, ["dml d=4", "dml-ae d=2", "dml-ae d=4"]);
        let seeds = &t.cells[&(1, 0)];
        assert_eq!(seeds.runs, 2);
        assert!((seeds.accuracy.0 - 0.91).abs() < 1e-12);
        assert!((seeds.accuracy.1 - 0.02f64.hypot(0.0) / 2f64.sqrt()).abs() < 1e-12);
        let md = t.markdown();
        assert!(
            md.starts_with("| pl % | dml d=4 | dml-ae d=2 | dml-ae d=4 |"),
            "{md}"
        );
        assert!(
            md.contains("| 0.1 | 0.6000 / 0.5000 | 0.6500 / 0.5500 | **0.7000 / 0.6000** |"),
            "{md}"
        );
        assert!(
            md.contains("| 10 | **0.9100±0.0141 / 0.8100±0.0141 (n=2)** | – | – |"),
            "{md}"
        );
        let csv = t.csv();
        assert_eq!(csv.lines().count(), 1 + 4);
        assert!(
            csv.contains("10,dml,,4,knn,2,0.910000,0.014142,0.810000,0.014142"),
            "{csv}"
        );
    }

    #[test]
    fn differing_fields_split_columns_and_missing_probes_are_skipped() {
        let runs = vec![
            record(ModelKind::DmlAe, 0.1, 4, 0, 0.5, 0.7),
            record(ModelKind::DmlAe, 0.1, 4, 0, 0.9, 0.8),
            // alpha means nothing to plain DML: no variant in its label.
            record(ModelKind::Dml, 0.1, 4, 0, 0.3, 0.6),
        ];
        let t = compare(&runs, ClassifierProbe::Knn);
        let labels: Vec<String> = t.columns.iter().map(Column::label).collect();
        assert_eq!(
            labels,
            [
                "dml d=4",
                "dml-ae (alpha=0.5) d=4",
                "dml-ae (alpha=0.9) d=4"
            ]
        );
        // A field in which only different models differ (their defaults) names no column;
        // within a model it does.
        let mut defaults = runs.clone();
        defaults[2].config.batch_size = 32;
        let labels: Vec<String> = compare(&defaults, ClassifierProbe::Knn)
            .columns
            .iter()
            .map(Column::label)
            .collect();
        assert_eq!(labels[0], "dml d=4");
        defaults.push(record(ModelKind::Dml, 0.1, 4, 1, 0.3, 0.6));
        let labels: Vec<String> = compare(&defaults, ClassifierProbe::Knn)
            .columns
            .iter()
            .map(Column::label)
            .collect();
        assert_eq!(
            labels[..2],
            ["dml (batch_size=256) d=4", "dml (batch_size=32) d=4"]
        );
        assert!(compare(&runs, ClassifierProbe::RandomForest)
            .cells
            .is_empty());
        assert_eq!(compare(&runs, ClassifierProbe::Mlp).cells.len(), 3);
        assert!(ClassifierProbe::parse("svm")
            .unwrap_err()
            .contains("unknown probe 'svm'"));
        let all = metrics_markdown(&[("a.json".into(), runs[0].clone())]);
        assert!(
            all.contains(
                "| a.json | dml-ae | 0.1 | 4 | 0 | 0.7000 / 0.6000 | – | 0.5000 / 0.4000 |"
            ),
            "{all}"
        );
    }

    /// Variants hold commas (several fields differ) and could hold quotes: the CSV quotes them
    /// as the format says (the hand-written writer turned `"` into `'`).
    #[test]
    fn csv_quotes_what_needs_quoting() {
        let t = Comparison {
            probe: "knn".into(),
            rows: vec![0.1],
            columns: vec![Column {
                model: "dml-ae".into(),
                variant: "alpha=0.5, note=\"x\"".into(),
                lsdim: 4,
            }],
            cells: [(
                (0, 0),
                Cell {
                    runs: 2,
                    accuracy: (0.5, 0.25),
                    ami: (0.4, 0.0),
                    latent: None,
                },
            )]
            .into(),
        };
        assert_eq!(
            t.csv(),
            "pl,model,variant,lsdim,probe,runs,accuracy_mean,accuracy_sd,ami_mean,ami_sd\n\
             0.1,dml-ae,\"alpha=0.5, note=\"\"x\"\"\",4,knn,2,0.500000,0.250000,0.400000,0.000000\n"
        );
    }

    #[test]
    fn the_diagnostics_table_counts_active_units_kl_and_collapsed_seeds() {
        use crate::eval::diagnostics::LatentDiagnostics;
        let with = |mut r: RunRecord, active: &[f64], kl: f64| {
            r.diagnostics = Some(LatentDiagnostics {
                variance: active.to_vec(),
                active_units: active.iter().filter(|&&v| v > 0.01).count(),
                kl_nats: Some(kl),
                kl_per_dim: None,
                chance_accuracy: 0.1135,
            });
            r
        };
        let runs = vec![
            // Seed 0 at chance, seed 1 healthy: one of two collapsed.
            with(
                record(ModelKind::DmlUnitPrior, 0.1, 2, 0, 0.5, 0.12),
                &[0.5, 0.4],
                3.0,
            ),
            with(
                record(ModelKind::DmlUnitPrior, 0.1, 2, 1, 0.5, 0.80),
                &[0.5, 0.3],
                1.0,
            ),
            // Both dimensions inactive: collapsed whatever the accuracy.
            with(
                record(ModelKind::DmlGmmPrior, 0.1, 2, 0, 0.5, 0.70),
                &[0.0, 0.001],
                0.5,
            ),
        ];
        let t = compare(&runs, ClassifierProbe::Knn);
        let md = t.latent_markdown().expect("the runs have diagnostics");
        assert!(
            md.contains(
                "| 0.1 | active 0/2 · KL 0.50 · **collapsed** | active 2/2 · KL 2.00 · **collapsed** (1 of 2 seeds) |"
            ),
            "{md}"
        );
        let plain = vec![record(ModelKind::Dml, 0.1, 2, 0, 0.5, 0.5)];
        assert_eq!(
            compare(&plain, ClassifierProbe::Knn).latent_markdown(),
            None
        );
    }
}
