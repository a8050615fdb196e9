//! The page's side of the training worker (`worker.rs` runs inside it): starts it once, sends
//! it the dataset (again only when it changed) and the run, forwards Pause/Stop, and turns its
//! messages back into what the page shows. Training and evaluation never run on the main
//! thread; when a browser cannot start the worker, `app` trains in the page instead.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use js_sys::{Reflect, Uint8Array};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use super::app::{Finished, PageObserver};
use super::device::AdapterAnswer;
use crate::train::speed::AutoChoice;
use super::host::sleep_ms;
use super::state::LabState;
use super::worker::{dataset_to_js, FromWorker, ToWorker};
use crate::config::ExperimentConfig;
use crate::data::Dataset;

#[wasm_bindgen(module = "/src/ui/worker.js")]
extern "C" {
    #[wasm_bindgen(js_name = trainerStart)]
    fn trainer_start(on_message: &Closure<dyn FnMut(JsValue)>) -> bool;
    #[wasm_bindgen(js_name = trainerPost)]
    fn trainer_post(message: &JsValue, transfer: &js_sys::Array);
    #[wasm_bindgen(js_name = trainerEnd)]
    fn trainer_end();
}

type Inbox = Rc<RefCell<VecDeque<(FromWorker, Option<Vec<u8>>)>>>;

/// The running worker: its messages, and the dataset it holds.
struct Remote {
    inbox: Inbox,
    sent: Weak<Dataset>,
    _on_message: Closure<dyn FnMut(JsValue)>,
}

thread_local! {
    static REMOTE: RefCell<Option<Remote>> = const { RefCell::new(None) };
    /// Set when the worker could not boot: later runs train in the page.
    static UNAVAILABLE: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Whether the running worker has booted (a crash before that means it cannot boot here).
    static READY: Cell<bool> = const { Cell::new(false) };
}

/// Why the page trains on its main thread, when it does.
pub fn unavailable() -> Option<String> {
    UNAVAILABLE.with(|u| u.borrow().clone())
}

fn start() -> Option<Inbox> {
    if let Some(inbox) = REMOTE.with(|r| r.borrow().as_ref().map(|r| r.inbox.clone())) {
        return Some(inbox);
    }
    if unavailable().is_some() {
        return None;
    }
    let inbox: Inbox = Default::default();
    let sink = inbox.clone();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |m: JsValue| {
        let json = Reflect::get(&m, &"json".into())
            .ok()
            .and_then(|j| j.as_string())
            .unwrap_or_default();
        let message = serde_json::from_str::<FromWorker>(&json).unwrap_or_else(|e| {
            FromWorker::Failed(format!(
                "the page got a worker message it does not know: {e}"
            ))
        });
        let bytes = Reflect::get(&m, &"bytes".into())
            .ok()
            .and_then(|b| b.dyn_into::<Uint8Array>().ok())
            .map(|b| b.to_vec());
        sink.borrow_mut().push_back((message, bytes));
    });
    if !trainer_start(&on_message) {
        UNAVAILABLE
            .with(|u| *u.borrow_mut() = Some("this browser cannot start a module worker".into()));
        return None;
    }
    REMOTE.with(|r| {
        *r.borrow_mut() = Some(Remote {
            inbox: inbox.clone(),
            sent: Weak::new(),
            _on_message: on_message,
        })
    });
    Some(inbox)
}

/// Ends a worker that could not boot; this page trains in itself from now on (`None`).
fn cannot_boot<T>(why: &str) -> Option<T> {
    end();
    UNAVAILABLE
        .with(|u| *u.borrow_mut() = Some(format!("the training worker did not start ({why})")));
    None
}

/// Ends the worker (after a crash); the next run starts a fresh one.
fn end() {
    trainer_end();
    READY.set(false);
    REMOTE.with(|r| r.borrow_mut().take());
}

