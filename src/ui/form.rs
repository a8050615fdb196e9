//! The experiment form: every config field (the less common ones under "More settings").

use leptos::prelude::*;

use super::state::LabState;
use crate::config::{
    name_of, parse_name, BackendChoice, DatasetKind, DistanceKind, EncoderKind, ExperimentConfig,
    MetricLossKind, Miner, ModelKind, ReconLoss, Schedule,
};

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

/// A labelled `<select>` bound to one kebab-case config enum.
#[component]
fn EnumSelect(
    /// Text shown before the select.
    label: &'static str,
    /// `data-testid` of the select.
    testid: &'static str,
    /// (value, text) of each option; values are the config's kebab-case names.
    options: Vec<(String, String)>,
    /// Reads the field's name from the config.
    get: fn(&ExperimentConfig) -> String,
    /// Writes a name into the config.
    set: fn(&mut ExperimentConfig, &str),
) -> impl IntoView {
    let state = expect_context::<LabState>();
    view! {
        <label class="field">
            <span>{label}</span>
            <select
                data-testid=testid
                disabled=move || state.running.get()
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    state.config.update(|c| set(c, &value));
                }
            >
                {options.into_iter().map(|(value, text)| {
                    let v = value.clone();
                    view! { <option value=value selected=move || get(&state.config.get()) == v>{text}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

/// Sets a config enum from its kebab-case name (unknown names leave it unchanged).
fn set_named<T: serde::de::DeserializeOwned>(field: &mut T, name: &str) {
    if let Ok(v) = parse_name(name) {
        *field = v;
    }
}

/// The options of an enum field: each value's kebab-case name, shown as it is.
fn named<T: serde::Serialize>(values: &[T]) -> Vec<(String, String)> {
    values.iter().map(|v| (name_of(v), name_of(v))).collect()
}

/// The options of a boolean field.
fn off_on() -> Vec<(String, String)> {
    vec![("false".into(), "off".into()), ("true".into(), "on".into())]
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("not a number: {text:?}"))
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
    view! {
        <fieldset class="form">
            <legend>"Experiment"</legend>
            <EnumSelect label="dataset" testid="dataset"
                options=vec![(name_of(&DatasetKind::Mnist), "MNIST (built in)".into()), (name_of(&DatasetKind::Organamnist), "OrganAMNIST / your files".into())]
                get=|c| name_of(&c.dataset) set=|c, v| set_named(&mut c.dataset, v) />
            <EnumSelect label="model" testid="model"
                options=ModelKind::ALL.iter().map(|m| (m.name(), m.name())).collect()
                get=|c| c.model.name() set=|c, v| set_named(&mut c.model, v) />
            <EnumSelect label="metric loss" testid="loss"
                options=named(&[MetricLossKind::Triplet, MetricLossKind::Supcon, MetricLossKind::Center])
                get=|c| name_of(&c.loss) set=|c, v| set_named(&mut c.loss, v) />
            <EnumSelect label="schedule" testid="schedule"
                options=named(&[Schedule::Joint, Schedule::Alternating, Schedule::JointGamma])
                get=|c| name_of(&c.schedule) set=|c, v| set_named(&mut c.schedule, v) />
            <NumberField label="alpha (weight of L_U)" testid="alpha" min="0" step="any"
                get=|c| c.alpha.to_string() set=|c, t| { c.alpha = parse(t)?; Ok(()) } />
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
            <details class="advanced" data-testid="advanced">
                <summary>"More settings"</summary>
                <div class="advanced-fields">
                    <NumberField label="batch size" testid="batch_size" min="2" step="1"
                        get=|c| c.batch_size.to_string() set=|c, t| { c.batch_size = parse(t)?; Ok(()) } />
                    <NumberField label="learning rate" testid="lr" min="0" step="any"
                        get=|c| c.lr.to_string() set=|c, t| { c.lr = parse(t)?; Ok(()) } />
                    <NumberField label="gradient clip (0 = off)" testid="grad_clip" min="0" step="any"
                        get=|c| c.grad_clip.to_string() set=|c, t| { c.grad_clip = parse(t)?; Ok(()) } />
                    <NumberField label="gamma (weight of L_S, joint-gamma)" testid="gamma" min="0" step="any"
                        get=|c| c.gamma.to_string() set=|c, t| { c.gamma = parse(t)?; Ok(()) } />
                    <EnumSelect label="triplet miner" testid="miner"
                        options=named(&[Miner::BatchAll, Miner::BatchHard, Miner::SemiHard])
                        get=|c| name_of(&c.miner) set=|c, v| set_named(&mut c.miner, v) />
                    <NumberField label="margin" testid="margin" min="0" step="any"
                        get=|c| c.margin.to_string() set=|c, t| { c.margin = parse(t)?; Ok(()) } />
                    <NumberField label="SupCon temperature" testid="temperature" min="0" step="any"
                        get=|c| c.temperature.to_string() set=|c, t| { c.temperature = parse(t)?; Ok(()) } />
                    <EnumSelect label="distance" testid="distance"
                        options=named(&[DistanceKind::Euclidean, DistanceKind::SquaredEuclidean])
                        get=|c| name_of(&c.distance) set=|c, v| set_named(&mut c.distance, v) />
                    <EnumSelect label="L2-normalise embeddings" testid="normalize"
                        options=off_on()
                        get=|c| c.normalize.to_string() set=|c, v| c.normalize = v == "true" />
                    <NumberField label="labelled images per class per batch (0 = random)" testid="m_per_class" min="0" step="1"
                        get=|c| c.m_per_class.to_string() set=|c, t| { c.m_per_class = parse(t)?; Ok(()) } />
                    <EnumSelect label="augment labelled images" testid="augment"
                        options=off_on()
                        get=|c| c.augment.to_string() set=|c, v| c.augment = v == "true" />
                    <EnumSelect label="encoder" testid="encoder"
                        options=named(&[EncoderKind::Mlp, EncoderKind::Conv])
                        get=|c| name_of(&c.encoder) set=|c, v| set_named(&mut c.encoder, v) />
                    <EnumSelect label="reconstruction loss" testid="recon"
                        options=named(&[ReconLoss::Mse, ReconLoss::Bce])
                        get=|c| name_of(&c.recon) set=|c, v| set_named(&mut c.recon, v) />
                    <NumberField label="GMM components (0 = 2^d vertices)" testid="prior_components" min="0" step="1"
                        get=|c| c.prior_components.to_string() set=|c, t| { c.prior_components = parse(t)?; Ok(()) } />
                    <NumberField label="VampPrior pseudo-inputs" testid="vamp_components" min="1" step="1"
                        get=|c| c.vamp_components.to_string() set=|c, t| { c.vamp_components = parse(t)?; Ok(()) } />
                </div>
            </details>
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
