//! What a flight application reads: the state of one spacecraft as it sees it
//! ([`StateView`]), whether a load may start now ([`Decision`]), and who is in
//! line of sight. The same answers serve an in-process loop over a
//! [`Simulation`] and a rehearsal's HTTP API, so an application written
//! against one runs unchanged against the other.

use std::collections::BTreeMap;

use hifitime::Duration;
use serde::{Deserialize, Serialize};

use super::planning::{block_of, block_span};
use super::Simulation;
use crate::environment::LineOfSight;
use crate::error::{ensure_non_negative, Error, Result};
use crate::frames::gmst_rad;
use crate::orbit::StateVector;
use crate::sim::conditions::{self, Conditions, Demands, Unmet};
use crate::sim::plan::Interval;
use crate::sim::snapshot::PowerFlows;
use crate::time::TimeAxis;

/// How far below its mask a station still counts as seeing a spacecraft,
/// degrees: a pass found by root finding starts within a millisecond of the
/// mask crossing, when the elevation is a few 1e-5 degrees short of it.
const MASK_TOLERANCE_DEG: f64 = 1e-3;

/// What the application reads about one spacecraft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateView {
    /// Spacecraft name.
    pub spacecraft: String,
    /// Simulated time (UTC, ISO 8601).
    pub time: String,
    /// Simulated seconds since the start.
    pub elapsed_s: f64,
    /// Battery state of charge, 0–1 (null without a power model).
    pub state_of_charge: Option<f64>,
    /// Stored energy, Wh.
    pub battery_wh: Option<f64>,
    /// Generated power now, W.
    pub power_in_w: f64,
    /// Load now, W (bus, computer, radios, the application's activities).
    pub power_out_w: f64,
    /// Generation minus load, W: what another activity can draw without
    /// discharging the battery.
    pub power_available_w: f64,
    /// Temperature, K (null without a thermal model).
    pub temperature_k: Option<f64>,
    /// Visible fraction of the solar disk, 0–1.
    pub sunlit_fraction: f64,
    /// Station of the window the spacecraft is in, if any.
    pub in_window: Option<String>,
    /// When that window ends (UTC, ISO 8601).
    pub window_ends: Option<String>,
    /// The next window: station and start (UTC, ISO 8601).
    pub next_window: Option<(String, String)>,
    /// Free bytes per storage partition.
    pub storage_free_bytes: BTreeMap<String, f64>,
    /// The application's running activities: name → W.
    pub activities: BTreeMap<String, f64>,
    /// False after a permanent failure.
    pub alive: bool,
    /// Stations (above their elevation mask) and spacecraft (line of sight
    /// clear of the Earth and 80 km of atmosphere) in view now, by name.
    #[serde(default)]
    pub in_view: Vec<String>,
}

/// Whether an activity may run now, and why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// True when nothing stands in the way.
    pub allowed: bool,
    /// Every reason it may not run.
    pub reasons: Vec<String>,
}

impl Simulation {
    /// The state of spacecraft `k` as the application reads it, with its
    /// windows (`in_window`, `next_window`) taken from `windows`.
    pub(crate) fn state_view(&self, k: usize, windows: &[Interval<String>]) -> Result<StateView> {
        let now = self.snapshot_at(k);
        let t = now.elapsed_s();
        let epoch_of = |s: f64| (self.start + Duration::from_seconds(s)).to_string();
        let flows = now.flows().unwrap_or(PowerFlows {
            power_in_w: 0.0,
            power_out_w: 0.0,
        });
        let current = windows.iter().find(|w| w.contains(t));
        let next = windows.iter().find(|w| w.start_s > t);
        Ok(StateView {
            spacecraft: now.name().to_string(),
            time: self.now().to_string(),
            elapsed_s: t,
            state_of_charge: now.soc(),
            battery_wh: now.battery_wh(),
            power_in_w: flows.power_in_w,
            power_out_w: flows.power_out_w,
            power_available_w: flows.balance_w(),
            temperature_k: now.temperature_k(),
            sunlit_fraction: now.sunlit_fraction(),
            in_window: current.map(|w| w.what.clone()),
            window_ends: current.map(|w| epoch_of(w.end_s)),
            next_window: next.map(|w| (w.what.clone(), epoch_of(w.start_s))),
            storage_free_bytes: now
                .partitions()
                .map(|(name, _, free)| (name.to_string(), free))
                .collect(),
            activities: now.external_loads().clone(),
            alive: now.alive(),
            in_view: self.in_view(k)?,
        })
    }