fn send(command: &ToWorker, data: Option<(JsValue, js_sys::Array)>) {
    let message = js_sys::Object::new();
    let json = serde_json::to_string(command).expect("commands serialise");
    let _ = Reflect::set(&message, &"json".into(), &json.into());
    let transfer = match data {
        Some((data, transfer)) => {
            let _ = Reflect::set(&message, &"data".into(), &data);
            transfer
        }
        None => js_sys::Array::new(),
    };
    trainer_post(&message, &transfer);
}

/// Runs `cfg` in the worker, showing its progress through `observer`. `None`: no worker could
/// start, train in the page.
pub async fn run(
    state: LabState,
    cfg: &ExperimentConfig,
    data: &Rc<Dataset>,
    adapter: Option<AdapterAnswer>,
    remembered: Option<AutoChoice>,
    observer: &mut PageObserver,
) -> Option<Result<Option<Finished>, String>> {
    let inbox = start()?;
    let fresh = REMOTE.with(|r| {
        let mut r = r.borrow_mut();
        let r = r.as_mut().expect("started");
        let same = r.sent.upgrade().is_some_and(|d| Rc::ptr_eq(&d, data));
        r.sent = Rc::downgrade(data);
        !same
    });
    if fresh {
        sleep_ms(0).await;
        send(&ToWorker::Data, Some(dataset_to_js(data)));
        sleep_ms(0).await;
    }
    send(
        &ToWorker::Run {
            config: cfg.clone(),
            adapter: adapter.clone(),
            remembered,
            fault: super::host::injected_fault().filter(|f| f.starts_with("worker-")),
        },
        None,
    );
    // Pause as asked in the page, and whether the worker has said it holds (the status line
    // says "Paused" only then, after the last step's events).
    let (mut paused, mut holding) = (false, false);
    loop {
        let next = inbox.borrow_mut().pop_front();
        let Some((message, bytes)) = next else {
            if state.paused.get_untracked() != paused {
                paused = !paused;
                send(&ToWorker::Pause(paused), None);
                if !paused && holding {
                    holding = false;
                    observer.show_pause(false);
                }
            }
            if state.stop_requested.get_untracked() {
                state.stop_requested.set(false);
                state.status.set("Stopping…".into());
                send(&ToWorker::Stop, None);
            }
            sleep_ms(25).await;
            continue;
        };
        match message {
            FromWorker::Ready => READY.set(true),
            FromWorker::BootFailed(why) => return cannot_boot(&why),
            // A crash before the worker said Ready: it cannot boot in this browser either.
            FromWorker::Crashed(why) if !READY.get() => return cannot_boot(&why),
            FromWorker::Status(text) => state.status.set(text),
            FromWorker::Backend(info) => {
                super::app::show_backend(state, &info, adapter.as_ref(), cfg, data)
            }
            FromWorker::Event(event) => observer.show(&event),
            FromWorker::LiveScatter {
                epoch,
                step,
                scatter,
            } => super::scatter::show(
                state,
                &scatter,
                None,
                &data.class_names,
                Some((epoch, step)),
            ),
            FromWorker::Paused => {
                if paused && !holding {
                    holding = true;
                    observer.flush();
                    observer.show_pause(true);
                }
            }
            FromWorker::Finished {
                record,
                scatter,
                weights_error,
            } => {
                return Some(Ok(Some(Finished {
                    record: *record,
                    scatter,
                    weights: bytes
                        .ok_or(weights_error.unwrap_or_else(|| "no weights came back".into())),
                })))
            }
            FromWorker::Abandoned => return Some(Ok(None)),
            // Only the Dawn runner asks for a benchmark.
            FromWorker::BenchLine(_) | FromWorker::BenchDone(_) => {}
            FromWorker::Failed(e) => return Some(Err(e)),
            FromWorker::Crashed(e) => {
                end();
                return Some(Err(format!(
                    "{e}; the worker was restarted, the page and its runs are kept"
                )));
            }
        }
    }
}
