//! The training worker's side (the same wasm module as the page, booted by `worker.js` in a
//! dedicated Web Worker): it keeps the dataset the page sent, trains and evaluates with the
//! pipeline the CLI uses, and posts every training event, then the record, the full scatter and
//! the weights. The page's main thread only draws, so it never freezes while a model trains.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

use super::device::AdapterAnswer;
use super::host::{now_ms, sleep_ms, Pacer};
use crate::backend::BackendInfo;
use crate::train::speed::AutoChoice;
use crate::config::ExperimentConfig;
use crate::data::{Dataset, ImageSet};
use burn::module::Module;
use burn::prelude::Device;

use crate::eval::embed::embed_images;
use crate::model::LabModel;
use crate::pipeline::{embed_chunk, prior_components};
use crate::report::{RunRecord, Scatter};
use crate::train::{Flow, Observer, Silent, TrainEvent};

/// What the page asks of the worker.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum ToWorker {
    /// The dataset to train on follows in the message's `data` field.
    Data,
    /// Train and evaluate. `adapter` is what the page found when it asked for a WebGPU adapter
    /// (or why there is none); `remembered` is Auto's earlier choice for this shape in this
    /// browser; `fault` is a test's injected fault.
    Run {
        config: ExperimentConfig,
        adapter: Option<AdapterAnswer>,
        remembered: Option<AutoChoice>,
        fault: Option<String>,
    },
    /// Time every model family on `backend` (the page's benchmark, for the Dawn runner).
    Bench {
        backend: crate::config::BackendChoice,
        steps: usize,
        adapter: Option<AdapterAnswer>,
    },
    Pause(bool),
    Stop,
}

/// What the worker tells the page.
#[derive(Debug, Serialize, Deserialize)]
pub(super) enum FromWorker {
    /// The wasm module is up.
    Ready,
    /// The worker could not load the app (the page then trains on its main thread).
    BootFailed(String),
    /// What the worker is doing before training starts (Auto's measurement).
    Status(String),
    Backend(BackendInfo),
    Event(TrainEvent),
    /// The latent space while training: the first test images (point `i` is test image `i`),
    /// after `step` optimiser steps of `epoch`.
    LiveScatter {
        epoch: usize,
        step: usize,
        scatter: Scatter,
    },
    /// Training holds after a Pause (every event before this one has been posted).
    Paused,
    /// The run finished; the weights (.safetensors) follow in `bytes`, or `weights_error` says
    /// why there are none.
    Finished {
        record: Box<RunRecord>,
        scatter: Scatter,
        weights_error: Option<String>,
    },
    /// One benchmark result (JSON, as `dml-lab bench` prints it).
    BenchLine(String),
    /// The benchmark finished (`Err`: why it stopped).
    BenchDone(Result<(), String>),
    /// Stopped during evaluation: no metrics.
    Abandoned,
    Failed(String),
    /// A panic or an uncaught error: the worker's wasm instance cannot go on.
    Crashed(String),
}

thread_local! {
    static DATA: RefCell<Option<Rc<Dataset>>> = const { RefCell::new(None) };
    static PAUSED: Cell<bool> = const { Cell::new(false) };
    static STOP: Cell<bool> = const { Cell::new(false) };
}

