//! The loss curve and the latent scatter, drawn by the same plotters code as the CLI's files.

use leptos::prelude::*;

use super::image_rows::ImageRowsView;
use super::state::LabState;
use crate::eval::{ClassifierProbe, Metrics};
use crate::pipeline::TRACKED_TEST_IMAGES;
use crate::report::plot::{accuracy_svg, curves_svg, CLASS_COLORS};

/// A probe's seconds, as shown in the metrics table.
fn seconds(m: &Metrics, name: &str) -> String {
    m.seconds
        .get(name)
        .map(|s| format!("{s:.2}"))
        .unwrap_or_default()
}

/// Most points drawn on the loss curve; longer runs are thinned evenly.
const MAX_CURVE_POINTS: usize = 1500;

/// The training charts' width before the panel is measured, and the range drawn (px).
const CHART_WIDTH: u32 = 420;
const MIN_CHART_WIDTH: i32 = 240;
const MAX_CHART_WIDTH: i32 = 1200;

/// Live loss curve of the current run.
#[component]
pub fn LossChart() -> impl IntoView {
    let state = expect_context::<LabState>();
    // Dotted lines at the ends of epochs (where the accuracy was measured at an epoch's end).
    // A memo: the loss charts are redrawn when an epoch ends, not at every accuracy point.
    let marks = Memo::new(move |_| {
        state.accuracy.with(|a| {
            a.iter()
                .filter(|p| p.epoch_end)
                .map(|p| p.global_step as f64)
                .collect::<Vec<_>>()
        })
    });
    // The charts are drawn at the width they are shown (measured on mount and when the window
    // is resized), so that their 12 px labels stay 12 px; 120 px per term.
    let host = NodeRef::<leptos::html::Div>::new();
    let width = RwSignal::new(CHART_WIDTH);
    let measure = move || {
        if let Some(el) = host.get_untracked() {
            let shown = el.client_width().clamp(MIN_CHART_WIDTH, MAX_CHART_WIDTH) as u32;
            if shown != width.get_untracked() {
                width.set(shown);
            }
        }
    };
    Effect::new(move |_| {
        if host.get().is_some() {
            measure();
        }
    });
    let _resize = window_event_listener(leptos::ev::resize, move |_| measure());
    let svg = move || {
        let marks = marks.get();
        let w = width.get();
        state.curves.with(|c| {
            let height = 120 * c.series.len().max(2) as u32;
            curves_svg(&[&c.thinned(MAX_CURVE_POINTS)], &marks, w, height)
                .unwrap_or_else(|e| format!("<p>plot failed: {e}</p>"))
        })
    };
    let accuracy = move || {
        let points: Vec<(f64, f64)> = state.accuracy.with(|a| {
            a.iter()
                .map(|p| (p.global_step as f64, p.accuracy))
                .collect()
        });
        // Known from the start: the finished run's result does not redraw this chart.
        let chance = state.chance.get();
        (!points.is_empty()).then(|| {
            let last = points.last().map_or(0.0, |p| p.1);
            let svg = accuracy_svg(&[&points], chance, &marks.get(), width.get(), 200)
                .unwrap_or_else(|e| format!("<p>plot failed: {e}</p>"));
            view! {
                <div class="chart" data-testid="accuracy-chart" data-points=points.len()
                    data-last=format!("{last:.4}") inner_html=svg></div>
            }
        })
    };
    view! {
        <section class="panel training">
            <h2>"Training"</h2>
            <p class="muted">"Per step, one chart per term on its own scale (faint: each step; bold: the moving average; dotted: end of an epoch): metric = L_S; reconstruction and kl = parts of L_U (on the run's loss scale); active_triplets = share of mined triplets still violating the margin; contrast and neighbours = the unlabelled terms beyond the paper (More settings)."</p>
            <div class="chart" data-testid="loss-chart" node_ref=host data-points=move || state.curves.with(|c| c.len()) inner_html=svg></div>
            <p class="muted" data-testid="accuracy-caption">{move || {
                // The run's own count (fewer on a small test split), else the most it measures.
                let images = state.accuracy.with(|a| a.last().map(|p| p.images))
                    .filter(|&n| n > 0)
                    .unwrap_or(TRACKED_TEST_IMAGES);
                format!("kNN accuracy (k = 5, 5-fold) of the first {images} test images, measured about ten times a run and at each epoch's end; the dashed red line is chance.")
            }}</p>
            {accuracy}
        </section>
    }
}

