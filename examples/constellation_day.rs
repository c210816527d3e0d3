//! The main job (for now): a six-satellite sun-synchronous Walker constellation,
//! its passes over the ground stations in `data/ground-stations.csv` and its
//! eclipses, for one day.
//!
//! Run: `cargo run --release --example constellation_day`

use std::time::Instant;

use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::prelude::*;
use orbitedge::time::seconds_between;

const STATIONS_CSV: &str = include_str!("../data/ground-stations.csv");

/// Stations from the CSV shipped with the repository (name, lat, lon, alt_m, min_el).
fn stations() -> Result<Vec<GroundStation>> {
    STATIONS_CSV
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            let number = |k: usize| f[k].parse::<f64>().unwrap_or(f64::NAN);
            GroundStation::new(f[0], number(1), number(2), number(3), number(4))
        })
        .collect()
}

/// `2024-03-01T00:01:16` (UTC, whole seconds) for tables.
fn clock_time(epoch: Epoch) -> String {
    epoch.to_string().chars().take(19).collect()
}

fn main() -> Result<()> {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let end = epoch + Duration::from_days(1.0);
    let pattern = WalkerDelta {
        total: 6,
        planes: 3,
        phasing: 1,
        altitude_km: 550.0,
        inclination_deg: 97.6,
    };
    let satellites = Satellite::walker("SSO", &pattern, epoch, AnalyticModel::J2)?;
    let stations = stations()?;
    let config = SearchConfig::default();

    let clock = Instant::now();
    let windows = find_access_windows(&satellites, &stations, epoch, end, &config)?;
    let eclipses = find_eclipse_intervals(&satellites, epoch, end, &ShadowConfig::default(), &config)?;
    let elapsed = clock.elapsed();

    println!(
        "{} satellites (Walker {}/{}/{}, {} km, {}°), {} stations, {} → {}\n",
        satellites.len(),
        pattern.total,
        pattern.planes,
        pattern.phasing,
        pattern.altitude_km,
        pattern.inclination_deg,
        stations.len(),
        epoch,
        end
    );
    println!(
        "{:<10} {:<11} {:<20} {:<20} {:>8} {:>9}",
        "satellite", "station", "rise (UTC)", "set (UTC)", "dur [s]", "max el °"
    );
    for w in &windows {
        println!(
            "{:<10} {:<11} {:<20} {:<20} {:>8.1} {:>9.2}",
            w.satellite,
            w.station,
            clock_time(w.rise),
            clock_time(w.set),
            w.duration_s(),
            w.max_elevation_deg
        );
    }

    println!(
        "\n{:<10} {:>8} {:>14} {:>14} {:>12}",
        "satellite", "eclipses", "umbra [min]", "penumbra [s]", "contact [min]"
    );
    for sat in &satellites {
        let mine = eclipses.iter().filter(|e| e.satellite == sat.name);
        let (mut count, mut umbra_s, mut penumbra_s) = (0, 0.0, 0.0);
        for e in mine {
            let length = seconds_between(e.start, e.end);
            // An eclipse interval is umbra or penumbra, never sunlit.
            if e.kind == EclipseKind::Umbra {
                count += 1;
                umbra_s += length;
            } else {
                penumbra_s += length;
            }
        }
        let contact_s: f64 = windows
            .iter()
            .filter(|w| w.satellite == sat.name)
            .map(|w| w.duration_s())
            .sum();
        println!(
            "{:<10} {:>8} {:>14.1} {:>14.1} {:>12.1}",
            sat.name,
            count,
            umbra_s / 60.0,
            penumbra_s,
            contact_s / 60.0
        );
    }
    println!(
        "\n{} passes and {} eclipse intervals found in {:.1} ms",
        windows.len(),
        eclipses.len(),
        elapsed.as_secs_f64() * 1e3
    );

    // Sanity: a 550 km orbit circles the Earth ~15 times a day, eclipsed on each
    // orbit unless its plane faces the Sun (high beta angle: no eclipse at all).
    assert!(windows
        .iter()
        .all(|w| w.rise < w.set && w.max_elevation_deg >= 5.0));
    for sat in &satellites {
        let umbrae = eclipses
            .iter()
            .filter(|e| e.satellite == sat.name && e.kind == EclipseKind::Umbra)
            .count();
        assert!(
            umbrae == 0 || (14..=17).contains(&umbrae),
            "{}: {umbrae} umbrae",
            sat.name
        );
    }
    Ok(())
}
