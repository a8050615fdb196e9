//! How fast a device trains the experiment at hand: a few real steps of it, timed after a
//! warm-up step (which compiles the GPU's shaders and is reported, not compared), within a
//! budget. Auto (page and CLI) measures each backend this way and trains on the faster one.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

use burn::prelude::Device;
use serde::{Deserialize, Serialize};
use web_time::Instant;

use super::events::{Flow, Observer, TrainEvent};
use super::trainer::{train, TrainError};
use crate::backend::BackendKind;
use crate::config::ExperimentConfig;
use crate::data::Dataset;

/// Limits of one backend's measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeedBudget {
    /// Longest the warm-up step may take (it includes shader compilation on a GPU).
    pub warmup_seconds: f64,
    /// Longest the timed steps may take together; the first one must finish within it.
    pub timed_seconds: f64,
    /// Most timed steps.
    pub max_steps: usize,
}

impl SpeedBudget {
    /// For the CPU, and for a software GPU adapter (SwiftShader, llvmpipe, lavapipe): a slow
    /// adapter costs the visitor about two seconds, not minutes.
    pub const QUICK: SpeedBudget = SpeedBudget {
        warmup_seconds: 1.5,
        timed_seconds: 0.5,
        max_steps: 8,
    };
    /// For a hardware GPU, from the counted work of a step (docs/bench.md, "WebGPU work per
    /// step"): the first step compiles every pipeline the run needs, at most 117 for a
    /// family's first run (MetricVAE, counted), so 4 s allows ~34 ms per pipeline and caps a
    /// visitor's wait on a slow or broken driver at 4 s (it was 20) before Auto trains on the
    /// CPU. A step's dispatch floor is at most 36 ms (513 dispatches × 71 µs, Metal's slowest
    /// published overhead), so eight timed steps fit in 0.3 s of the 1 s.
    pub const HARDWARE_GPU: SpeedBudget = SpeedBudget {
        warmup_seconds: 4.0,
        timed_seconds: 1.0,
        max_steps: 8,
    };
}

/// What a measurement found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeedSample {
    /// Seconds of the warm-up step (`None`: it did not finish within the budget).
    pub warmup_seconds: Option<f64>,
    /// Timed steps that finished (0: the first did not finish within the budget).
    pub steps: usize,
    /// Their wall time.
    pub seconds: f64,
    /// Why the device could not be measured (it failed, or the budget ran out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

impl SpeedSample {
    /// Timed steps per second, when at least one finished.
    pub fn steps_per_s(&self) -> Option<f64> {
        (self.steps > 0 && self.seconds > 0.0).then(|| self.steps as f64 / self.seconds)
    }

    /// A device that could not be measured.
    pub fn failed(why: impl Into<String>) -> Self {
        Self {
            warmup_seconds: None,
            steps: 0,
            seconds: 0.0,
            failed: Some(why.into()),
        }
    }

    /// `"28.1 steps/s"`, or why there is no figure.
    pub fn describe(&self) -> String {
        match (self.steps_per_s(), &self.failed, self.warmup_seconds) {
            (Some(r), _, _) => format!("{} steps/s", figure(r)),
            (None, Some(why), _) => why.clone(),
            (None, None, None) => "no step within the time allowed".into(),
            (None, None, Some(_)) => "no timed step within the time allowed".into(),
        }
    }
}

/// What actually ran, for the run record and the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendInfo {
    pub kind: BackendKind,
    /// Human-readable detail: the adapter, or why the CPU was used.
    pub detail: String,
    /// What Auto measured on each backend, when Auto chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto: Option<AutoChoice>,
}

impl BackendInfo {
    /// A run on `kind`, described by `detail`.
    pub fn new(kind: BackendKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            auto: None,
        }
    }
}

