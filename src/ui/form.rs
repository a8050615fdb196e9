//! The experiment form: label budget, latent size, epochs, steps, backend.

use leptos::prelude::*;

use super::state::LabState;
use crate::config::{BackendChoice, ExperimentConfig};

/// A labelled number input bound to one config field.
#[component]
fn NumberField(
    /// Text shown before the input.
    label: &'static str,
    /// `data-testid` of the input.
    testid: &'static str,
    /// Smallest value offered by the browser control.
    min: &'static str,
    /// Step of the browser control.
    step: &'static str,
    /// Reads the field from the config.
    get: fn(&ExperimentConfig) -> String,
    /// Writes the field into the config; returns an error for unparsable text.
    set: fn(&mut ExperimentConfig, &str) -> Result<(), String>,
) -> impl IntoView {
    let state = expect_context::<LabState>();
    let parse_error = RwSignal::new(None::<String>);
    view! {
        <label class="field">
            <span>{label}</span>
            <input
                type="number"
                min=min
                step=step
                data-testid=testid
                prop:value=move || get(&state.config.get())
                disabled=move || state.running.get()
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    let mut cfg = state.config.get_untracked();
                    match set(&mut cfg, &text) {
                        Ok(()) => {
                            parse_error.set(None);
                            state.config.set(cfg);
                        }
                        Err(e) => parse_error.set(Some(e)),
                    }
                }
            />
            <Show when=move || parse_error.get().is_some()>
                <span class="invalid">{move || parse_error.get()}</span>
            </Show>
        </label>
    }
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.trim().parse().map_err(|_| format!("not a number: {text:?}"))
}

/// The form; edits are validated as a whole and the message shown under it.
#[component]
pub fn ExperimentForm() -> impl IntoView {
    let state = expect_context::<LabState>();
    let validation = move || state.config.with(|c| c.validate().err().map(|e| e.to_string()));
    view! {
        <fieldset class="form">
            <legend>"Experiment"</legend>
            <label class="field">
                <span>"dataset / model"</span>
                <span class="fixed">"MNIST · DML (MLP 784-512-256-d, batch-all triplet)"</span>
            </label>
            <NumberField label="labelled %" testid="pl" min="0.01" step="any"
                get=|c| c.pl.to_string() set=|c, t| { c.pl = parse(t)?; Ok(()) } />
            <NumberField label="latent dim" testid="lsdim" min="1" step="1"
                get=|c| c.lsdim.to_string() set=|c, t| { c.lsdim = parse(t)?; Ok(()) } />
            <NumberField label="epochs" testid="epochs" min="1" step="1"
                get=|c| c.epochs.to_string() set=|c, t| { c.epochs = parse(t)?; Ok(()) } />
            <NumberField label="steps / epoch (0 = full pass)" testid="steps" min="0" step="1"
                get=|c| c.steps_per_epoch.to_string() set=|c, t| { c.steps_per_epoch = parse(t)?; Ok(()) } />
            <NumberField label="seed" testid="seed" min="0" step="1"
                get=|c| c.seed.to_string() set=|c, t| { c.seed = parse(t)?; Ok(()) } />
            <label class="field">
                <span>"backend"</span>
                <select
                    data-testid="backend"
                    disabled=move || state.running.get()
                    on:change=move |ev| {
                        let choice = match event_target_value(&ev).as_str() {
                            "wgpu" => BackendChoice::Wgpu,
                            "cpu" => BackendChoice::Cpu,
                            _ => BackendChoice::Auto,
                        };
                        state.config.update(|c| c.backend = choice);
                    }
                >
                    <option value="auto" selected=move || state.config.get().backend == BackendChoice::Auto>"Auto (WebGPU if available)"</option>
                    <option value="wgpu" selected=move || state.config.get().backend == BackendChoice::Wgpu>"WebGPU"</option>
                    <option value="cpu" selected=move || state.config.get().backend == BackendChoice::Cpu>"CPU (wasm)"</option>
                </select>
            </label>
            <Show when=move || validation().is_some()>
                <p class="invalid" data-testid="validation">{validation}</p>
            </Show>
        </fieldset>
    }
}
