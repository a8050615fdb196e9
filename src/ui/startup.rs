//! The steps that start a run in the page, in order, each with the longest time it may go
//! without a sign of life before the page says which step stalled and falls back: no run may
//! hang on "Starting…" without a word (a WebKit quirk once kept the worker from booting, and
//! the page waited forever).
//!
//! The bounds (docs/browsers.md has the measured times): each is at least ten times the
//! slowest time the step took in Chromium, Firefox and WebKit on this project's 2-core test
//! machine, and at least 10 s, so that a phone several times slower, or a worker that fetches
//! the 3.7 MB (gzipped) wasm again over a slow network, still starts; a step that takes longer
//! is stuck, not slow, and a visitor should not wait longer to hear so. Steps that report
//! progress (Auto's status lines, the neighbour search's blocks, every training event) restart
//! their clock with each report.

use super::host::now_ms;

/// One step of starting a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartStep {
    /// The page asks the browser for a WebGPU adapter (Auto and WebGPU only).
    Adapter,
    /// The worker's script runs and answers the page's first message.
    WorkerBoot,
    /// The worker compiles and instantiates the lab's wasm module.
    Wasm,
    /// The dataset reaches the worker.
    Data,
    /// The worker makes the device (and Auto times both backends).
    Device,
    /// The first optimiser step (after the neighbour search, for the runs that have one).
    FirstStep,
}

impl StartStep {
    /// Every step, in the order a run goes through them.
    pub const ALL: [StartStep; 6] = [
        StartStep::Adapter,
        StartStep::WorkerBoot,
        StartStep::Wasm,
        StartStep::Data,
        StartStep::Device,
        StartStep::FirstStep,
    ];

    /// The step's name in the page's figures (`data-startup`) and in the tests' faults.
    pub fn key(self) -> &'static str {
        match self {
            StartStep::Adapter => "adapter",
            StartStep::WorkerBoot => "worker-boot",
            StartStep::Wasm => "wasm",
            StartStep::Data => "data",
            StartStep::Device => "device",
            StartStep::FirstStep => "first-step",
        }
    }

    /// What the page is doing in this step, in a visitor's words (after "while").
    pub fn doing(self) -> &'static str {
        match self {
            StartStep::WorkerBoot => "starting the training worker (a background thread)",
            StartStep::Wasm => "loading the lab's program (WebAssembly) into the training worker",
            StartStep::Adapter => "asking the browser for a WebGPU adapter",
            StartStep::Data => "handing the images to the training worker",
            StartStep::Device => "starting the backend",
            StartStep::FirstStep => "waiting for the first training step",
        }
    }

    /// The status line while the step runs.
    pub fn status(self) -> &'static str {
        match self {
            StartStep::WorkerBoot => "Starting the training worker…",
            StartStep::Wasm => "Loading the lab's program into the training worker…",
            StartStep::Adapter => "Asking the browser for a WebGPU adapter…",
            StartStep::Data => "Handing the images to the training worker…",
            StartStep::Device => "Starting the backend…",
            StartStep::FirstStep => "Starting training…",
        }
    }

    /// The longest time (ms) the step may go without a sign of life (see the module's note).
    /// A test may shorten every bound with `window.__dmlLabStartBoundMs`.
    pub fn bound_ms(self) -> f64 {
        if let Some(ms) = super::host::test_start_bound_ms(self.key()) {
            return ms;
        }
        // Slowest measured here in brackets (docs/browsers.md).
        1000.0
            * match self {
                // A small script answering a message (25–40 ms, WebKit).
                StartStep::WorkerBoot => 10.0,
                // Fetching and compiling 18 MB of wasm in the worker (0.5–0.6 s, WebKit; the
                // fetch comes from the HTTP cache where the host allows caching).
                StartStep::Wasm => 60.0,
                // The browser answers at once, or after starting its GPU process.
                StartStep::Adapter => 10.0,
                // MNIST's 55 MB copied into the worker's memory (40–80 ms, WebKit).
                StartStep::Data => 30.0,
                // Per status line: Auto times each backend for a few seconds (up to 5 s on
                // a hardware adapter); the CPU's device is made at once (43–56 ms, WebKit).
                StartStep::Device => 60.0,
                // Per event: the first step (1.0–1.4 s, WebKit's CPU path; 14–24 s on SwiftShader's
                // WebGPU, shader compilation included); the neighbour search reports each
                // block of images (~0.1 s each).
                StartStep::FirstStep => 60.0,
            }
    }
}

/// Which start-up step a run is in, since when, and when each step ended (ms after Train).
pub struct StartWatch {
    /// The step under way (`None`: before the first, or after the first training step).
    step: Option<StartStep>,
    since: f64,
    started: f64,
    /// Each step that ran and when it ended, in ms after `started`.
    done: Vec<(StartStep, f64)>,
}

impl StartWatch {
    /// A watch of a run that started (Train) at `started` (`now_ms`), in no step yet.
    pub fn new(started: f64) -> Self {
        Self {
            step: None,
            since: now_ms(),
            started,
            done: Vec::new(),
        }
    }

    /// The step under way, if any.
    pub fn step(&self) -> Option<StartStep> {
        self.step
    }

    /// The step under way ended; `next` starts now. A step at or before the current one is
    /// ignored (messages of a booted worker arrive late).
    pub fn enter(&mut self, next: StartStep) {
        let at = |s| StartStep::ALL.iter().position(|&x| x == s);
        if self.step.is_some_and(|s| at(next) <= at(s)) {
            return;
        }
        self.end_step();
        self.step = Some(next);
        self.since = now_ms();
    }

    /// The run made its first step: its start is over, nothing is watched any more.
    pub fn finish(&mut self) {
        self.end_step();
        self.step = None;
    }

    /// Starts over at `step` (a fresh worker after a stall), keeping the figures so far.
    pub fn restart_at(&mut self, step: StartStep) {
        self.step = Some(step);
        self.since = now_ms();
    }

    fn end_step(&mut self) {
        if let Some(step) = self.step {
            self.done.push((step, now_ms() - self.started));
        }
    }

    /// The step showed a sign of life: its clock starts again.
    pub fn alive(&mut self) {
        self.since = now_ms();
    }

    /// Why the run stalled, when the step under way has gone past its bound.
    pub fn stalled(&self) -> Option<String> {
        let step = self.step?;
        let bound = step.bound_ms();
        (now_ms() - self.since > bound).then(|| stall_message(step, bound))
    }

    /// Each step that ran and when it ended, as `key:ms` pairs (the status line's
    /// `data-startup`).
    pub fn figures(&self) -> String {
        self.done
            .iter()
            .map(|(s, ms)| format!("{}:{:.0}", s.key(), ms))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What the page says when `step` went `bound_ms` without answering.
pub fn stall_message(step: StartStep, bound_ms: f64) -> String {
    let seconds = bound_ms / 1000.0;
    let seconds = if seconds >= 1.0 {
        format!("{seconds:.0} s")
    } else {
        format!("{seconds:.1} s")
    };
    format!(
        "The page stalled while {} (no answer in {seconds})",
        step.doing()
    )
}
