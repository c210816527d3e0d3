//! A rehearsal set against a purely simulated run of the same scenario: what
//! the flight application changed (energy it drew, battery margin, heat, data).

use std::fmt::Write;

use hifitime::Duration;

use crate::error::Result;
use crate::report::summary::{SpacecraftSummary, Summary};
use crate::sim::{Simulation, Stepping};

/// Runs `pure` (the scenario's simulation at its start, without the
/// application) to where `rehearsed` stopped, event-driven.
pub fn simulate_alongside(mut pure: Simulation, rehearsed: &Simulation) -> Result<Simulation> {
    let until = pure.start() + Duration::from_seconds(rehearsed.elapsed_s());
    pure.run(until, Stepping::EventDriven)?;
    Ok(pure)
}

/// A Markdown table, per spacecraft and in total: rehearsal, simulation and
/// difference of consumed energy, lowest and final state of charge, highest
/// temperature and downlinked data.
///
/// ```
/// # use orbitedge::prelude::*;
/// # use orbitedge::sim::{Simulation, Stepping};
/// # use orbitedge::spacecraft::Spacecraft;
/// use orbitedge::rehearsal::compare::{markdown, simulate_alongside};
/// use orbitedge::report::summary::Summary;
/// # let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
/// # let elements = ClassicalElements { semi_major_axis_km: 6_928.0, eccentricity: 0.0, inclination_deg: 97.6,
/// #     raan_deg: 0.0, argument_of_perigee_deg: 0.0, mean_anomaly_deg: 0.0 };
/// # let sat = Satellite::from_elements("sat-0", epoch, elements, AnalyticModel::J2)?;
/// let build = || Simulation::new(epoch, vec![Spacecraft::cubesat_6u("sat-0", sat.clone())], vec![], 1);
/// // The application draws 10 W for the first half hour of an hour.
/// let mut rehearsal = build()?;
/// rehearsal.start_external_load("sat-0", "app", 10.0)?;
/// rehearsal.run(epoch + Duration::from_seconds(1_800.0), Stepping::EventDriven)?;
/// rehearsal.stop_external_load("sat-0", "app")?;
/// rehearsal.run(epoch + Duration::from_seconds(3_600.0), Stepping::EventDriven)?;
/// let pure = simulate_alongside(build()?, &rehearsal)?;
/// let (r, s) = (Summary::of(&rehearsal), Summary::of(&pure));
/// // 10 W for 0.5 h is 5 Wh more (what the battery cannot serve would show as unserved).
/// let extra_wh = r.totals.energy.consumed_wh - s.totals.energy.consumed_wh;
/// assert!((extra_wh - 5.0).abs() < 1e-6, "{extra_wh}");
/// assert!(markdown(&r, &s).contains("| sat-0 |"));
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn markdown(rehearsed: &Summary, simulated: &Summary) -> String {
    let mut out = String::from(
        "| spacecraft | consumed Wh (rehearsal / simulation / Δ) | lowest SoC | final SoC | \
         highest temperature K | downlinked MB |\n|---|---|---|---|---|---|\n",
    );
    let rows = rehearsed
        .spacecraft
        .iter()
        .zip(&simulated.spacecraft)
        .map(|(r, s)| (r.name.as_str(), r, s))
        .chain(std::iter::once((
            "**total**",
            &rehearsed.totals,
            &simulated.totals,
        )));
    for (name, r, s) in rows {
        let _ = writeln!(out, "| {name} | {} |", cells(r, s).join(" | "));
    }
    out
}

fn cells(r: &SpacecraftSummary, s: &SpacecraftSummary) -> Vec<String> {
    let pair = |a: f64, b: f64, digits: usize| {
        if a.is_finite() && b.is_finite() {
            format!("{a:.digits$} / {b:.digits$} / {:+.digits$}", a - b)
        } else {
            "n/a".to_string()
        }
    };
    vec![
        pair(r.energy.consumed_wh, s.energy.consumed_wh, 2),
        pair(r.min_soc, s.min_soc, 3),
        pair(r.final_soc, s.final_soc, 3),
        pair(r.temperature_range_k.1, s.temperature_range_k.1, 2),
        pair(r.downlinked_bytes / 1e6, s.downlinked_bytes / 1e6, 1),
    ]
}
