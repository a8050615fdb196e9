//! The page's side of the training worker (`worker.rs` runs inside it): starts it once, sends
//! it the dataset (again only when it changed) and the run, forwards Pause/Stop, and turns its
//! messages back into what the page shows. Training and evaluation never run on the main
//! thread; when a browser cannot start the worker, `app` trains in the page instead. The
//! worker's link lives in the page's session (`session::WorkerLink`).

use std::rc::{Rc, Weak};

use js_sys::Reflect;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use super::device::AdapterAnswer;
use super::host::sleep_ms;
use super::progress::{show_backend, PageObserver};
use super::protocol::{dataset_to_js, from_worker, to_js, FromWorker, ToWorker};
use super::session::{Inbox, WorkerLink};
use super::state::LabState;
use crate::config::ExperimentConfig;
use crate::data::Dataset;
use crate::eval::tsne::TSNE_POINTS;
use crate::pipeline::Finished;
use crate::report::{Projection, Scatter};
use crate::train::speed::AutoChoice;

#[wasm_bindgen(module = "/src/ui/worker.js")]
extern "C" {
    #[wasm_bindgen(js_name = trainerStart)]
    fn trainer_start(on_message: &Closure<dyn FnMut(JsValue)>) -> bool;
    #[wasm_bindgen(js_name = trainerPost)]
    fn trainer_post(message: &JsValue, transfer: &js_sys::Array);
    #[wasm_bindgen(js_name = trainerEnd)]
    fn trainer_end();
}

/// The worker's inbox, starting the worker if this page has none; `None` when this browser
/// cannot run one.
fn start(state: LabState) -> Option<Inbox> {
    if let Some(inbox) = state
        .session
        .with_value(|s| s.worker.as_ref().map(|w| w.inbox.clone()))
    {
        return Some(inbox);
    }
    if state.session.with_value(|s| s.worker_unavailable.is_some()) {
        return None;
    }
    let inbox: Inbox = Default::default();
    let sink = inbox.clone();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |m: JsValue| {
        sink.borrow_mut().push_back(from_worker(&m));
    });
    if !trainer_start(&on_message) {
        state.session.update_value(|s| {
            s.worker_unavailable = Some("this browser cannot start a module worker".into())
        });
        return None;
    }
    state.session.update_value(|s| {
        s.worker = Some(WorkerLink {
            inbox: inbox.clone(),
            sent: Weak::new(),
            ready: false,
            _on_message: on_message,
        })
    });
    Some(inbox)
}

/// Ends a worker that could not boot; this page trains in itself from now on (`None`).
fn cannot_boot<T>(state: LabState, why: &str) -> Option<T> {
    end(state);
    state.session.update_value(|s| {
        s.worker_unavailable = Some(format!("the training worker did not start ({why})"))
    });
    None
}

/// Ends the worker (after a crash); the next run starts a fresh one.
fn end(state: LabState) {
    trainer_end();
    state.session.update_value(|s| s.worker = None);
}