/// What Auto measured on each backend, and which it chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoChoice {
    /// The GPU adapter, as the host names it.
    pub adapter: String,
    /// A software adapter: the GPU is emulated on the CPU (SwiftShader, llvmpipe, lavapipe, or
    /// one the browser marks as a fallback adapter).
    pub software: bool,
    pub wgpu: SpeedSample,
    pub cpu: SpeedSample,
    /// Trains on the GPU (else on the CPU).
    pub use_wgpu: bool,
    /// Taken from an earlier measurement of the same experiment shape in this browser.
    #[serde(default)]
    pub cached: bool,
}

impl AutoChoice {
    /// The faster of the two; a backend without a figure loses, and with neither the CPU trains.
    pub fn decide(adapter: String, software: bool, wgpu: SpeedSample, cpu: SpeedSample) -> Self {
        let use_wgpu = match (wgpu.steps_per_s(), cpu.steps_per_s()) {
            (Some(g), Some(c)) => g > c,
            (Some(_), None) => true,
            _ => false,
        };
        Self {
            adapter,
            software,
            wgpu,
            cpu,
            use_wgpu,
            cached: false,
        }
    }

    /// A software adapter (a GPU emulated on the CPU: SwiftShader, llvmpipe, lavapipe) is not
    /// timed: it ran 30–100× slower than the CPU backend on the same cores wherever measured
    /// (docs/bench.md), and timing it would cost the visitor seconds before the first step.
    pub fn software(adapter: String) -> Self {
        let untimed = || SpeedSample {
            warmup_seconds: None,
            steps: 0,
            seconds: 0.0,
            failed: None,
        };
        Self {
            adapter,
            software: true,
            wgpu: untimed(),
            cpu: untimed(),
            use_wgpu: false,
            cached: false,
        }
    }

    /// Whether Auto chose without timing ([`Self::software`]).
    pub fn untimed(&self) -> bool {
        self.software && self.wgpu.warmup_seconds.is_none() && self.wgpu.failed.is_none()
    }

    /// For the page and the CLI, e.g. "WebGPU (google swiftshader, a software adapter) 0.213
    /// steps/s, CPU 28.1 steps/s: training on the CPU".
    pub fn reason(&self, gpu_name: &str, cpu_name: &str) -> String {
        if self.untimed() {
            return format!(
                "{gpu_name} ({}) is a software adapter, a GPU emulated on the CPU (30–100× \
                 slower than the CPU backend): training on the {cpu_name}",
                self.adapter
            );
        }
        let software = if self.software {
            ", a software adapter"
        } else {
            ""
        };
        let compile = match (self.use_wgpu, self.wgpu.warmup_seconds) {
            (true, Some(w)) => format!(" (first step, with shader compilation: {w:.1} s)"),
            _ => String::new(),
        };
        format!(
            "{gpu_name} ({}{software}) {}{compile}, {cpu_name} {}: training on {}{}",
            self.adapter,
            self.wgpu.describe(),
            self.cpu.describe(),
            if self.use_wgpu { gpu_name } else { "the CPU" },
            if self.cached {
                " (measured earlier in this browser for this experiment's shape)"
            } else {
                ""
            }
        )
    }
}

/// Whether an adapter is a GPU emulated on the CPU, from its name and the host's fallback flag.
pub fn is_software_adapter(name: &str, fallback: bool) -> bool {
    let name = name.to_ascii_lowercase();
    fallback
        || [
            "swiftshader",
            "llvmpipe",
            "lavapipe",
            "software",
            "basic render",
        ]
        .iter()
        .any(|s| name.contains(s))
}

