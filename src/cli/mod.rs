//! The command line (native only): `dml-lab <command>`, one module per subcommand.

mod bench;
mod config_flags;
mod make_npz;
mod memory;
mod plots;
mod report;
mod sweep;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// dml-lab: semi-supervised deep metric learning with VAE parts.
#[derive(Parser, Debug)]
#[command(name = "dml-lab", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a model, evaluate its test-set embeddings, print (and optionally save) the results.
    Train(train::TrainArgs),
    /// Compare run records: a table in the paper's layout (rows pl %, columns model × lsdim) as
    /// Markdown and CSV, every metric per run, and each run's plots.
    Report(report::ReportArgs),
    /// Training speed of each model family on a backend (after a warm-up): steps/s, images/s
    /// and peak memory, one JSON object per line.
    Bench(bench::BenchArgs),
    /// Run a grid of experiments (a paper table or a JSON file), one run JSON each; finished
    /// runs are skipped, `--shard i/n` runs one slice. `dml-lab report` merges the results.
    Sweep(sweep::SweepArgs),
    /// Write a small synthetic .npz in OrganAMNIST's exact layout (for trying the path without
    /// the real file).
    MakeNpz(make_npz::MakeNpzArgs),
}

/// Parses the arguments and runs the command; errors go to stderr with exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train::run(args),
        Command::Report(args) => report::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::MakeNpz(args) => make_npz::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