fn send(command: &ToWorker, data: Option<(JsValue, js_sys::Array)>) {
    let message = to_js(command).expect("commands serialise");
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
pub async fn train_in_worker(
    state: LabState,
    cfg: &ExperimentConfig,
    data: &Rc<Dataset>,
    adapter: Option<AdapterAnswer>,
    remembered: Option<AutoChoice>,
    observer: &mut PageObserver,
) -> Option<Result<Option<Finished>, String>> {
    let inbox = start(state)?;
    let fresh = state.session.try_update_value(|s| {
        let w = s.worker.as_mut().expect("started");
        let same = w.sent.upgrade().is_some_and(|d| Rc::ptr_eq(&d, data));
        w.sent = Rc::downgrade(data);
        !same
    })?;
    if fresh {
        sleep_ms(0).await;
        send(&ToWorker::Data, Some(dataset_to_js(data).await));
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
            FromWorker::Ready => state.session.update_value(|s| {
                if let Some(w) = s.worker.as_mut() {
                    w.ready = true;
                }
            }),
            FromWorker::BootFailed(why) => return cannot_boot(state, &why),
            // A crash before the worker said Ready: it cannot boot in this browser either.
            FromWorker::Crashed(why)
                if !state
                    .session
                    .with_value(|s| s.worker.as_ref().is_some_and(|w| w.ready)) =>
            {
                return cannot_boot(state, &why)
            }
            FromWorker::Status(text) => state.status.set(text),
            FromWorker::Backend(info) => show_backend(state, &info, adapter.as_ref(), cfg, data),
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
                    // The worker keeps them (`project_in_worker`).
                    embeddings: Vec::new(),
                })));
            }
            FromWorker::Abandoned => return Some(Ok(None)),
            // Only the Dawn runner asks for a benchmark; projections are asked between runs.
            FromWorker::BenchLine(_)
            | FromWorker::BenchDone(_)
            | FromWorker::Projected { .. }
            | FromWorker::ProjectionFailed(_) => {}
            FromWorker::Failed(e) => return Some(Err(e)),
            FromWorker::Crashed(e) => {
                end(state);
                return Some(Err(format!(
                    "{e}; the worker was restarted, the page and its runs are kept"
                )));
            }
        }
    }
}

/// The last run's scatter in `projection`, made by the worker from the embeddings it kept, and
/// the seconds it took; `None` when this page has no worker (it trained in the page).
pub async fn project_in_worker(
    state: LabState,
    projection: Projection,
) -> Option<Result<(Scatter, f64), String>> {
    let inbox = state
        .session
        .with_value(|s| s.worker.as_ref().map(|w| w.inbox.clone()))?;
    send(&ToWorker::Project(projection), None);
    loop {
        let next = inbox.borrow_mut().pop_front();
        let Some((message, _)) = next else {
            sleep_ms(25).await;
            continue;
        };
        match message {
            FromWorker::Projected { scatter, seconds } => return Some(Ok((scatter, seconds))),
            FromWorker::ProjectionFailed(e) | FromWorker::Failed(e) => return Some(Err(e)),
            FromWorker::Crashed(e) => {
                end(state);
                return Some(Err(format!("{e}; the worker was restarted")));
            }
            _ => {}
        }
    }
}

/// Shows the last finished run in the chosen projection: PCA (or the 2-D latent space) at
/// once, t-SNE computed by the worker (in the page when it trained there).
pub async fn show_projection(state: LabState) {
    let projection = state.projection.get_untracked();
    let Some((pca, names)) = state.session.with_value(|s| s.last_scatter.clone()) else {
        return;
    };
    if projection == Projection::Pca || pca.axes != Projection::Pca.label() {
        super::scatter::show(state, &pca, None, &names, None);
        return;
    }
    state.projecting.set(true);
    let n = TSNE_POINTS.min(pca.points.len());
    state.status.set(format!(
        "Computing the {} of the first {n} test images…",
        projection.label()
    ));
    let result = match project_in_worker(state, projection).await {
        Some(result) => result,
        None => {
            super::host::yield_now().await;
            let start = super::host::now_ms();
            match state.session.with_value(|s| s.embeddings.clone()) {
                Some((e, dim, labels)) => Scatter::tsne(&e, dim, &labels)
                    .map(|s| (s, (super::host::now_ms() - start) / 1000.0)),
                None => Err("no finished run to project".into()),
            }
        }
    };
    state.projecting.set(false);
    // A run started meanwhile, or another choice: this result is no longer wanted.
    if state.running.get_untracked() || state.projection.get_untracked() != projection {
        return;
    }
    match result {
        Ok((scatter, seconds)) => {
            super::scatter::show(state, &scatter, None, &names, None);
            state.scatter.update(|c| {
                if let Some(c) = c {
                    c.seconds = Some(seconds);
                }
            });
            state.status.set(format!(
                "{} of {n} test images in {seconds:.1} s.",
                projection.label()
            ));
        }
        Err(e) => {
            state
                .error
                .set(Some(format!("The latent space stays in PCA: {e}.")));
            state.projection.set(Projection::Pca);
            super::scatter::show(state, &pca, None, &names, None);
        }
    }
}
