//! The training worker's side (the same wasm module as the page, booted by `worker.js` in a
//! dedicated Web Worker): it keeps the dataset the page sent, trains and evaluates with the
//! pipeline the CLI uses, and posts every training event, then the record, the full scatter and
//! the weights. The page's main thread only draws, so it never freezes while a model trains.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::device::AdapterAnswer;
use super::host::{now_ms, sleep_ms, Pacer};
use super::protocol::{dataset_from_js, to_js, to_worker, FromWorker, ToWorker};
use crate::config::ExperimentConfig;
use crate::data::Dataset;
use crate::train::speed::AutoChoice;
use burn::module::Module;
use burn::prelude::Device;

use crate::model::LabModel;
use crate::pipeline::{check_page_memory, embed_chunk, prior_components, train_to_finish};
use crate::report::{Projection, Scatter};
use crate::train::embed::embed_images;
use crate::train::{EmbeddedSet, Flow, Observer, Readback, Silent, TrainEvent};

/// What the worker holds between messages: the dataset the page sent, and whether the page
/// has paused or stopped the run. (The worker has no page, so no leptos context: one slot.)
#[derive(Default)]
struct WorkerState {
    data: Option<Rc<Dataset>>,
    /// The last finished run's test embeddings and their size (for `Project`).
    embeddings: Option<(Vec<f32>, usize)>,
    paused: bool,
    stop: bool,
    /// A test made the worker stall (`stall-data`): it ignores every message.
    stuck: bool,
}

thread_local! {
    static STATE: RefCell<WorkerState> = RefCell::new(WorkerState::default());
}

fn with_state<T>(f: impl FnOnce(&mut WorkerState) -> T) -> T {
    STATE.with(|s| f(&mut s.borrow_mut()))
}

/// Called by `worker.js` for each message from the page.
pub fn receive(message: JsValue) {
    if with_state(|s| s.stuck) {
        return;
    }
    let command = match to_worker(&message) {
        Ok(c) => c,
        Err(e) => {
            post(&FromWorker::Failed(e), None);
            return;
        }
    };
    match command {
        ToWorker::Data { fault } => {
            if fault.as_deref() == Some("stall-data") {
                // A stuck worker answers nothing more.
                with_state(|s| s.stuck = true);
                return;
            }
            let data = Reflect::get(&message, &"data".into()).unwrap_or(JsValue::UNDEFINED);
            match dataset_from_js(&data) {
                Ok(d) => {
                    with_state(|s| s.data = Some(Rc::new(d)));
                    post(&FromWorker::DataReceived, None);
                }
                Err(e) => post(
                    &FromWorker::Failed(format!("the dataset did not reach the worker: {e}")),
                    None,
                ),
            }
        }
        ToWorker::Run {
            config,
            adapter,
            remembered,
            fault,
        } => {
            with_state(|s| (s.paused, s.stop, s.embeddings) = (false, false, None));
            super::host::set_injected_fault(fault.as_deref());
            if fault.as_deref() == Some("worker-panic") {
                panic!("fault injected by a test (window.__dmlLabFault = \"worker-panic\")");
            }
            wasm_bindgen_futures::spawn_local(train_and_report(config, adapter, remembered, fault));
        }
        ToWorker::Bench {
            backend,
            steps,
            adapter,
        } => wasm_bindgen_futures::spawn_local(async move {
            let result = super::bench::run_bench(
                backend,
                false,
                steps,
                adapter,
                |s| post(&FromWorker::Status(s), None),
                |line| post(&FromWorker::BenchLine(line), None),
            )
            .await;
            post(&FromWorker::BenchDone(result), None);
        }),
        ToWorker::Project(projection) => post(&project(projection), None),
        ToWorker::Pause(p) => with_state(|s| s.paused = p),
        ToWorker::Stop => with_state(|s| s.stop = true),
    }
}

