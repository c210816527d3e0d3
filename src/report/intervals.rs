//! Time intervals read back from the event log: shadow, contacts and inference
//! jobs per spacecraft. The Gantt chart draws them; tests check them against
//! the summary.

use crate::environment::eclipse::Light;
use crate::sim::{EventKind, Simulation};

/// How dark a shadow interval is: [`Light::Penumbra`] or [`Light::Umbra`]
/// (the crate's one light type; a shadow interval is never sunlit).
pub type Shadow = Light;

/// How an inference job interval ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// Completed; the tile was kept for downlink.
    Kept,
    /// Completed; the tile was deleted as too cloudy.
    DroppedCloudy,
    /// Stopped before completing (power, thermal, light edge or restart).
    Preempted,
    /// Still running when the simulation ended.
    Unfinished,
    /// Ran, but the model gave NaN or inf: the tile was kept unprocessed.
    InferenceFailed,
}

/// One interval, in seconds since the simulation start.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval<T> {
    /// Start, s.
    pub start_s: f64,
    /// End, s.
    pub end_s: f64,
    /// What the interval is.
    pub what: T,
}

impl<T> Interval<T> {
    /// Length, s.
    pub fn duration_s(&self) -> f64 {
        self.end_s - self.start_s
    }

    /// Finite ends, the end not before the start.
    fn is_ordered(&self) -> bool {
        self.start_s.is_finite() && self.end_s.is_finite() && self.end_s >= self.start_s
    }
}

/// The intervals of one spacecraft.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpacecraftIntervals {
    /// Penumbra and umbra.
    pub shadow: Vec<Interval<Shadow>>,
    /// Contacts, labelled with the station's name.
    pub contacts: Vec<Interval<String>>,
    /// Inference job runs (one per attempt).
    pub jobs: Vec<Interval<JobOutcome>>,
}

/// The shadow a light is, if it is one.
fn shadow_of(light: Light) -> Option<Shadow> {
    light.is_shadow().then_some(light)
}

