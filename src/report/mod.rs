//! Stage 6, report: the run record and its plots, as plain data for the CLI and the page.

pub mod curves;
pub mod plot;
pub mod run_record;

pub use curves::Curves;
pub use run_record::{Metrics, RunRecord, Timings};
