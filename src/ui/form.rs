//! The experiment form: one control per config field, made from the field table
//! (`config::FIELDS`: label, explanation, kind of value), the less common ones under "More
//! settings". Text is read with the same parser links and sweeps use.

use leptos::prelude::*;

use super::state::LabState;
use crate::config::{Choice, ExperimentConfig, Field, FieldKind, MetricLossKind, Schedule, FIELDS};

/// The control of one field: a list for names and flags, a number input otherwise; the
/// field's explanation is its tooltip, and text it cannot read shows under it.
#[component]
fn FieldInput(field: &'static Field) -> impl IntoView {
    let state = expect_context::<LabState>();
    let parse_error = RwSignal::new(None::<String>);
    let value = move || {
        state
            .config
            .with(|c| c.value_of(field.name).unwrap_or_default())
    };
    let set = move |text: String| match state.config.with_untracked(|c| {
        // Another model brings its defaults for the fields still at the old model's.
        c.with_text(field.name, &text).map(|new| match field.name {
            "model" => c.with_model(new.model),
            _ => new,
        })
    }) {
        Ok(cfg) => {
            parse_error.set(None);
            state.config.set(cfg);
        }
        Err(e) => parse_error.set(Some(e)),
    };
    let disabled = move || state.running.get();
    let options: Option<Vec<(String, String, &'static str)>> = match field.kind {
        FieldKind::Choice(options) => Some(
            options()
                .into_iter()
                .map(|o| (o.name, o.label, o.help))
                .collect(),
        ),
        FieldKind::Flag => Some(vec![
            ("false".into(), "off".into(), ""),
            ("true".into(), "on".into(), ""),
        ]),
        FieldKind::Integer | FieldKind::Real => None,
    };
    let control = match options {
        Some(options) => view! {
            <select data-testid=field.name disabled=disabled
                on:change=move |ev| set(event_target_value(&ev))>
                {options.into_iter().map(|(name, label, help)| {
                    let n = name.clone();
                    view! { <option value=name title=help selected=move || value() == n>{label}</option> }
                }).collect_view()}
            </select>
        }
        .into_any(),
        None => {
            let step = if matches!(field.kind, FieldKind::Integer) { "1" } else { "any" };
            view! {
                <input type="number" step=step data-testid=field.name
                    prop:value=value disabled=disabled
                    on:change=move |ev| set(event_target_value(&ev)) />
            }
            .into_any()
        }
    };
    view! {
        <label class="field" title=field.help>
            <span>{field.label}</span>
            {control}
            <Show when=move || parse_error.get().is_some()>
                <span class="invalid">{move || parse_error.get()}</span>
            </Show>
        </label>
    }
}

/// What α (or γ) does in this config, with the paper's tables that vary it.
fn weights_sentence(c: &ExperimentConfig) -> String {
    let unsupervised = if c.model.is_variational() {
        "reconstruction and KL"
    } else {
        "reconstruction"
    };
    if c.schedule == Schedule::JointGamma {
        format!(
            "γ = {}: the metric term's weight in L = L_U + γ·L_S, L_U being {unsupervised}; the paper's MetricVAE cells use γ from 0 to 10 (thesis Table 4), and γ = 0 is the VAE alone.",
            c.gamma
        )
    } else {
        format!(
            "α = {}: L_U ({unsupervised}, from every image) weighs α and the metric term L_S (labelled images only) 1 − α; α = 1 leaves the labels unused. The paper's Tables 1 and 3 try α = 1/3, 2/3 and 1.",
            c.alpha
        )
    }
}

/// The form; edits are validated as a whole and the message shown under it.
#[component]
pub fn ExperimentForm() -> impl IntoView {
    let state = expect_context::<LabState>();
    let validation = move || {
        state
            .config
            .with(|c| c.validate().err().map(|e| e.to_string()))
    };
    let fields = |advanced: bool| {
        FIELDS
            .iter()
            .filter(move |f| f.advanced == advanced)
            .map(|f| view! { <FieldInput field=f /> })
            .collect_view()
    };
    // What the chosen model, metric loss and schedule are, in a sentence each (the same text
    // as the options' tooltips and `--help`), so a newcomer need not hover to find out.
    let about = move || {
        state.config.with(|c| {
            let mut lines = vec![c.model.describe().to_string()];
            if c.model.has_metric_loss() {
                lines.push(c.loss.describe().to_string());
                if c.loss == MetricLossKind::Triplet {
                    lines.push(format!(
                        "Miner ({}): {}",
                        c.miner.label(),
                        c.miner.describe()
                    ));
                }
            }
            if c.model.has_both_losses() {
                lines.push(c.schedule.describe().to_string());
                lines.push(weights_sentence(c));
            }
            if c.neighbours > 0.0 {
                lines.push(format!(
                    "Neighbour term (weight {}): the run first finds each training image's 15 \
                     nearest training images in pixel space; each step draws images toward one \
                     of theirs, so what looks alike stays together. No label is used.",
                    c.neighbours
                ));
            }
            lines
                .into_iter()
                .map(|line| view! { <li>{line}</li> })
                .collect_view()
        })
    };
    view! {
        <fieldset class="form">
            <legend>"Experiment"</legend>
            {fields(false)}
            <ul class="about muted" data-testid="about">{about}</ul>
            <details class="advanced" data-testid="advanced">
                <summary>"More settings"</summary>
                <div class="advanced-fields">{fields(true)}</div>
            </details>
            <Show when=move || validation().is_some()>
                <p class="invalid" data-testid="validation">{validation}</p>
            </Show>
        </fieldset>
    }
}
