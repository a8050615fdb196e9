//! The page ⇄ training worker messages, serialised by serde on both sides: each message is
//! `{ json, bytes?, data? }`, where `json` is one of the enums below and `bytes` / `data` carry
//! what JSON should not (the weights, the dataset's typed arrays, transferred). `worker.js`
//! writes no message of its own in JSON: what it reports about booting or crashing arrives in
//! plain fields (`boot`, `crash`) and becomes a [`FromWorker`] here.

use js_sys::{Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

use super::device::AdapterAnswer;
use crate::config::{BackendChoice, ExperimentConfig};
use crate::data::{Dataset, ImageSet};
use crate::report::{Projection, RunRecord, Scatter};
use crate::train::speed::AutoChoice;
use crate::train::speed::BackendInfo;
use crate::train::TrainEvent;

/// What the page asks of the worker (a few messages per run, so `Run`'s size does not matter).
#[derive(Debug, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum ToWorker {
    /// The dataset to train on follows in the message's `data` field; `fault` is a test's
    /// injected fault (`stall-data`: the worker keeps silent).
    Data {
        fault: Option<String>,
    },
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
        backend: BackendChoice,
        steps: usize,
        adapter: Option<AdapterAnswer>,
    },
    Pause(bool),
    Stop,
    /// Project the last finished run's test embeddings (which the worker keeps) to 2-D.
    Project(Projection),
}

/// What the worker tells the page.
#[derive(Debug, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker's script runs (it loads the wasm module next).
    Started,
    /// The wasm module is up.
    Ready,
    /// The dataset arrived and was read.
    DataReceived,
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
    /// why there are none. `memory`: the worker's wasm memory in bytes (its peak).
    Finished {
        record: Box<RunRecord>,
        scatter: Scatter,
        weights_error: Option<String>,
        memory: f64,
    },
    /// The last run's scatter in another projection, and the seconds it took.
    Projected {
        scatter: Scatter,
        seconds: f64,
    },
    /// Why the projection could not be made (the page keeps the scatter it has).
    ProjectionFailed(String),
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

/// The message object for `command` (`{ json }`).
pub(super) fn to_js<T: Serialize>(command: &T) -> Result<Object, String> {
    let json = serde_json::to_string(command)
        .map_err(|e| format!("a message could not be encoded: {e}"))?;
    let object = Object::new();
    let _ = Reflect::set(&object, &"json".into(), &json.into());
    Ok(object)
}

/// The command in a message from the page.
pub(super) fn to_worker(message: &JsValue) -> Result<ToWorker, String> {
    let json = Reflect::get(message, &"json".into())
        .ok()
        .and_then(|j| j.as_string())
        .unwrap_or_default();
    serde_json::from_str(&json)
        .map_err(|e| format!("the worker got a message it does not know: {e}"))
}

/// A message from the worker (or from `worker.js` about the worker), and its bytes.
pub(super) fn from_worker(message: &JsValue) -> (FromWorker, Option<Vec<u8>>) {
    let field = |name: &str| {
        Reflect::get(message, &name.into())
            .ok()
            .filter(|v| !v.is_undefined())
    };
    let text = |name: &str| field(name).and_then(|v| v.as_string());
    let bytes = field("bytes")
        .and_then(|b| b.dyn_into::<Uint8Array>().ok())
        .map(|b| b.to_vec());
    let parsed = if let Some(why) = text("crash") {
        FromWorker::Crashed(why)
    } else if let Some(boot) = text("boot") {
        match boot.as_str() {
            "started" => FromWorker::Started,
            "ready" => FromWorker::Ready,
            _ => FromWorker::BootFailed(text("error").unwrap_or(boot)),
        }
    } else {
        let json = text("json").unwrap_or_default();
        serde_json::from_str::<FromWorker>(&json).unwrap_or_else(|e| {
            FromWorker::Failed(format!(
                "the page got a worker message it does not know: {e}"
            ))
        })
    };
    (parsed, bytes)
}

/// Bytes copied out of wasm memory in one task by [`dataset_to_js`].
const COPY_PIECE: usize = 4 << 20;

/// The dataset as a plain object of typed arrays (transferred to the worker). The pixels are
/// copied a piece at a time with a yield between pieces: copying MNIST's 47 MB of training
/// images at once is a main-thread task of about 40 ms here.
pub(super) async fn dataset_to_js(data: &Dataset) -> (JsValue, js_sys::Array) {
    let transfer = js_sys::Array::new();
    let bytes = async |b: &[u8]| {
        let array = Uint8Array::new_with_length(b.len() as u32);
        for (i, piece) in b.chunks(COPY_PIECE).enumerate() {
            let at = (i * COPY_PIECE) as u32;
            array.subarray(at, at + piece.len() as u32).copy_from(piece);
            super::host::yield_now().await;
        }
        transfer.push(&array.buffer());
        JsValue::from(array)
    };
    let o = Object::new();
    let _ = Reflect::set(&o, &"name".into(), &data.name.as_str().into());
    let names = js_sys::Array::new();
    data.class_names.iter().for_each(|n| {
        names.push(&n.as_str().into());
    });
    let _ = Reflect::set(&o, &"classNames".into(), &names);
    for (key, s) in [("train", &data.train), ("test", &data.test)] {
        let set = Object::new();
        let _ = Reflect::set(&set, &"pixels".into(), &bytes(&s.pixels).await);
        let _ = Reflect::set(&set, &"labels".into(), &bytes(&s.labels).await);
        let _ = Reflect::set(&set, &"rows".into(), &(s.rows as u32).into());
        let _ = Reflect::set(&set, &"cols".into(), &(s.cols as u32).into());
        let _ = Reflect::set(&o, &key.into(), &set);
    }
    (o.into(), transfer)
}

pub(super) fn dataset_from_js(o: &JsValue) -> Result<Dataset, String> {
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
