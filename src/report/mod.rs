//! The report of a run: `summary.md` and `summary.json` (per spacecraft and for
//! the constellation), `timeline.csv` and `events.jsonl` (the engine's telemetry
//! and event log), and plots.

pub mod summary;

pub use summary::{SpacecraftSummary, Summary};
pub mod write;

pub use write::{inference_records_from_jsonl, markdown, write_report, Report, RunInfo};
pub mod intervals;
#[cfg(feature = "plots")]
pub mod plots;