/// Reads the intervals of every spacecraft (in the simulation's order) from
/// its event log; intervals still open at the end close at the current time.
///
/// A log the engine wrote is in time order with matched starts and ends, but
/// this reads whatever it is given without panicking: ends without a start
/// are skipped, events naming no spacecraft of the simulation are ignored, and
/// an interval that would end before it starts (a log out of order) or at a
/// non-finite time is left out rather than reported with a negative length.
///
/// ```
/// use orbitedge::prelude::*;
/// use orbitedge::report::intervals::intervals;
/// use orbitedge::sim::{Simulation, Stepping};
/// use orbitedge::spacecraft::Spacecraft;
/// // Equinox, RAAN 0: the Sun lies in the orbit plane (beta = 0).
/// let epoch = Epoch::from_gregorian_utc_at_midnight(2026, 3, 20);
/// let elements = ClassicalElements { semi_major_axis_km: 6_928.0, eccentricity: 0.0, inclination_deg: 97.6,
///     raan_deg: 0.0, argument_of_perigee_deg: 0.0, mean_anomaly_deg: 0.0 };
/// let sat = Satellite::from_elements("sat-0", epoch, elements, AnalyticModel::Kepler)?;
/// let mut sim = Simulation::new(epoch, vec![Spacecraft::new("sat-0", sat)], vec![], 1)?;
/// sim.run(epoch + Duration::from_seconds(6000.0), Stepping::EventDriven)?;
/// let shadow_s: f64 = intervals(&sim)[0].shadow.iter().map(|i| i.duration_s()).sum();
/// // Cylinder shadow at beta = 0: 2 asin(R/a) / 2π of a 5737 s period = 2136 s.
/// assert!((shadow_s - 2136.0).abs() < 45.0, "{shadow_s}");
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn intervals(sim: &Simulation) -> Vec<SpacecraftIntervals> {
    let n = sim.spacecraft().len();
    let end_s = sim.elapsed_s();
    let mut out = vec![SpacecraftIntervals::default(); n];
    // Open intervals per spacecraft: shadow (start, kind), contacts, running job.
    let mut shadow_open: Vec<Option<(f64, Shadow)>> = vec![None; n];
    let mut contact_open: Vec<Vec<(f64, String)>> = vec![Vec::new(); n];
    let mut job_open: Vec<Option<(f64, u64)>> = vec![None; n];
    // Light at the start: the first light change says what it was; without
    // one, the first telemetry sample does.
    let mut first_light_seen = vec![false; n];
    let t = sim.telemetry();
    let first_rows = t
        .spacecraft_index
        .iter()
        .zip(&t.elapsed_s)
        .zip(&t.sunlit_fraction);
    for ((k, elapsed_s), f) in first_rows {
        if *elapsed_s > 0.0 {
            break;
        }
        let k = *k as usize;
        if *f < 1.0 && k < n {
            shadow_open[k] = Some((0.0, if *f > 0.0 { Shadow::Penumbra } else { Shadow::Umbra }));
        }
    }

    for event in sim.events() {
        let k = event.spacecraft_index;
        let t = event.elapsed_s;
        let Some(sc) = out.get_mut(k) else {
            continue;
        };
        match &event.kind {
            EventKind::LightChanged { from, to } => {
                if !first_light_seen[k] {
                    first_light_seen[k] = true;
                    shadow_open[k] = shadow_of(*from).map(|kind| (0.0, kind));
                }
                if let Some((start_s, what)) = shadow_open[k].take() {
                    sc.shadow.push(Interval {
                        start_s,
                        end_s: t,
                        what,
                    });
                }
                shadow_open[k] = shadow_of(*to).map(|kind| (t, kind));
            }
            EventKind::ContactStarted { station } => contact_open[k].push((t, station.clone())),
            EventKind::ContactEnded { station, .. } => {
                if let Some(i) = contact_open[k].iter().position(|(_, s)| s == station) {
                    let (start_s, what) = contact_open[k].remove(i);
                    sc.contacts.push(Interval {
                        start_s,
                        end_s: t,
                        what,
                    });
                }
            }
            EventKind::JobStarted { job, .. } => job_open[k] = Some((t, *job)),
            EventKind::JobCompleted { job, kept, .. } => {
                if let Some((start_s, _)) = job_open[k].take_if(|(_, id)| id == job) {
                    let what = if *kept {
                        JobOutcome::Kept
                    } else {
                        JobOutcome::DroppedCloudy
                    };
                    sc.jobs.push(Interval {
                        start_s,
                        end_s: t,
                        what,
                    });
                }
            }
            EventKind::InferenceFailed { job, .. } => {
                if let Some((start_s, _)) = job_open[k].take_if(|(_, id)| id == job) {
                    sc.jobs.push(Interval {
                        start_s,
                        end_s: t,
                        what: JobOutcome::InferenceFailed,
                    });
                }
            }
            EventKind::JobPreempted { job, .. } => {
                if let Some((start_s, _)) = job_open[k].take_if(|(_, id)| id == job) {
                    sc.jobs.push(Interval {
                        start_s,
                        end_s: t,
                        what: JobOutcome::Preempted,
                    });
                }
            }
            _ => {}
        }
    }
    for (k, sc) in out.iter_mut().enumerate() {
        if let Some((start_s, what)) = shadow_open[k].take() {
            sc.shadow.push(Interval { start_s, end_s, what });
        }
        for (start_s, what) in contact_open[k].drain(..) {
            sc.contacts.push(Interval { start_s, end_s, what });
        }
        if let Some((start_s, _)) = job_open[k].take() {
            sc.jobs.push(Interval {
                start_s,
                end_s,
                what: JobOutcome::Unfinished,
            });
        }
        sc.shadow.retain(Interval::is_ordered);
        sc.contacts.retain(Interval::is_ordered);
        sc.jobs.retain(Interval::is_ordered);
    }
    out
}
