//! Streaming outputs: a long run writes its telemetry and events to disk as it
//! goes instead of holding them all in memory (a year of ten spacecraft at a
//! 60 s cadence is 5 million rows; a century would not fit).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::Simulation;
use crate::error::{Error, Result};
use crate::sim::telemetry::Telemetry;

/// Where a streaming simulation writes: `timeline.csv` and `events.jsonl`.
#[derive(Debug)]
pub(super) struct OutputStream {
    dir: PathBuf,
    timeline: BufWriter<File>,
    events: BufWriter<File>,
    header_written: bool,
}

/// The stream of a simulation, if any. A clone or a restored checkpoint does
/// not stream (two writers to one file would interleave rows).
#[derive(Debug, Default)]
pub(super) struct StreamSlot(pub(super) Option<OutputStream>);

impl Clone for StreamSlot {
    fn clone(&self) -> Self {
        Self(None)
    }
}

fn io_error(path: &Path, error: &std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        reason: error.to_string(),
    }
}

fn create(path: PathBuf) -> Result<BufWriter<File>> {
    File::create(&path)
        .map(BufWriter::new)
        .map_err(|e| io_error(&path, &e))
}

impl Simulation {
    /// From now on, writes telemetry rows to `dir/timeline.csv` and events to
    /// `dir/events.jsonl` as the run advances (after every progress chunk)
    /// and keeps none of them in memory: [`Simulation::telemetry`] and
    /// [`Simulation::events`] then hold only what the current chunk produced.
    /// Whatever was held before is written first. The run's memory limit on
    /// telemetry no longer applies. States, counters and the energy ledger are
    /// unaffected; a report or summary made from a streaming simulation reads
    /// only the held chunk, so read the files for time series.
    ///
    /// ```
    /// # use orbitedge::prelude::*;
    /// # use orbitedge::sim::{Simulation, Stepping};
    /// # use orbitedge::spacecraft::Spacecraft;
    /// # let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    /// # let elements = ClassicalElements { semi_major_axis_km: 6_928.0, eccentricity: 0.0, inclination_deg: 97.6,
    /// #     raan_deg: 0.0, argument_of_perigee_deg: 0.0, mean_anomaly_deg: 0.0 };
    /// # let sat = Satellite::from_elements("sat-0", epoch, elements, AnalyticModel::J2)?;
    /// let dir = std::env::temp_dir().join("orbitedge-stream-doc");
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let mut sim = Simulation::new(epoch, vec![Spacecraft::cubesat_6u("sat-0", sat)], vec![], 1)?;
    /// sim.stream_to(&dir)?;
    /// sim.run(epoch + Duration::from_hours(6.0), Stepping::EventDriven)?;
    /// assert!(sim.telemetry().is_empty());
    /// let rows = std::fs::read_to_string(dir.join("timeline.csv")).unwrap().lines().count();
    /// assert_eq!(rows, 1 + 361); // header, then every minute from 0 to 6 h
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn stream_to(&mut self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, &e))?;
        self.stream.0 = Some(OutputStream {
            timeline: create(dir.join("timeline.csv"))?,
            events: create(dir.join("events.jsonl"))?,
            dir,
            header_written: false,
        });
        self.flush_stream()
    }

    /// Whether outputs are streamed to disk.
    pub fn is_streaming(&self) -> bool {
        self.stream.0.is_some()
    }

    /// Writes what is held to the stream and forgets it (nothing without one).
    pub(super) fn flush_stream(&mut self) -> Result<()> {
        if self.stream.0.is_none() {
            return Ok(());
        }
        let csv = self.telemetry_csv();
        let events = self.events_jsonl();
        let Some(stream) = self.stream.0.as_mut() else {
            return Ok(());
        };
        let rows = if stream.header_written {
            csv.split_once('\n').map_or("", |(_, rows)| rows)
        } else {
            csv.as_str()
        };
        let written = stream
            .timeline
            .write_all(rows.as_bytes())
            .and_then(|()| stream.events.write_all(events.as_bytes()))
            .and_then(|()| stream.timeline.flush())
            .and_then(|()| stream.events.flush());
        if let Err(e) = written {
            // Keep what could not be written: nothing recorded is lost.
            return Err(io_error(&stream.dir, &e));
        }
        stream.header_written = true;
        self.telemetry = Telemetry::default();
        self.events.clear();
        Ok(())
    }
}
