//! The page's layout, and what Train starts: the run's data, device and training (in the
//! worker, or in the page when no worker can start), then its results in the views.

use leptos::prelude::*;

use super::bench::BenchPanel;
use super::charts::{LossChart, Results, Samples};
use super::data::{dataset_for, load_url};
use super::data_panel::DataPanel;
use super::device::AdapterAnswer;
use super::form::ExperimentForm;
use super::host::{location_search, now_ms, yield_now};
use super::presets::PresetsPanel;
use super::progress::{show_backend, PageObserver};
use super::remote::{train_in_worker, InWorker};
use super::runs::RunsPanel;
use super::scatter::LatentScatter;
use super::share::{mirror_config_in_address_bar, SharePanel};
use super::startup::{StartStep, StartWatch};
use super::state::{link_defaults, LabState, RunView};
use super::sweep_panel::SweepPanel;
use crate::config::{BackendChoice, ExperimentConfig};
use crate::data::Dataset;
use crate::link::restore;
use crate::pipeline::{check_page_memory, train_to_finish, Finished};
use crate::train::speed::AutoChoice;

/// The whole page.
// Long: one view! tree, the page's layout top to bottom.
#[component]
pub fn App() -> impl IntoView {
    let state = LabState::new();
    provide_context(state);
    let start = move || {
        if state.running.get_untracked() || state.projecting.get_untracked() {
            return;
        }
        // A run of its own ends any sweep that is still queued.
        state.sweep.set(None);
        start_run(state, state.config.get_untracked());
    };
    let start_sweep = Callback::new(move |cfg: ExperimentConfig| start_run(state, cfg));
    let train = move |_| start();
    // A shared link: restore the form (bad parameters fall back, with a notice), load its data
    // URL, and start the run when it says so.
    if let Some(message) = super::recovery::message_after_restart() {
        state.error.set(Some(format!(
            "The page restarted after an internal error ({message}); the experiment and the saved runs are back."
        )));
    }
    let search = location_search();
    let restored = restore(&search, &link_defaults());
    state.config.set(restored.config);
    state.link_notices.set(restored.notices);
    state.older_defaults.set(restored.older_defaults);
    mirror_config_in_address_bar(state);
    // The saved runs come back first, then the link's data and run.
    let data_url = restored.data_url.clone();
    leptos::task::spawn_local(async move {
        state.restore_history().await;
        if let Some(url) = data_url {
            load_url(state, url).await;
        }
        if restored.autostart {
            start();
        }
    });
    view! {
        <header>
            <h1>"dml-lab"</h1>
            <p class="muted">"Semi-supervised deep metric learning, trained in your browser."</p>
        </header>
        <main>
            <div class="controls">
                <ExperimentForm />
                <DataPanel />
                <div class="buttons">
                    <button data-testid="train" on:click=train
                        disabled=move || state.running.get() || state.projecting.get() || state.config.with(|c| c.validate().is_err())>"Train"</button>
                    <button data-testid="pause" on:click=move |_| state.paused.update(|p| *p = !*p)
                        disabled=move || !state.running.get()>
                        {move || if state.paused.get() { "Resume" } else { "Pause" }}
                    </button>
                    <button data-testid="stop" on:click=move |_| {
                            state.stop_requested.set(true);
                            state.sweep.update(|s| if let Some(s) = s { s.cancelled = true });
                        }
                        disabled=move || !state.running.get()>"Stop"</button>
                </div>
                <SharePanel />
                <SweepPanel start=start_sweep />
                <PresetsPanel />
                <p data-testid="status" class="status" aria-live="polite" data-startup=move || state.startup.get()>{move || state.status.get()}</p>
                <p data-testid="data-summary" class="muted">{move || state.data_summary.get()}</p>
                <p data-testid="backend-used" data-kind=move || state.backend_kind.get().map(|k| crate::config::name_of(&k)) class="muted">
                    {move || state.backend_used.get().map(|b| format!("Backend: {b}"))}
                </p>
                <Show when=move || state.in_page.get().is_some()>
                    <p data-testid="in-page" class="muted">
                        "Trained in this page, not in a background worker (the page may respond slowly while it trains): "
                        {move || state.in_page.get()}"."
                    </p>
                </Show>
                <Show when=move || state.error.get().is_some()>
                    <p data-testid="error" class="error" role="alert">{move || state.error.get()}</p>
                </Show>
            </div>
            // The latent space is the main view; curves and probes beside it, the runs below.
            <LatentScatter reproject=Callback::new(move |_| leptos::task::spawn_local(super::remote::show_projection(state))) />
            <LossChart />
            <Results />
            <BenchPanel />
            <RunsPanel />
            <Samples />
        </main>
        <footer class="muted" data-testid="version">
            {format!(
                "dml-lab {} · defaults v{} · CPU and WebGPU, all in this browser",
                env!("CARGO_PKG_VERSION"),
                crate::link::CURRENT_VERSION
            )}
        </footer>
    }
}