/// The last run's scatter in `projection`, from the embeddings kept after it finished.
fn project(projection: Projection) -> FromWorker {
    let kept = with_state(|s| s.data.clone().zip(s.embeddings.clone()));
    let Some((data, (embeddings, dim))) = kept else {
        return FromWorker::ProjectionFailed("no finished run to project".into());
    };
    let start = now_ms();
    let labels = &data.test.labels;
    let scatter = match projection {
        Projection::Pca => Ok(Scatter::project(&embeddings, dim, labels, &[])),
        Projection::Tsne => Scatter::tsne(&embeddings, dim, labels),
    };
    match scatter {
        Ok(scatter) => FromWorker::Projected {
            scatter,
            seconds: (now_ms() - start) / 1000.0,
        },
        Err(e) => FromWorker::ProjectionFailed(format!("no {} ({e})", projection.label())),
    }
}

/// The worker's panic hook: tell the page, which ends this worker and starts a new one.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        post(
            &FromWorker::Crashed(format!("internal error in the training worker: {info}")),
            None,
        );
    }));
}

/// Trains and evaluates `config`, posting its progress, then the result (or why it failed).
async fn train_and_report(
    config: ExperimentConfig,
    adapter: Option<AdapterAnswer>,
    remembered: Option<AutoChoice>,
    fault: Option<String>,
) {
    let message = match train(&config, adapter, remembered, fault).await {
        Ok(message) => message,
        Err(e) => (FromWorker::Failed(e), None),
    };
    post(&message.0, message.1.map(|b| Uint8Array::from(&b[..])));
}

async fn train(
    config: &ExperimentConfig,
    adapter: Option<AdapterAnswer>,
    remembered: Option<AutoChoice>,
    fault: Option<String>,
) -> Result<(FromWorker, Option<Vec<u8>>), String> {
    let data = with_state(|s| s.data.clone()).ok_or("the worker has no dataset")?;
    check_page_memory(config, &data)?;
    // A test's stalled start: the page's watch must notice (it ends this worker).
    if fault.as_deref() == Some("stall-device") {
        std::future::pending::<()>().await;
    }
    let (device, info) = super::device::pick_device(config, &data, adapter, remembered, |s| {
        post(&FromWorker::Status(s), None)
    })
    .await?;
    post(&FromWorker::Backend(info.clone()), None);
    if fault.as_deref() == Some("stall-first-step") {
        std::future::pending::<()>().await;
    }
    let chunk = embed_chunk(&info, config, &data);
    let mut observer = WorkerObserver {
        readback: Readback::for_run(info.kind),
        pacer: Pacer::new(YIELD_MS),
        data: data.clone(),
        device: device.clone(),
        config: config.clone(),
        chunk,
        last_scatter: None,
        epoch: 1,
        step_in_epoch: 0,
    };
    let finished = train_to_finish(config, &data, &device, info, &mut observer).await?;
    let Some(finished) = finished else {
        return Ok((FromWorker::Abandoned, None));
    };
    with_state(|s| s.embeddings = Some((finished.embeddings, config.lsdim)));
    let (bytes, weights_error) = match finished.weights {
        Ok(b) => (Some(b), None),
        Err(e) => (None, Some(e)),
    };
    Ok((
        FromWorker::Finished {
            record: Box::new(finished.record),
            scatter: finished.scatter,
            weights_error,
            memory: super::host::wasm_memory_bytes(),
        },
        bytes,
    ))
}

/// Posts every event to the page; yields to the worker's event loop often enough that a Pause
/// or Stop from the page arrives within a step.
struct WorkerObserver {
    /// How the trainer reads losses back on this run's backend.
    readback: Readback,
    pacer: Pacer,
    data: Rc<Dataset>,
    device: Device,
    config: ExperimentConfig,
    chunk: usize,
    /// When the last live scatter was posted (ms), if one was.
    last_scatter: Option<f64>,
    /// Where training is, for the live scatter's caption.
    epoch: usize,
    step_in_epoch: usize,
}