    /// The state of `spacecraft` now, its windows being the station contacts
    /// the engine assigned it in the current planning block.
    pub fn flight_state(&mut self, spacecraft: &str) -> Result<StateView> {
        let k = self.index_of(spacecraft)?;
        if self.latest.get(k).is_none_or(|s| s.elapsed_s != self.elapsed_s) {
            // Before the first run or after a restore: the power flows now.
            let block = block_of(self.elapsed_s);
            self.latest = self.samples_at(block, crate::sim::Stepping::EventDriven, self.elapsed_s)?;
        }
        let windows = self.contact_windows(k)?;
        self.state_view(k, &windows)
    }

    /// Contacts of spacecraft `k` in the current planning block, by station
    /// name. A run that ended on a block edge has not planned the next block
    /// yet: it is planned (and cached) here as the next run would plan it —
    /// planning is a function of the block and the station holders, which
    /// nothing changes before that run.
    fn contact_windows(&mut self, k: usize) -> Result<Vec<Interval<String>>> {
        let block = block_of(self.elapsed_s);
        let plans = self.plans(block)?;
        let (_, block_end_s) = block_span(block);
        Ok(plans[k]
            .contacts
            .iter()
            .map(|c| Interval {
                start_s: c.start_s,
                end_s: c.end_s.min(block_end_s.max(c.start_s)),
                what: self.stations[c.what].name().to_string(),
            })
            .collect())
    }

    /// Whether an activity drawing `power_w` for `duration_s` may start on
    /// `spacecraft` now: the engine's gate for the onboard computer on the
    /// charge this load leaves after the duration at today's balance (the
    /// battery's floor alone without a computer), and the activity is not
    /// already running. The reasons are the engine's words.
    pub fn may_run(
        &self,
        spacecraft: &str,
        activity: &str,
        power_w: f64,
        duration_s: f64,
    ) -> Result<Decision> {
        let k = self.index_of(spacecraft)?;
        ensure_non_negative("power_w", power_w)?;
        ensure_non_negative("duration_s", duration_s)?;
        let (sc, state) = (&self.spacecraft[k], &self.states[k]);
        let now = self.snapshot_at(k);
        let soc_after = match (&sc.power, now.battery_wh()) {
            (Some(power), Some(energy_wh)) => {
                let balance_w = now.flows().map_or(0.0, |f| f.balance_w());
                let drain_wh = (power_w - balance_w).max(0.0) * duration_s
                    / 3_600.0
                    / power.battery.discharge_efficiency;
                Some((energy_wh - drain_wh) / power.battery.capacity_wh)
            }
            _ => None,
        };
        let mut reasons = application_gate(sc, state, soc_after, self.elapsed_s);
        if state.activities.external_loads.contains_key(activity) {
            reasons.push(Unmet::AlreadyRunning {
                activity: activity.to_string(),
            });
        }
        Ok(Decision {
            allowed: reasons.is_empty(),
            reasons: conditions::words(&reasons),
        })
    }

    /// Whether `a` and `b` (spacecraft or station names) see each other now:
    /// a station sees a spacecraft above its elevation mask; two spacecraft
    /// see each other when the line between them clears the Earth and 80 km
    /// of atmosphere. Two stations never do.
    pub fn line_of_sight(&self, a: &str, b: &str) -> Result<bool> {
        let (a, b) = (self.actor(a)?, self.actor(b)?);
        match (a, b) {
            (Actor::Spacecraft(i), Actor::Spacecraft(j)) => {
                let (ri, rj) = (self.position_now(i)?, self.position_now(j)?);
                Ok(i != j && spacecraft_see(&ri, &rj))
            }
            (Actor::Spacecraft(i), Actor::Station(s)) | (Actor::Station(s), Actor::Spacecraft(i)) => {
                Ok(self.station_sees(s, &self.position_now(i)?, self.gmst_now()))
            }
            (Actor::Station(_), Actor::Station(_)) => Ok(false),
        }
    }

