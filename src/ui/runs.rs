//! Every finished run of the page: the comparison table in the paper's layout (rows pl %,
//! columns model × lsdim, kNN accuracy / AMI) and exports (last run as JSON, table as CSV).

use leptos::prelude::*;

use super::host::download;
use super::state::LabState;
use crate::config::name_of;
use crate::report::table::{cell_text, compare};

/// The comparison table and export buttons.
#[component]
pub fn RunsPanel() -> impl IntoView {
    let state = expect_context::<LabState>();
    let table = move || state.runs.with(|runs| compare(runs, "knn"));
    let export_json = move |_| {
        let Some(r) = state.runs.with_untracked(|runs| runs.last().cloned()) else {
            return;
        };
        let name = format!(
            "dml-lab-{}-{}-pl{}-d{}-seed{}.json",
            name_of(&r.config.dataset),
            name_of(&r.config.model),
            r.config.pl,
            r.config.lsdim,
            r.config.seed
        );
        let result = serde_json::to_string_pretty(&r)
            .map_err(|e| e.to_string())
            .and_then(|text| download(&name, "application/json", &text));
        if let Err(e) = result {
            state.error.set(Some(format!("export failed: {e}")));
        }
    };
    let export_csv = move |_| {
        let result = table().and_then(|t| download("dml-lab-comparison.csv", "text/csv", &t.csv()));
        if let Err(e) = result {
            state.error.set(Some(format!("export failed: {e}")));
        }
    };
    view! {
        <section class="panel">
            <h2>"Runs"</h2>
            {move || match table() {
                Ok(t) if !t.rows.is_empty() => view! {
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
            </div>
        </section>
    }
}
