//! Two or more finished runs side by side: their scores with the differences to the first, their
//! latent scatters at one scale, their loss and accuracy curves overlaid, and their kNN
//! confusion matrices. Runs are picked in the history list; everything is drawn from the run
//! records (so runs restored from the history compare too).

use leptos::prelude::*;

use super::charts::ConfusionTable;
use super::state::LabState;
use crate::config::name_of;
use std::rc::Rc;

use super::scatter::show_in;
use crate::data::Dataset;
use crate::report::plot::{accuracy_svg, common_ranges, curves_svg, CLASS_COLORS};
use crate::report::{RunRecord, Scatter};

/// One line that tells runs apart.
pub fn run_label(r: &RunRecord) -> String {
    let c = &r.config;
    format!(
        "{} · {} · pl {} % · d {} · seed {}",
        name_of(&c.dataset),
        c.model.name(),
        c.pl,
        c.lsdim,
        c.seed
    )
}

/// The scores compared, each a name and how to read it from a record.
type Score = (&'static str, fn(&RunRecord) -> Option<f64>);

const SCORES: [Score; 9] = [
    ("kNN accuracy", |r| Some(r.metrics.knn.accuracy)),
    ("kNN AMI", |r| Some(r.metrics.knn.ami)),
    ("random forest accuracy", |r| {
        r.metrics.random_forest.map(|s| s.accuracy)
    }),
    ("MLP accuracy", |r| r.metrics.mlp.map(|s| s.accuracy)),
    ("few-label kNN accuracy", |r| {
        r.metrics.few_label_knn.map(|s| s.accuracy)
    }),
    ("k-means AMI", |r| r.metrics.kmeans.map(|s| s.ami)),
    ("retrieval P@1", |r| {
        r.metrics.retrieval.map(|s| s.precision_at_1)
    }),
    ("retrieval MAP@R", |r| {
        r.metrics.retrieval.map(|s| s.map_at_r)
    }),
    ("training seconds", |r| Some(r.timings.train_seconds)),
];

/// The picked runs of the history, in its order.
fn picked(state: LabState) -> Vec<RunRecord> {
    let ids = state.compare.get();
    state.run_keys.with(|keys| {
        state.runs.with(|runs| {
            keys.iter()
                .zip(runs)
                .filter(|((local, _), _)| ids.contains(local))
                .map(|(_, r)| r.clone())
                .collect()
        })
    })
}

fn swatch(r: usize) -> impl IntoView {
    let (red, green, blue) = CLASS_COLORS[r % CLASS_COLORS.len()];
    view! {
        <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" rx="2" fill=format!("rgb({red},{green},{blue})") /></svg>
    }
}

/// One run's scatter on a canvas of its own (scatter.js: hover, zoom, pan) within `bounds`;
/// the tooltip shows the test image when the run's dataset is loaded in this page.
#[component]
fn CompareScatter(scatter: Scatter, data: Option<Rc<Dataset>>, bounds: [f64; 4]) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = host.get() {
            let names: Vec<String> = match &data {
                Some(d) => d.class_names.clone(),
                None => (0..=scatter.labels.iter().copied().max().unwrap_or(0))
                    .map(|c| c.to_string())
                    .collect(),
            };
            let images = data.as_ref().map(|d| &d.test);
            show_in(
                &el.into(),
                &scatter,
                &names,
                bounds,
                "compare-canvas",
                images,
            );
        }
    });
    view! { <div class="scatter-host compare-host" node_ref=host></div> }
}