    /// Names of the stations and spacecraft spacecraft `k` sees now (see
    /// [`Simulation::line_of_sight`]), stations first, each in its order.
    fn in_view(&self, k: usize) -> Result<Vec<String>> {
        let state = self.position_now(k)?;
        let gmst = self.gmst_now();
        let mut names = Vec::new();
        for (s, station) in self.stations.iter().enumerate() {
            if self.station_sees(s, &state, gmst) {
                names.push(station.name().to_string());
            }
        }
        for (j, other) in self.spacecraft.iter().enumerate() {
            if j != k && sight(&state.position_km, &self.position_km_now(j)?) {
                names.push(other.name.clone());
            }
        }
        Ok(names)
    }

    /// Spacecraft `j`'s TEME position now, km: from the latest telemetry
    /// sample when it is of now (computed the same way), else propagated.
    fn position_km_now(&self, j: usize) -> Result<nalgebra::Vector3<f64>> {
        match self.latest.get(j).filter(|s| s.elapsed_s == self.elapsed_s) {
            Some(sample) => Ok(nalgebra::Vector3::from(sample.position_km)),
            None => Ok(self.position_now(j)?.position_km),
        }
    }

    /// Greenwich mean sidereal time now, rad.
    fn gmst_now(&self) -> f64 {
        gmst_rad(TimeAxis::new(self.start, self.start).julian_date_ut1(self.elapsed_s))
    }

    fn station_sees(&self, s: usize, state: &StateVector, gmst: f64) -> bool {
        let station = &self.stations[s];
        let look = station.look(&state.position_km, &state.velocity_km_s, gmst);
        station.mask_margin(&look).0 >= -MASK_TOLERANCE_DEG
    }

    fn actor(&self, name: &str) -> Result<Actor> {
        if let Some(k) = self.spacecraft.iter().position(|s| s.name == name) {
            return Ok(Actor::Spacecraft(k));
        }
        match self.stations.iter().position(|s| s.name() == name) {
            Some(s) => Ok(Actor::Station(s)),
            None => Err(Error::UnknownName {
                kind: "spacecraft or station",
                name: name.to_string(),
                expected: "the name of a spacecraft or a ground station in the simulation",
            }),
        }
    }
}

/// Two spacecraft see each other: the line between them clears the Earth and
/// 80 km of atmosphere.
fn spacecraft_see(a: &StateVector, b: &StateVector) -> bool {
    sight(&a.position_km, &b.position_km)
}

/// [`spacecraft_see`] from two positions, km.
fn sight(a_km: &nalgebra::Vector3<f64>, b_km: &nalgebra::Vector3<f64>) -> bool {
    LineOfSight::default().margin_km(a_km, b_km) >= 0.0
}

/// A spacecraft or a station, by index.
#[derive(Debug, Clone, Copy)]
enum Actor {
    Spacecraft(usize),
    Station(usize),
}

/// The gate a flight application's load passes: the engine's gate for the
/// onboard computer on `soc` (the charge the load would leave), or the
/// battery's floor alone on a spacecraft without a computer.
pub(crate) fn application_gate(
    sc: &crate::spacecraft::Spacecraft,
    state: &crate::sim::state::SpacecraftState,
    soc: Option<f64>,
    t: f64,
) -> Vec<Unmet> {
    let conditions = Conditions {
        soc,
        ..state.conditions(t)
    };
    let battery_min_soc = sc.power.as_ref().map(|p| p.battery.min_soc);
    let demands = match &sc.computer {
        Some(computer) => Demands::of_computer(computer, battery_min_soc),
        None => Demands::of_battery(battery_min_soc),
    };
    conditions::unmet(&conditions, &demands)
}