/// Called by `worker.js` for each message from the page.
pub fn receive(message: JsValue) {
    let json = Reflect::get(&message, &"json".into())
        .ok()
        .and_then(|j| j.as_string())
        .unwrap_or_default();
    let command = match serde_json::from_str::<ToWorker>(&json) {
        Ok(c) => c,
        Err(e) => {
            post(
                &FromWorker::Failed(format!("the worker got a message it does not know: {e}")),
                None,
            );
            return;
        }
    };
    match command {
        ToWorker::Data => {
            let data = Reflect::get(&message, &"data".into()).unwrap_or(JsValue::UNDEFINED);
            match dataset_from_js(&data) {
                Ok(d) => DATA.with(|slot| *slot.borrow_mut() = Some(Rc::new(d))),
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
            PAUSED.set(false);
            STOP.set(false);
            if fault.as_deref() == Some("worker-panic") {
                panic!("fault injected by a test (window.__dmlLabFault = \"worker-panic\")");
            }
            wasm_bindgen_futures::spawn_local(run(config, adapter, remembered));
        }
        ToWorker::Bench {
            backend,
            steps,
            adapter,
        } => wasm_bindgen_futures::spawn_local(async move {
            let result = super::bench::run_bench(
                backend,
                steps,
                adapter,
                |s| post(&FromWorker::Status(s), None),
                |line| post(&FromWorker::BenchLine(line), None),
            )
            .await;
            post(&FromWorker::BenchDone(result), None);
        }),
        ToWorker::Pause(p) => PAUSED.set(p),
        ToWorker::Stop => STOP.set(true),
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

async fn run(
    config: ExperimentConfig,
    adapter: Option<AdapterAnswer>,
    remembered: Option<AutoChoice>,
) {
    let message = match train(&config, adapter, remembered).await {
        Ok(message) => message,
        Err(e) => (FromWorker::Failed(e), None),
    };
    post(&message.0, message.1.map(|b| Uint8Array::from(&b[..])));
}

async fn train(
    config: &ExperimentConfig,
    adapter: Option<AdapterAnswer>,
    remembered: Option<AutoChoice>,
) -> Result<(FromWorker, Option<Vec<u8>>), String> {
    let data = DATA
        .with(|d| d.borrow().clone())
        .ok_or("the worker has no dataset")?;
    let (device, info) = super::device::pick_device(config, &data, adapter, remembered, |s| {
        post(&FromWorker::Status(s), None)
    })
    .await?;
    post(&FromWorker::Backend(info.clone()), None);
    let chunk = embed_chunk(&info);
    let mut observer = WorkerObserver {
        pacer: Pacer::new(YIELD_MS),
        data: data.clone(),
        device: device.clone(),
        config: config.clone(),
        chunk,
        last_scatter: None,
        epoch: 1,
        step_in_epoch: 0,
    };
    let finished = super::app::train_to_finish(config, &data, &device, info, &mut observer).await?;
    let Some(finished) = finished else {
        return Ok((FromWorker::Abandoned, None));
    };
    let (bytes, weights_error) = match finished.weights {
        Ok(b) => (Some(b), None),
        Err(e) => (None, Some(e)),
    };
    Ok((
        FromWorker::Finished {
            record: Box::new(finished.record),
            scatter: finished.scatter,
            weights_error,
        },
        bytes,
    ))
}

/// Posts every event to the page; yields to the worker's event loop often enough that a Pause
/// or Stop from the page arrives within a step.
struct WorkerObserver {
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
        let embeddings = embed_images(model, test, &idx, self.chunk, &self.device, &mut Silent)
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
        if PAUSED.get() && !STOP.get() {
            post(&FromWorker::Paused, None);
            while PAUSED.get() && !STOP.get() {
                sleep_ms(50).await;
            }
        }
        if STOP.replace(false) {
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
    let json = serde_json::to_string(message).unwrap_or_else(|e| {
        serde_json::to_string(&FromWorker::Failed(format!(
            "a worker message could not be encoded: {e}"
        )))
        .unwrap_or_default()
    });
    let object = Object::new();
    let _ = Reflect::set(&object, &"json".into(), &json.into());
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

/// The dataset as a plain object of typed arrays (structured-cloned to the worker).
pub(super) fn dataset_to_js(data: &Dataset) -> (JsValue, js_sys::Array) {
    let transfer = js_sys::Array::new();
    let set = |s: &ImageSet| {
        let o = Object::new();
        let pixels = Uint8Array::from(&s.pixels[..]);
        let labels = Uint8Array::from(&s.labels[..]);
        transfer.push(&pixels.buffer());
        transfer.push(&labels.buffer());
        let _ = Reflect::set(&o, &"pixels".into(), &pixels);
        let _ = Reflect::set(&o, &"labels".into(), &labels);
        let _ = Reflect::set(&o, &"rows".into(), &(s.rows as u32).into());
        let _ = Reflect::set(&o, &"cols".into(), &(s.cols as u32).into());
        o
    };
    let o = Object::new();
    let _ = Reflect::set(&o, &"name".into(), &data.name.as_str().into());
    let names = js_sys::Array::new();
    data.class_names.iter().for_each(|n| {
        names.push(&n.as_str().into());
    });
    let _ = Reflect::set(&o, &"classNames".into(), &names);
    let _ = Reflect::set(&o, &"train".into(), &set(&data.train));
    let _ = Reflect::set(&o, &"test".into(), &set(&data.test));
    (o.into(), transfer)
}

fn dataset_from_js(o: &JsValue) -> Result<Dataset, String> {
    let get =
        |o: &JsValue, key: &str| Reflect::get(o, &key.into()).map_err(|_| format!("no {key}"));
    let bytes = |o: &JsValue, key: &str| -> Result<Vec<u8>, String> {
        Ok(get(o, key)?
            .dyn_into::<Uint8Array>()
            .map_err(|_| format!("{key} is not a byte array"))?
            .to_vec())
    };
    let number = |o: &JsValue, key: &str| -> Result<usize, String> {
        get(o, key)?
            .as_f64()
            .map(|n| n as usize)
            .ok_or(format!("{key} is not a number"))
    };
    let set = |key: &str| -> Result<ImageSet, String> {
        let s = get(o, key)?;
        Ok(ImageSet {
            pixels: bytes(&s, "pixels")?,
            labels: bytes(&s, "labels")?,
            rows: number(&s, "rows")?,
            cols: number(&s, "cols")?,
        })
    };
    let names: js_sys::Array = get(o, "classNames")?
        .dyn_into()
        .map_err(|_| "classNames is not an array")?;
    Ok(Dataset {
        name: get(o, "name")?.as_string().ok_or("name is not a string")?,
        class_names: names.iter().filter_map(|n| n.as_string()).collect(),
        train: set("train")?,
        test: set("test")?,
    })
}