/// Three significant digits at most: 0.213, 2.13, 21.3, 213.
fn figure(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// The experiment as a measurement trains it: the same model, data, batch and losses, one
/// epoch of one warm-up step plus the timed steps.
fn measured_config(cfg: &ExperimentConfig, budget: &SpeedBudget) -> ExperimentConfig {
    ExperimentConfig {
        epochs: 1,
        steps_per_epoch: 1 + budget.max_steps,
        ..cfg.clone()
    }
}

/// Times each step as its losses come back (one step at a time), and stops when the budget
/// or the step count is spent.
struct Clock {
    start: Instant,
    warmup_done: Option<f64>,
    last: f64,
    timed_steps: usize,
    budget: SpeedBudget,
}

impl Observer for Clock {
    async fn on_event(&mut self, event: &TrainEvent) -> Flow {
        let TrainEvent::Step { global_step, .. } = event else {
            return Flow::Continue;
        };
        let now = self.start.elapsed().as_secs_f64();
        if *global_step == 1 {
            self.warmup_done = Some(now);
        } else {
            self.timed_steps = global_step - 1;
            self.last = now;
        }
        let timed = self.warmup_done.map_or(0.0, |w| now - w);
        if self.timed_steps >= self.budget.max_steps || timed >= self.budget.timed_seconds {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn readback(&self) -> super::events::Readback {
        super::events::Readback::EVERY_STEP
    }
}

/// Measures how fast `device` trains `cfg` on `data`. `timer(seconds)` is the host's timer: a
/// step that has not come back when it fires ends the measurement (a software GPU adapter can
/// take seconds per step); where the host has none, pass a future that never completes, and
/// the budget is checked between steps only.
pub async fn measure_speed<T: Future<Output = ()>>(
    cfg: &ExperimentConfig,
    data: &Dataset,
    device: &Device,
    budget: SpeedBudget,
    timer: impl FnOnce(f64) -> T,
) -> SpeedSample {
    let mut clock = Clock {
        start: Instant::now(),
        warmup_done: None,
        last: 0.0,
        timed_steps: 0,
        budget,
    };
    let run_cfg = measured_config(cfg, &budget);
    let outcome = {
        let training = pin!(train(&run_cfg, data, device, &mut clock));
        let deadline = pin!(timer(budget.warmup_seconds + budget.timed_seconds));
        first_of(training, deadline).await
    };
    let failed = match outcome {
        Some(Ok(_)) => None,
        Some(Err(TrainError::Device(e))) => Some(format!("the device failed: {e}")),
        Some(Err(e)) => Some(e.to_string()),
        None => None, // the timer fired: what finished before counts
    };
    let warmup = clock.warmup_done;
    let within_warmup = warmup.is_some_and(|w| w <= budget.warmup_seconds);
    let (steps, seconds) = match (warmup, within_warmup) {
        (Some(w), true) => (clock.timed_steps, (clock.last - w).max(0.0)),
        _ => (0, 0.0),
    };
    SpeedSample {
        warmup_seconds: warmup,
        steps,
        seconds,
        failed: failed.or_else(|| match (warmup, within_warmup) {
            (None, _) => Some(format!(
                "its first step did not finish within {:.1} s",
                budget.warmup_seconds + budget.timed_seconds
            )),
            (Some(w), false) => Some(format!(
                "its first step took {w:.1} s (more than the {:.1} s allowed)",
                budget.warmup_seconds
            )),
            (Some(_), true) if steps == 0 => Some(format!(
                "no step after the first finished within {:.1} s",
                budget.timed_seconds
            )),
            _ => None,
        }),
    }
}

/// Runs `main` until it finishes, or until `deadline` fires (`None`; checked first).
async fn first_of<A: Future, B: Future>(
    main: std::pin::Pin<&mut A>,
    deadline: std::pin::Pin<&mut B>,
) -> Option<A::Output> {
    let (mut main, mut deadline) = (main, deadline);
    poll_fn(move |cx| {
        if deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        main.as_mut().poll(cx).map(Some)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ModelKind;
    use crate::data::synthetic::random_mnist_shaped;

    fn cfg() -> ExperimentConfig {
        ExperimentConfig {
            model: ModelKind::DmlAe,
            lsdim: 3,
            batch_size: 32,
            pl: 50.0,
            ..Default::default()
        }
    }

    #[test]
    fn measures_a_few_timed_steps_after_the_warm_up() {
        let data = random_mnist_shaped(400, 10, 0);
        let budget = SpeedBudget {
            warmup_seconds: 60.0,
            timed_seconds: 60.0,
            max_steps: 3,
        };
        let sample = pollster::block_on(measure_speed(
            &cfg(),
            &data,
            &crate::backend::cpu(),
            budget,
            |_| std::future::pending::<()>(),
        ));
        assert_eq!(sample.steps, 3, "{sample:?}");
        assert!(sample.failed.is_none(), "{sample:?}");
        assert!(sample.warmup_seconds.unwrap() > 0.0);
        let rate = sample.steps_per_s().unwrap();
        assert!(rate.is_finite() && rate > 0.0);
        assert!(sample.describe().ends_with("steps/s"));
    }

    #[test]
    fn a_timer_that_fires_first_makes_the_device_lose() {
        let data = random_mnist_shaped(400, 10, 0);
        // The deadline fires at once: no step counts, and the sample says why.
        let sample = pollster::block_on(measure_speed(
            &cfg(),
            &data,
            &crate::backend::cpu(),
            SpeedBudget::QUICK,
            |_| std::future::ready(()),
        ));
        assert_eq!(sample.steps_per_s(), None, "{sample:?}");
        assert!(
            sample.failed.as_deref().unwrap().contains("did not finish"),
            "{sample:?}"
        );
        // A warm-up longer than its budget loses too, even when later steps are fast.
        let tight = SpeedBudget {
            warmup_seconds: 0.0,
            timed_seconds: 60.0,
            max_steps: 2,
        };
        let sample = pollster::block_on(measure_speed(
            &cfg(),
            &data,
            &crate::backend::cpu(),
            tight,
            |_| std::future::pending::<()>(),
        ));
        assert_eq!(sample.steps_per_s(), None, "{sample:?}");
        assert!(sample
            .failed
            .as_deref()
            .unwrap()
            .contains("first step took"));
    }

    #[test]
    fn auto_takes_the_faster_backend_and_says_why() {
        let rate = |steps, seconds| SpeedSample {
            warmup_seconds: Some(1.25),
            steps,
            seconds,
            failed: None,
        };
        let slow_gpu = AutoChoice::decide(
            "google swiftshader".into(),
            is_software_adapter("google swiftshader", false),
            rate(1, 4.7),
            rate(8, 0.285),
        );
        assert!(!slow_gpu.use_wgpu);
        assert_eq!(
            slow_gpu.reason("WebGPU", "CPU"),
            "WebGPU (google swiftshader, a software adapter) 0.213 steps/s, CPU 28.1 steps/s: training on the CPU"
        );
        let software = AutoChoice::software("google swiftshader".into());
        assert!(!software.use_wgpu && software.untimed());
        assert_eq!(
            software.reason("WebGPU", "CPU (wasm, flex)"),
            "WebGPU (google swiftshader) is a software adapter, a GPU emulated on the CPU (30–100× slower than the CPU backend): training on the CPU (wasm, flex)"
        );
        assert!(!slow_gpu.untimed(), "a timed choice says what it measured");
        let fast_gpu =
            AutoChoice::decide("nvidia ampere".into(), false, rate(8, 0.02), rate(8, 0.285));
        assert!(fast_gpu.use_wgpu);
        assert_eq!(
            fast_gpu.reason("WebGPU", "CPU"),
            "WebGPU (nvidia ampere) 400 steps/s (first step, with shader compilation: 1.2 s), CPU 28.1 steps/s: training on WebGPU"
        );
        let timed_out = AutoChoice::decide(
            "x".into(),
            false,
            SpeedSample::failed("its first step did not finish within 3.5 s"),
            rate(8, 0.285),
        );
        assert!(!timed_out.use_wgpu);
        assert!(timed_out
            .reason("WebGPU", "CPU")
            .contains("did not finish within 3.5 s, CPU 28.1"));
        assert!(is_software_adapter(
            "llvmpipe (LLVM 15.0.6, 256 bits)",
            false
        ));
        assert!(is_software_adapter("Intel", true));
        assert!(!is_software_adapter("apple m2", false));
    }
}
