//! Stage 6, report: the run record, its plots, and comparison tables across runs, as plain data
//! for the CLI and the page.

pub mod figures;
pub mod plot;
pub mod run_record;
pub mod table;

pub use crate::train::Curves;
pub use figures::{Component, Figures, Projection, ReconGrid, Scatter};
pub use run_record::{Metrics, RunRecord, Timings};