/// Starts a run of `cfg` unless one is running or the config is invalid (the message shows).
fn start_run(state: LabState, cfg: ExperimentConfig) {
    if state.running.get_untracked() {
        return;
    }
    if let Err(e) = cfg.validate() {
        state.error.set(Some(e.to_string()));
        return;
    }
    leptos::task::spawn_local(train_and_show(state, cfg));
}

/// Trains the run in the worker; in the page when no worker can; and once more without
/// WebGPU when WebGPU stalled under Auto.
async fn run_somewhere(
    state: LabState,
    cfg: &ExperimentConfig,
    data: &std::rc::Rc<Dataset>,
    mut adapter: Option<AdapterAnswer>,
    mut remembered: Option<AutoChoice>,
    observer: &mut PageObserver,
    watch: &mut StartWatch,
) -> Result<Option<Finished>, String> {
    loop {
        let outcome = train_in_worker(
            state,
            cfg,
            data,
            adapter.clone(),
            remembered.clone(),
            observer,
            watch,
        )
        .await;
        match outcome {
            InWorker::Ended(result) => return result,
            InWorker::InPage(why) => {
                state.in_page.set(Some(why));
                return run_in_page(cfg, data, adapter, remembered, state, observer).await;
            }
            InWorker::GpuStalled(why)
                if cfg.backend == BackendChoice::Auto && !matches!(adapter, Some(Err(_))) =>
            {
                // Auto's CPU fallback, with the stall as its reason, in a fresh worker.
                adapter = Some(Err(why));
                remembered = None;
                watch.restart_at(StartStep::WorkerBoot);
            }
            InWorker::GpuStalled(why) => {
                return Err(format!(
                    "{why}; the training worker was stopped. Choose the CPU or Auto backend, or press Train to try again"
                ))
            }
        }
    }
}

/// Trains in the page itself (when no worker can start): the observer yields to the browser.
async fn run_in_page(
    cfg: &ExperimentConfig,
    data: &Dataset,
    adapter: Option<AdapterAnswer>,
    remembered: Option<AutoChoice>,
    state: LabState,
    observer: &mut PageObserver,
) -> Result<Option<Finished>, String> {
    check_page_memory(cfg, data)?;
    let (device, info) = super::device::pick_device(cfg, data, adapter.clone(), remembered, |s| {
        state.status.set(s)
    })
    .await?;
    show_backend(state, &info, adapter.as_ref(), cfg, data);
    train_to_finish(cfg, data, &device, info, observer).await
}

/// Loads data, picks the device, trains, evaluates and shows the result; errors land in the page.
async fn train_and_show(state: LabState, cfg: ExperimentConfig) {
    if super::host::injected_fault().as_deref() == Some("panic") {
        panic!("fault injected by a test (window.__dmlLabFault = \"panic\")");
    }
    clear_for_run(state);
    let outcome = load_and_train(state, &cfg).await;
    let finished = matches!(outcome, Ok(Some(_)));
    show_outcome(state, outcome).await;
    state.paused.set(false);
    state.running.set(false);
    let next = state
        .sweep
        .try_update(|s| s.as_mut().and_then(|s| s.take_next()))
        .flatten();
    if let Some((_, _, cfg)) = next {
        start_run(state, cfg);
    } else if finished && state.projection.get_untracked() != crate::report::Projection::Pca {
        // The chosen projection of the finished run (the worker is free now).
        super::remote::show_projection(state).await;
    }
}

/// The page's state at the start of a run: running, and nothing of the last run's progress.
fn clear_for_run(state: LabState) {
    state.running.set(true);
    state.run_started_ms.set(now_ms());
    state.first_scatter_ms.set(None);
    state.startup.set(None);
    state.in_page.set(None);
    state.worker_memory.set(None);
    state.done_ms.set(None);
    state.probes_done.set(Vec::new());
    state.accuracy.set(Vec::new());
    state.stop_requested.set(false);
    state.paused.set(false);
    state.error.set(None);
    state.curves.set(Default::default());
}

