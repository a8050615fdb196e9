//! Every finished run of the page: the comparison table in the paper's layout (rows pl %,
//! columns model × lsdim, kNN accuracy / AMI) and exports (last run as JSON, table as CSV).

use leptos::prelude::*;

use super::compare::Comparison;
use super::host::{download, download_bytes};
use super::state::LabState;
use crate::config::{name_of, ExperimentConfig};
use crate::report::table::{cell_text, compare};

/// A file name that says which run it holds.
fn run_file_name(c: &ExperimentConfig, extension: &str) -> String {
    format!(
        "dml-lab-{}-{}-pl{}-d{}-seed{}.{extension}",
        name_of(&c.dataset),
        name_of(&c.model),
        c.pl,
        c.lsdim,
        c.seed
    )
}

/// The comparison table and export buttons.
#[component]
pub fn RunsPanel() -> impl IntoView {
    let state = expect_context::<LabState>();
    let table = move || {
        state
            .runs
            .with(|runs| compare(runs, crate::eval::ClassifierProbe::Knn))
    };
    let export_json = move |_| {
        let Some(r) = state.runs.with_untracked(|runs| runs.last().cloned()) else {
            return;
        };
        let name = run_file_name(&r.config, "json");
        let result = serde_json::to_string_pretty(&r)
            .map_err(|e| e.to_string())
            .and_then(|text| download(&name, "application/json", &text));
        if let Err(e) = result {
            state.error.set(Some(format!("export failed: {e}")));
        }
    };
    let export_csv = move |_| {
        let result = download("dml-lab-comparison.csv", "text/csv", &table().csv());
        if let Err(e) = result {
            state.error.set(Some(format!("export failed: {e}")));
        }
    };
    let has_model = RwSignal::new(false);
    Effect::new(move |_| {
        state.runs.track();
        has_model.set(state.session.with_value(|s| s.weights.is_some()));
    });
    let export_weights = move |_| {
        let result = state.session.with_value(|s| match &s.weights {
            Some((Ok(bytes), config)) => download_bytes(
                &run_file_name(config, "safetensors"),
                "application/octet-stream",
                bytes,
            ),
            Some((Err(e), _)) => Err(e.clone()),
            None => Ok(()),
        });
        if let Err(e) = result {
            state.error.set(Some(format!("export failed: {e}")));
        }
    };
    view! {
        <section class="panel runs">
            <h2>"Runs"</h2>
            {move || match table() {
                t if !t.rows.is_empty() => view! {
                    <p class="muted">{format!("{} runs; kNN accuracy / AMI, mean ± sd over seeds; rows = labelled %, columns = model × latent dim.", state.runs.with(Vec::len))}</p>
                    <div class="table-scroll">
                        <table class="metrics" data-testid="comparison" data-runs=move || state.runs.with(Vec::len)>
                            <thead><tr><th>"pl %"</th>{t.columns.iter().map(|c| view! { <th>{c.label()}</th> }).collect_view()}</tr></thead>
                            <tbody>
                                {t.rows.iter().enumerate().map(|(r, pl)| view! {
                                    <tr>
                                        <td>{pl.to_string()}</td>
                                        {(0..t.columns.len()).map(|c| {
                                            let text = t.cells.get(&(r, c)).map(cell_text).unwrap_or_else(|| "–".into());
                                            view! { <td data-testid="comparison-cell">{text}</td> }
                                        }).collect_view()}
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
                _ => view! { <p class="muted">"Finished runs are compared here."</p> }.into_any(),
            }}
            <div class="buttons">
                <button data-testid="export-json" on:click=export_json disabled=move || state.runs.with(Vec::is_empty)>"Export last run (JSON)"</button>
                <button data-testid="export-csv" on:click=export_csv disabled=move || state.runs.with(Vec::is_empty)>"Export table (CSV)"</button>
                <button data-testid="export-weights" on:click=export_weights disabled=move || !has_model.get()
                    title="The last trained model's parameters as .safetensors (PyTorch: safetensors.torch.load_file)">"Export weights"</button>
            </div>
            <RunHistory />
            <Comparison />
        </section>
    }
}

/// One line per run (kept in this browser's IndexedDB across reloads), each deletable.
#[component]
fn RunHistory() -> impl IntoView {
    let state = expect_context::<LabState>();
    view! {
        <details class="history" data-testid="history" open=move || state.runs.with(|r| !r.is_empty() && r.len() <= 8)>
            <summary>{move || format!("History ({} runs, kept in this browser)", state.runs.with(Vec::len))}</summary>
            <Show when=move || state.history_note.get().is_some()>
                <p class="muted" data-testid="history-note">{move || state.history_note.get()}</p>
            </Show>
            <ol class="history-list">
                {move || state.runs.with(|runs| runs.iter().enumerate().map(|(i, r)| {
                    let c = &r.config;
                    let text = format!(
                        "{} · {} · pl {} % · d {} · seed {} · kNN {:.4}{}",
                        name_of(&c.dataset),
                        c.model.name(),
                        c.pl,
                        c.lsdim,
                        c.seed,
                        r.metrics.knn.accuracy,
                        if r.stopped_early { " (stopped early)" } else { "" },
                    );
                    let local = state.run_keys.with(|k| k.get(i).map(|(l, _)| *l));
                    let checked = move || local.is_some_and(|l| state.compare.with(|c| c.contains(&l)));
                    let toggle = move |_| {
                        if let Some(l) = local {
                            state.compare.update(|c| {
                                if let Some(at) = c.iter().position(|&x| x == l) {
                                    c.remove(at);
                                } else {
                                    c.push(l);
                                }
                            });
                        }
                    };
                    view! {
                        <li data-testid="history-run">
                            <label class="compare-pick" title="Compare this run with the other ticked ones">
                                <input type="checkbox" data-testid="compare-pick" prop:checked=checked on:change=toggle />
                                <span class="visually-hidden">{format!("Compare run {}", i + 1)}</span>
                            </label>
                            <span>{text}</span>
                            <button class="small" data-testid="delete-run" aria-label=format!("Delete run {}", i + 1)
                                on:click=move |_| state.delete_run(i)>"Delete"</button>
                        </li>
                    }
                }).collect_view())}
            </ol>
            <button data-testid="clear-history" on:click=move |_| state.clear_runs()
                disabled=move || state.runs.with(Vec::is_empty)>"Delete all runs"</button>
        </details>
    }
}