/// Metrics and the scatter of the test embeddings of the last run.
// Long: one view! tree, the result panels in page order.
#[component]
pub fn Results() -> impl IntoView {
    let state = expect_context::<LabState>();
    view! {
        <section class="panel probes">
            <h2>"Test-set embeddings"</h2>
            // Each probe's scores as soon as it finishes (the table follows when all are done).
            {move || {
                let done = state.probes_done.get();
                (state.running.get() && !done.is_empty()).then(|| view! {
                    <ul class="probe-stream" data-testid="probe-stream">
                        {done.into_iter().map(|(label, result, seconds)| view! {
                            <li data-testid="probe-done">{format!("{label}: {result} ({seconds:.1} s)")}</li>
                        }).collect_view()}
                    </ul>
                })
            }}
            {move || match state.result.get() {
                None => view! { <p class="muted">"Train a model to see its probes (kNN, random forest, MLP, few-label kNN), clustering and retrieval scores, and the latent scatter."</p> }.into_any(),
                Some(r) => view! {
                    <table class="metrics" data-testid="metrics">
                        <thead><tr><th>"probe"</th><th>"accuracy"</th><th>"AMI"</th><th>"s"</th></tr></thead>
                        <tbody>
                            {ClassifierProbe::ALL.iter().filter_map(|&probe| {
                                let (name, label) = (probe.name(), probe.label());
                                let s = r.metrics.probe(probe)?;
                                let (acc_id, ami_id) = if name == "knn" { ("accuracy".to_string(), "ami".to_string()) } else { (format!("{name}-accuracy"), format!("{name}-ami")) };
                                Some(view! {
                                    <tr data-probe=name>
                                        <td>{label}</td>
                                        <td data-testid=acc_id>{format!("{:.4}", s.accuracy)}</td>
                                        <td data-testid=ami_id>{format!("{:.4}", s.ami)}</td>
                                        <td>{seconds(&r.metrics, name)}</td>
                                    </tr>
                                })
                            }).collect_view()}
                        </tbody>
                    </table>
                    <table class="metrics" data-testid="cluster-metrics">
                        <tbody>
                            {r.metrics.kmeans.map(|k| view! {
                                <tr data-probe="kmeans"><td>{crate::eval::KMEANS_LABEL}</td><td>{format!("NMI {:.4}", k.nmi)}</td><td>{format!("AMI {:.4}", k.ami)}</td><td></td><td>{seconds(&r.metrics, "kmeans")}</td></tr>
                            })}
                            {r.metrics.retrieval.map(|x| view! {
                                <tr data-probe="retrieval"><td>{crate::eval::RETRIEVAL_LABEL}</td><td>{format!("P@1 {:.4}", x.precision_at_1)}</td><td>{format!("R-prec {:.4}", x.r_precision)}</td><td>{format!("MAP@R {:.4}", x.map_at_r)}</td><td>{seconds(&r.metrics, "retrieval")}</td></tr>
                            })}
                        </tbody>
                    </table>
                    {r.metrics.knn_confusion.clone().map(|m| {
                        // Drawn when opened: the finished run's views stay one short task.
                        let open = RwSignal::new(false);
                        let names = r.class_names.clone();
                        view! {
                            <details class="confusion" data-testid="confusion"
                                on:toggle=move |ev| open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open())>
                                <summary>"Confusion matrix of the kNN probe"</summary>
                                {move || open.get().then(|| view! { <ConfusionTable matrix=m.clone() names=names.clone() /> })}
                            </details>
                        }
                    })}
                    {r.latent.as_ref().map(|d| view! {
                        <p class="muted" data-testid="chance">{format!("Chance: {:.4} (always answering the most frequent test class).", d.chance_accuracy)}</p>
                    })}
                    <p class="muted" data-testid="timing"
                        data-done-ms=move || state.done_ms.get().map(|ms| format!("{ms:.0}")).unwrap_or_default()
                        data-memory-mb=move || format!("{:.0}", memory_mb(state))>
                        {format!("{:.1} ms/step · trained {:.1} s · evaluated {:.1} s{}", r.ms_per_step, r.train_seconds, r.eval_seconds,
                            if r.stopped_early { " · stopped early" } else { "" })}
                        {move || format!(" · memory {:.0} MB", memory_mb(state))}
                    </p>
                    {r.recon.clone().map(|rows| view! {
                        <h3>"Reconstructions"</h3>
                        <p class="muted">"Test images (top) and their reconstructions from the embedding (bottom)."</p>
                        <ImageRowsView rows=Signal::derive(move || rows.clone()) testid="reconstructions" scale=2 max_tile=112 />
                    })}
                    <ul class="legend" aria-label="classes">
                        {r.class_names.iter().enumerate().map(|(i, name)| {
                            let (red, green, blue) = CLASS_COLORS[i % CLASS_COLORS.len()];
                            view! {
                                <li>
                                    // An SVG swatch: its fill is an attribute, which the page's CSP allows (inline styles it does not).
                                    <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" rx="2" fill=format!("rgb({red},{green},{blue})") /></svg>
                                    {name.clone()}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

/// The lab's memory in MB: the page's wasm memory and the training worker's (WebAssembly
/// memory only grows, so both are their peaks).
fn memory_mb(state: LabState) -> f64 {
    let worker = state.worker_memory.get().unwrap_or(0.0);
    (super::host::wasm_memory_bytes() + worker) / 1e6
}

/// A few images per class of the dataset loaded last.
#[component]
pub fn Samples() -> impl IntoView {
    let state = expect_context::<LabState>();
    view! {
        {move || state.samples.get().map(|(title, rows)| view! {
            <details class="panel samples" open data-testid="samples">
                <summary>{title}</summary>
                <ImageRowsView rows=Signal::derive(move || rows.clone()) testid="samples-grid" scale=2 max_tile=56 />
            </details>
        })}
    }
}

/// A probe's confusion matrix: rows are the true classes, columns the predicted ones; the
/// diagonal (hits) stands out, and so does any mix-up that takes at least 5 % of its row.
#[component]
pub fn ConfusionTable(matrix: Vec<Vec<u32>>, names: Vec<String>) -> impl IntoView {
    let name = move |i: usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
    let header = (0..matrix.len())
        .map(|j| view! { <th title=name(j)>{j}</th> })
        .collect_view();
    let rows = matrix
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let total: u32 = row.iter().sum();
            let cells = row
                .iter()
                .enumerate()
                .map(|(j, &n)| {
                    let class = if i == j {
                        "hit"
                    } else if n > 0 && n as f64 >= 0.05 * total as f64 {
                        "mixup"
                    } else {
                        ""
                    };
                    view! { <td class=class>{n}</td> }
                })
                .collect_view();
            view! { <tr><th title=name(i)>{format!("{i} {}", name(i))}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="metrics confusion-matrix" data-testid="confusion-matrix">
                <thead><tr><th>"true ↓ · predicted →"</th>{header}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