/// The data, the adapter (for Auto and WebGPU), then the run where it can go; the finished
/// run's scatter and history are shown, and its result panels returned (`None`: stopped
/// during evaluation).
async fn load_and_train(
    state: LabState,
    cfg: &ExperimentConfig,
) -> Result<Option<RunView>, String> {
    let data = dataset_for(state, cfg.dataset).await?;
    let chance = crate::eval::diagnostics::chance_accuracy(&data.test.labels);
    state.chance.set(Some(chance));
    // Parsing the data and handing it on are each tens of milliseconds: let the page breathe
    // in between (the longest main-thread task stays under 100 ms).
    yield_now().await;
    super::scatter::set_images(state, &data.test);
    state.scatter.set(None);
    // The page asks for the adapter (for Auto and WebGPU) and looks up Auto's remembered
    // choice; the worker makes the device (and measures, for Auto). Each step of the start is
    // watched (`startup`).
    let mut watch = StartWatch::new(state.run_started_ms.get_untracked());
    let adapter = match cfg.backend {
        BackendChoice::Cpu => None,
        _ => {
            watch.enter(StartStep::Adapter);
            state.status.set(StartStep::Adapter.status().into());
            Some(super::device::ask_adapter().await)
        }
    };
    let remembered = match (&adapter, cfg.backend) {
        (Some(Ok(a)), BackendChoice::Auto) => super::device::remembered(a, cfg, &data),
        _ => None,
    };
    let mut observer = PageObserver::new(state);
    let finished = run_somewhere(
        state,
        cfg,
        &data,
        adapter,
        remembered,
        &mut observer,
        &mut watch,
    )
    .await?;
    observer.flush();
    let Some(outcome) = finished else {
        return Ok(None);
    };
    // The finished run's views in tasks of their own: the scatter, the history (and
    // comparison), then the result panels (together they were a task of ~70 ms here).
    super::scatter::show_finished(state, &outcome, &data);
    yield_now().await;
    let r = &outcome.record;
    state.add_run(r.clone());
    yield_now().await;
    let weights = (outcome.weights, r.config.clone());
    state.session.update_value(|s| s.weights = Some(weights));
    Ok(Some(run_view(r, &data)))
}

/// The result panels of a finished run.
fn run_view(r: &crate::report::RunRecord, data: &Dataset) -> RunView {
    let recon = r
        .figures
        .as_ref()
        .and_then(|f| f.reconstructions.as_ref())
        .map(super::image_rows::ImageRows::reconstructions);
    RunView {
        metrics: r.metrics.clone(),
        recon,
        ms_per_step: r.timings.seconds_per_step * 1000.0,
        train_seconds: r.timings.train_seconds,
        eval_seconds: r.timings.eval_seconds,
        class_names: data.class_names.clone(),
        stopped_early: r.stopped_early,
        latent: r.diagnostics.clone(),
        variational: r.config.model.is_variational(),
        collapse: r
            .collapse()
            .map(|why| (why, crate::eval::diagnostics::collapse_fixes(&r.config))),
    }
}

/// The run's end in the page: the result panels and status, or why there are none.
async fn show_outcome(state: LabState, outcome: Result<Option<RunView>, String>) {
    match outcome {
        Ok(Some(view)) => {
            state
                .done_ms
                .set(Some(now_ms() - state.run_started_ms.get_untracked()));
            state.status.set(format!(
                "Done: kNN accuracy {:.4}, AMI {:.4}{}",
                view.metrics.knn.accuracy,
                view.metrics.knn.ami,
                if view.collapse.is_some() {
                    "; the embedding collapsed (see Latent space)."
                } else {
                    "."
                }
            ));
            let bars = view.latent.clone().filter(|_| view.variational);
            state.result.set(Some(view));
            // The bars are a plotters chart, which measures its labels in the DOM (a forced
            // layout of the page just grown by the result panels): drawn in a task of their own.
            yield_now().await;
            state.latent_bars.set(bars);
        }
        Ok(None) => state
            .status
            .set("Stopped during evaluation; no metrics.".into()),
        Err(e) => {
            state.status.set("Failed.".into());
            // In a sweep the failure is noted and the next run goes on.
            state.sweep.update(|s| {
                if let Some(s) = s.as_mut().filter(|s| s.started > 0) {
                    let name = s.runs[s.started - 1].0.clone();
                    s.failed.push((name, e.clone()));
                }
            });
            state.error.set(Some(e));
        }
    }
}