/// Longest stretch of work between two looks at the worker's message queue.
const YIELD_MS: f64 = 50.0;

/// Test images in the live scatter (the evaluated run draws all of them).
const LIVE_SCATTER_POINTS: usize = 1000;

/// Time between two live scatters while training; the first follows the first step.
const LIVE_SCATTER_MS: f64 = 2000.0;

impl WorkerObserver {
    /// The first test images embedded by `model`, projected like the final scatter.
    async fn snapshot(&self, model: &LabModel) -> Result<Scatter, String> {
        let test = &self.data.test;
        let idx: Vec<usize> = (0..LIVE_SCATTER_POINTS.min(test.len())).collect();
        let embeddings = embed_images(
            model,
            (test, EmbeddedSet::Test),
            &idx,
            self.chunk,
            &self.device,
            &mut Silent,
        )
        .await?
        .unwrap_or_default();
        let components = prior_components(&self.config, model).await?;
        let labels = &test.labels[..idx.len()];
        Ok(Scatter::project(
            &embeddings,
            self.config.lsdim,
            labels,
            &components,
        ))
    }

    /// Holds while the page has paused the run; `Stop` when it asked to stop.
    async fn flow(&mut self) -> Flow {
        self.pacer.breathe().await;
        let holding = || with_state(|s| s.paused && !s.stop);
        if holding() {
            post(&FromWorker::Paused, None);
            while holding() {
                sleep_ms(50).await;
            }
        }
        if with_state(|s| std::mem::take(&mut s.stop)) {
            return Flow::Stop;
        }
        Flow::Continue
    }
}

impl WorkerObserver {
    /// Posts the latent space as `model` has it now.
    async fn post_scatter(&mut self, model: &LabModel) {
        self.last_scatter = Some(now_ms());
        match self.snapshot(model).await {
            Ok(scatter) => post(
                &FromWorker::LiveScatter {
                    epoch: self.epoch,
                    step: self.step_in_epoch,
                    scatter,
                },
                None,
            ),
            // The run goes on; the page keeps the last scatter it had.
            Err(e) => log(&format!("no latent scatter at epoch {}: {e}", self.epoch)),
        }
    }
}

impl Observer for WorkerObserver {
    fn readback(&self) -> Readback {
        self.readback
    }

    async fn on_event(&mut self, event: &TrainEvent) -> Flow {
        if let TrainEvent::Step { epoch, step, .. } = event {
            (self.epoch, self.step_in_epoch) = (*epoch, *step);
        }
        post(&FromWorker::Event(event.clone()), None);
        self.flow().await
    }

    async fn during_training(&mut self, _global_step: usize, model: &LabModel) -> Flow {
        let due = self
            .last_scatter
            .is_none_or(|last| now_ms() - last >= LIVE_SCATTER_MS);
        if due {
            self.post_scatter(&model.valid()).await;
        }
        self.flow().await
    }

    async fn after_epoch(&mut self, _epoch: usize, model: &LabModel) -> Flow {
        self.post_scatter(model).await;
        self.flow().await
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn log(message: &str);
}

/// `postMessage({ json, bytes })` to the page (the bytes' buffer is transferred, not copied).
fn post(message: &FromWorker, bytes: Option<Uint8Array>) {
    let Ok(object) = to_js(message).or_else(|e| to_js(&FromWorker::Failed(e))) else {
        return;
    };
    let transfer = js_sys::Array::new();
    if let Some(b) = bytes {
        transfer.push(&b.buffer());
        let _ = Reflect::set(&object, &"bytes".into(), &b);
    }
    let global = js_sys::global();
    if let Ok(post) =
        Reflect::get(&global, &"postMessage".into()).and_then(|f| f.dyn_into::<Function>())
    {
        let _ = post.call2(&global, &object, &transfer);
    }
}
