//! Sweeps in the page: axes typed as `field = v1, v2; field = …` over the form's experiment
//! (e.g. the paper's pl % × lsdim × alpha), expanded by the CLI's grid code (`crate::sweep`)
//! into a queue that runs one experiment after another, filling the comparison table.

use leptos::prelude::*;

use super::state::LabState;
use crate::config::ExperimentConfig;
use crate::sweep::{plan_axes, Queue};

/// The sweep form and the queue's progress.
// Long: one view! tree, the sweep form and its table.
#[component]
pub fn SweepPanel(
    /// Starts a run of the page (the same as Train, with this config).
    start: Callback<ExperimentConfig>,
) -> impl IntoView {
    let state = expect_context::<LabState>();
    let axes = RwSignal::new("pl = 0.1, 1, 10; lsdim = 2, 4".to_string());
    let error = RwSignal::new(None::<String>);
    let queue = move |_| match plan_axes(&axes.get_untracked(), &state.config.get_untracked()) {
        Ok(runs) => {
            error.set(None);
            let mut sweep = Queue {
                runs,
                started: 0,
                failed: Vec::new(),
                cancelled: false,
            };
            let first = sweep.take_next();
            state.sweep.set(Some(sweep));
            if let Some((_, _, config)) = first {
                start.run(config);
            }
        }
        Err(e) => error.set(Some(e)),
    };
    let progress = move || {
        state.sweep.with(|s| {
            s.as_ref().map(|s| {
                let done = if state.running.get() {
                    s.started.saturating_sub(1)
                } else {
                    s.started
                };
                let failed = if s.failed.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; failed: {}",
                        s.failed
                            .iter()
                            .map(|(n, e)| format!("{n} ({e})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let state_text = if s.cancelled {
                    " (stopped)"
                } else if done == s.runs.len() {
                    " (done)"
                } else {
                    ""
                };
                format!(
                    "Sweep: {done} of {} runs finished{state_text}{failed}",
                    s.runs.len()
                )
            })
        })
    };
    view! {
        <details class="panel sweep" data-testid="sweep">
            <summary>"Sweep"</summary>
            <p class="muted">"Queue every combination of the values below over the form's experiment; the runs go one after another into the comparison table. Stop ends the sweep."</p>
            <label class="field wide">
                <span>"Axes (field = values; …)"</span>
                <input type="text" data-testid="sweep-axes" prop:value=move || axes.get()
                    on:input=move |ev| axes.set(event_target_value(&ev))
                    disabled=move || state.running.get() />
            </label>
            <Show when=move || error.get().is_some()>
                <p class="invalid" data-testid="sweep-error" role="alert">{move || error.get()}</p>
            </Show>
            <button data-testid="sweep-start" on:click=queue
                disabled=move || state.running.get() || state.config.with(|c| c.validate().is_err())>"Queue sweep"</button>
            <p class="muted" data-testid="sweep-progress" aria-live="polite">{progress}</p>
            <ol class="sweep-list">
                {move || state.sweep.with(|s| s.as_ref().map(|s| s.runs.iter().enumerate().map(|(i, (name, _))| {
                    let mark = if i + 1 < s.started || (i + 1 == s.started && !state.running.get()) {
                        if s.failed.iter().any(|(n, _)| n == name) { "failed" } else { "done" }
                    } else if i + 1 == s.started {
                        "running"
                    } else if s.cancelled {
                        "cancelled"
                    } else {
                        "queued"
                    };
                    view! { <li data-state=mark>{format!("{name} · {mark}")}</li> }
                }).collect_view()))}
            </ol>
        </details>
    }
}