/// The comparison of the picked runs (shown once two are picked).
// Long: one view! tree, the comparison's panels in page order.
#[component]
pub fn Comparison() -> impl IntoView {
    let state = expect_context::<LabState>();
    move || {
        let runs = picked(state);
        if runs.len() < 2 {
            return view! {
                <p class="muted" data-testid="compare-hint">"Tick two or more runs in the history to compare them: scores, latent spaces at one scale, curves overlaid, confusion matrices."</p>
            }
            .into_any();
        }
        let legend = runs
            .iter()
            .enumerate()
            .map(
                |(i, r)| view! { <li>{swatch(i)}{format!("Run {}: {}", i + 1, run_label(r))}</li> },
            )
            .collect_view();
        let head = (1..=runs.len())
            .map(|i| view! { <th>{format!("run {i}")}</th> })
            .chain((2..=runs.len()).map(|i| view! { <th>{format!("run {i} − run 1")}</th> }))
            .collect_view();
        let rows = SCORES
            .iter()
            .map(|(name, read)| {
                let values: Vec<Option<f64>> = runs.iter().map(read).collect();
                let digits = if name.ends_with("seconds") { 1 } else { 4 };
                let text = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.digits$}"));
                let first = values[0];
                let cells = values.iter().map(|&v| view! { <td>{text(v)}</td> });
                let diffs = values.iter().skip(1).map(move |&v| {
                    let d = v.zip(first).map(|(v, f)| v - f);
                    let text = d.map_or("–".to_string(), |d| format!("{d:+.digits$}"));
                    view! { <td data-testid="compare-diff">{text}</td> }
                });
                view! {
                    <tr data-metric=*name><td>{*name}</td>{cells.collect_view()}{diffs.collect_view()}</tr>
                }
            })
            .collect_view();
        let scatters: Vec<_> = runs
            .iter()
            .map(|r| r.figures.as_ref().map(|f| &f.scatter))
            .collect();
        let present: Vec<_> = scatters.iter().flatten().copied().collect();
        let ranges = common_ranges(&present);
        let bounds = [ranges.0.start, ranges.0.end, ranges.1.start, ranges.1.end];
        let scatter_views = scatters
            .iter()
            .zip(&runs)
            .enumerate()
            .map(|(i, (s, r))| {
                let caption = format!(
                    "Run {}: {} test points{}",
                    i + 1,
                    s.map_or(0, |s| s.points.len()),
                    s.map(|s| format!(", {}", s.axes)).unwrap_or_default()
                );
                let body = match s {
                    Some(s) => {
                        let data = state.session.with_value(|x| x.dataset(r.config.dataset));
                        view! { <CompareScatter scatter=(*s).clone() data=data bounds=bounds /> }.into_any()
                    }
                    None => view! { <p class="muted">"This record has no scatter (an older version made it)."</p> }.into_any(),
                };
                view! {
                    <figure data-testid="compare-scatter">
                        {body}
                        <figcaption class="muted">{swatch(i)}{caption}</figcaption>
                    </figure>
                }
            })
            .collect_view();
        let curves: Vec<_> = runs
            .iter()
            .filter_map(|r| r.figures.as_ref().map(|f| &f.curves))
            .collect();
        let terms = curves
            .iter()
            .flat_map(|c| c.series.iter().map(|(n, _)| n.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let curves_svg = curves_svg(&curves, &[], 440, 120 * terms.max(2) as u32)
            .unwrap_or_else(|e| format!("<p>plot failed: {e}</p>"));
        let accuracy: Vec<Vec<(f64, f64)>> = runs
            .iter()
            .map(|r| {
                r.figures.as_ref().map_or(Vec::new(), |f| {
                    f.accuracy
                        .iter()
                        .map(|p| (p.global_step as f64, p.accuracy))
                        .collect()
                })
            })
            .collect();
        let accuracy_refs: Vec<&[(f64, f64)]> = accuracy.iter().map(Vec::as_slice).collect();
        let chance = runs[0].diagnostics.as_ref().map(|d| d.chance_accuracy);
        let accuracy_svg = accuracy_svg(&accuracy_refs, chance, &[], 440, 220)
            .unwrap_or_else(|e| format!("<p>plot failed: {e}</p>"));
        // Drawn when opened (a table per run).
        let open = RwSignal::new(false);
        let matrices: Vec<(usize, Vec<Vec<u32>>)> = runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i, r.metrics.knn_confusion.clone()?)))
            .collect();
        let confusions = move || {
            matrices
                .iter()
                .map(|(i, m)| {
                    let names = (0..m.len()).map(|c| c.to_string()).collect();
                    view! {
                        <figure>
                            <figcaption class="muted">{swatch(*i)}{format!("Run {}", i + 1)}</figcaption>
                            <ConfusionTable matrix=m.clone() names=names />
                        </figure>
                    }
                })
                .collect_view()
        };
        view! {
            <div class="comparison" data-testid="comparison-view" data-runs=runs.len()>
                <h3>{format!("Comparing {} runs", runs.len())}</h3>
                <ul class="legend compare-legend">{legend}</ul>
                <div class="table-scroll">
                    <table class="metrics" data-testid="compare-metrics">
                        <thead><tr><th>"score"</th>{head}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <p class="muted">"Latent spaces at one scale (PCA axes are each run's own; the first 2000 test images kept in each record)."</p>
                <div class="compare-grid">{scatter_views}</div>
                <p class="muted">"Loss terms (moving averages) and kNN accuracy while training, one colour per run."</p>
                <div class="compare-grid">
                    <div class="chart" data-testid="compare-curves" inner_html=curves_svg></div>
                    <div class="chart" data-testid="compare-accuracy" inner_html=accuracy_svg></div>
                </div>
                <details data-testid="compare-confusion"
                    on:toggle=move |ev| open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
                    <summary>"kNN confusion matrices (rows: true class, columns: predicted)"</summary>
                    {move || open.get().then(|| view! { <div class="compare-grid">{confusions()}</div> })}
                </details>
            </div>
        }
        .into_any()
    }
}
