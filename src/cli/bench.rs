//! `dml-lab bench`: training steps per second, images per second and peak memory of each model
//! family on a backend, one JSON object per line on stdout.

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::memory::{peak_rss_mib, reset_peak};
use crate::backend;
use crate::config::{name_of, parse_name, ModelKind};
use crate::data::{mnist, synthetic::random_mnist_shaped, Dataset};
use crate::train::bench::{bench_model, BenchSpec, BenchTiming, BENCH_MODELS};
use crate::train::{Flow, Observer, Readback, TrainEvent};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum BenchBackend {
    /// burn-flex on the CPU (the lab's CPU backend).
    Flex,
    /// burn-ndarray on the CPU (the previous CPU backend, for comparison).
    Ndarray,
    /// burn-wgpu: Vulkan/Metal/DX12 (build with `--features wgpu`).
    Wgpu,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[arg(long, value_enum, default_value = "flex")]
    backend: BenchBackend,
    /// Comma-separated models [default: dml,dml-ae,dml-unit-prior,dml-gmm-prior,metric-vae].
    #[arg(long, value_delimiter = ',', value_parser = parse_name::<ModelKind>)]
    models: Vec<ModelKind>,
    #[arg(long, default_value_t = 256)]
    batch_size: usize,
    /// Embedding size d (encoder 784 → 512 → 256 → d, decoder the mirror).
    #[arg(long, default_value_t = 10)]
    lsdim: usize,
    /// Timed steps per model, after as many warm-up steps.
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// Train on MNIST from this folder instead of random MNIST-shaped images (same speed).
    #[arg(long, value_name = "DIR")]
    mnist: Option<std::path::PathBuf>,
    /// With `--backend wgpu`: count the GPU work of a step (dispatches, submits, readbacks,
    /// pipelines…) from wgpu's API trace, written to this folder (a binary built with
    /// `--features gpu-trace`; the trace slows the steps, so the times are not comparable).
    #[arg(long, value_name = "DIR")]
    count: Option<std::path::PathBuf>,
}

/// One line of output.
#[derive(Serialize)]
struct BenchLine<'a> {
    backend: &'a str,
    #[serde(flatten)]
    timing: BenchTiming,
    /// Peak resident memory of the process while this model trained (Linux), MiB.
    peak_rss_mib: Option<f64>,
    threads: usize,
}

/// Reads the losses back as the backend's runs would (only by count on a GPU: the same work
/// on any adapter), and ignores the events.
struct ReadBack(Readback);

impl Observer for ReadBack {
    async fn on_event(&mut self, _event: &TrainEvent) -> Flow {
        Flow::Continue
    }

    fn readback(&self) -> Readback {
        self.0
    }
}

pub fn run(args: BenchArgs) -> Result<(), String> {
    let (device, backend_name, trace) = bench_device(&args)?;
    let count = || trace.as_ref().map(|t| t.totals()).unwrap_or_default();
    let counter: Option<&dyn Fn() -> crate::train::bench::GpuTotals> =
        trace.is_some().then_some(&count);
    let readback = Readback::for_bench(match args.backend {
        BenchBackend::Wgpu => crate::backend::BackendKind::Wgpu,
        BenchBackend::Flex | BenchBackend::Ndarray => crate::backend::BackendKind::Cpu,
    });
    let data: Dataset = match &args.mnist {
        Some(dir) => mnist::load_dir(dir).map_err(|e| e.to_string())?,
        None => random_mnist_shaped(60_000, 1, 0),
    };
    let models = if args.models.is_empty() {
        BENCH_MODELS.to_vec()
    } else {
        args.models.clone()
    };
    let spec = BenchSpec {
        batch_size: args.batch_size,
        lsdim: args.lsdim,
        steps: args.steps.max(1),
        seed: 0,
    };
    // rayon's thread count: RAYON_NUM_THREADS when set, else one per core.
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    for model in models {
        reset_peak();
        let timing = pollster::block_on(bench_model(
            model,
            &spec,
            &data,
            &device,
            &mut ReadBack(readback),
            counter,
        ))
        .map_err(|e| format!("{}: {e}", name_of(&model)))?;
        eprintln!(
            "{:<15} {:>8.2} steps/s {:>9.0} images/s",
            timing.model, timing.steps_per_s, timing.samples_per_s
        );
        if let Some(g) = &timing.gpu {
            print_gpu_work(g);
        }
        let line = BenchLine {
            backend: &backend_name,
            timing,
            peak_rss_mib: peak_rss_mib(),
            threads,
        };
        println!(
            "{}",
            serde_json::to_string(&line).map_err(|e| e.to_string())?
        );
    }
    Ok(())
}

/// The benchmark's device and its name, and wgpu's trace when `--count` asks for one.
fn bench_device(
    args: &BenchArgs,
) -> Result<
    (
        burn::prelude::Device,
        String,
        Option<super::gpu_trace::Trace>,
    ),
    String,
> {
    match &args.count {
        None => {
            let (device, name) = device_for(args.backend)?;
            Ok((device, name, None))
        }
        Some(_) if args.backend != BenchBackend::Wgpu => {
            Err("--count counts GPU work: use it with --backend wgpu".into())
        }
        Some(dir) => {
            let (device, trace) = super::gpu_trace::traced_wgpu(dir)?;
            Ok((device, "wgpu (traced)".to_string(), Some(trace)))
        }
    }
}

/// The counted GPU work of a step, under the model's line.
fn print_gpu_work(g: &crate::train::bench::GpuWork) {
    eprintln!(
        "{:<15} per step: {:.0} dispatches, {:.1} submits, {:.2} readbacks ({:.0} bytes), \
         {:.1} buffers, {:.1} uploads; {:.0} pipelines in the warm-up, {:.0} after",
        "",
        g.dispatches_per_step,
        g.submits_per_step,
        g.maps_per_step,
        g.bytes_read_back_per_step,
        g.buffers_per_step,
        g.writes_per_step,
        g.pipelines_in_warmup,
        g.pipelines_after_warmup
    );
}

fn device_for(choice: BenchBackend) -> Result<(burn::prelude::Device, String), String> {
    match choice {
        BenchBackend::Ndarray => Ok((backend::ndarray(), "ndarray".into())),
        BenchBackend::Flex => Ok((backend::cpu(), "flex".into())),
        #[cfg(feature = "wgpu")]
        BenchBackend::Wgpu => pollster::block_on(backend::wgpu())
            .map(|d| (d, "wgpu".into()))
            .map_err(|e| format!("wgpu: {e}")),
        #[cfg(not(feature = "wgpu"))]
        BenchBackend::Wgpu => {
            Err("this build has no wgpu backend; rebuild with `--features wgpu`".into())
        }
    }
}
