//! The command line (native only): `dml-lab <command>`, one module per subcommand.

mod bench;
mod config_flags;
mod gpu_trace;
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

/// Parses the arguments and runs the command; errors go to stderr with exit code 1. A panic
/// (a bug) becomes one paragraph on stderr (what failed, the command line, how to report it)
/// and exit code 101, with the backtrace only when `RUST_BACKTRACE` asks for it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let panicked = catch_panics();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match cli.command {
        Command::Train(args) => train::run(args),
        Command::Report(args) => report::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::MakeNpz(args) => make_npz::run(args),
    }));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
        Err(_) => {
            let what = panicked
                .lock()
                .ok()
                .and_then(|m| m.clone())
                .unwrap_or_else(|| "an unknown panic".into());
            eprintln!("{}", panic_report(&what, &command_line()));
            ExitCode::from(101)
        }
    }
}

/// The arguments as typed (quoted where they hold spaces).
fn command_line() -> String {
    std::env::args()
        .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The paragraph a user sees when dml-lab panics.
fn panic_report(what: &str, command: &str) -> String {
    format!(
        "error: dml-lab stopped on an internal error: {what}. This is a bug in dml-lab, not in \
         your input. The command was: {command}. Please report it with that command line and \
         the size of your images; running it again with RUST_BACKTRACE=1 shows where it \
         happened."
    )
}

/// Installs a panic hook that keeps the message and location instead of printing them (the
/// default hook still prints when `RUST_BACKTRACE` is set), and returns where it keeps them.
fn catch_panics() -> std::sync::Arc<std::sync::Mutex<Option<String>>> {
    let kept = std::sync::Arc::new(std::sync::Mutex::new(None));
    let slot = kept.clone();
    let verbose = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        // The first line is what failed; burn's tensor errors add a long explanation after it.
        let first = message
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let place = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut k) = slot.lock() {
            k.get_or_insert(format!("{first}{place}"));
        }
        if verbose {
            default(info);
        }
    }));
    kept
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_report_is_one_paragraph_with_the_command() {
        let text = super::panic_report(
            "index out of bounds (at src/x.rs:3)",
            "dml-lab train --lsdim 1",
        );
        assert!(!text.contains('\n'), "{text}");
        assert!(text.contains("index out of bounds (at src/x.rs:3)"));
        assert!(text.contains("The command was: dml-lab train --lsdim 1."));
        assert!(text.contains("RUST_BACKTRACE=1"));
    }
}
