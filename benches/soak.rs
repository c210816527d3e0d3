//! Soak test (a bench, not CI): ten spacecraft for a year, event-driven, with
//! every model on — power, thermal, radiation (corruption, restarts, dose),
//! storage and downlink to two stations, an auto activity, an imager over two
//! targets with the iX5 (modeled latency), a relay pair — outputs streamed to
//! disk. Checks and prints: peak memory (≤ 1 GiB), no NaN or infinity in the
//! telemetry, the energy identity of every battery (≤ 1e-9 of capacity), and
//! the throughput against the same fleet for one day in the same run.
//!
//! `cargo bench --bench soak` (about ten minutes on two cores);
//! `SOAK_DAYS=30 cargo bench --bench soak` for a shorter soak.
//! Exits 1 when a check fails.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use orbitedge::compute::{ImagerConfig, Target};
use orbitedge::prelude::*;
use orbitedge::sim::{Simulation, Stepping};
use orbitedge::spacecraft::{
    ActivityConfig, DataFlow, Preconditions, RadiationConfig, RelayConfig, Spacecraft,
};

#[path = "../tests/common/mod.rs"]
mod common;
use common::{cubesats, epoch, ix5, kiruna};

fn fleet() -> Vec<Spacecraft> {
    let mut fleet = cubesats("soak", 10, 5, 1, &["products", "images", "raw"]);
    let names: Vec<String> = fleet.iter().map(|s| s.name.clone()).collect();
    for (k, sc) in fleet.iter_mut().enumerate() {
        sc.imager = Some(ImagerConfig {
            capture_interval_s: 60.0,
            targets: vec![
                Target {
                    name: "Europe".into(),
                    latitude_deg: 48.0,
                    longitude_deg: 10.0,
                    radius_km: 1_500.0,
                    priority: 2,
                },
                Target {
                    name: "Sahara".into(),
                    latitude_deg: 23.0,
                    longitude_deg: 12.0,
                    radius_km: 1_500.0,
                    priority: 1,
                },
            ],
            ..Default::default()
        });
        sc.computer = Some(ix5());
        sc.radiation = RadiationConfig {
            data_corruption_per_s: 1.0 / 3_000.0,
            corruption_bytes_per_event: 1e6,
            restart_per_s: 1.0 / 86_400.0,
            failure_per_s: 0.0,
            dose_rate_rad_per_s: 1e-5,
            dose_limit_rad: Some(1e5),
        };
        sc.activities = vec![ActivityConfig {
            name: "survey".into(),
            power_w: 4.0,
            duration_s: Some(600.0),
            preconditions: Preconditions {
                min_soc: Some(0.6),
                sunlit: Some(true),
                ..Default::default()
            },
            produces: Some(DataFlow {
                partition: "raw".into(),
                bytes_per_s: 1e5,
            }),
            consumes: None,
            auto: true,
            cooldown_s: 5_400.0,
            min_on_s: 0.0,
        }];
        if k < 2 {
            sc.relays = vec![RelayConfig {
                name: "isl".into(),
                peer: names[1 - k].clone(),
                rate_bps: 1e6,
                partitions: vec![],
                peer_partition: "raw".into(),
                grazing_altitude_km: 100.0,
                max_range_km: None,
                transmit_power_w: 0.0,
            }];
        }
    }
    fleet
}

fn stations() -> Vec<GroundStation> {
    vec![
        kiruna(),
        GroundStation::new("Svalbard", 78.2298, 15.4078, 500.0, 5.0).unwrap(),
    ]
}

fn peak_rss_bytes() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb * 1024.0)
}

fn run(days: f64, out: &std::path::Path) -> (Simulation, f64) {
    let fleet = fleet();
    let mut sim = Simulation::new(epoch(), fleet, stations(), 2026).unwrap();
    sim.stream_to(out).unwrap();
    let started = Instant::now();
    let mut day = 0.0;
    while day < days {
        day = (day + 30.0).min(days);
        sim.run(epoch() + Duration::from_days(day), Stepping::EventDriven)
            .unwrap();
        eprintln!(
            "  {day:>5.0} d, peak RSS {:.0} MiB",
            peak_rss_bytes() / 1_048_576.0
        );
    }
    (sim, started.elapsed().as_secs_f64())
}

/// Reads the streamed timeline line by line (a year of it is ~1 GB on disk).
fn non_finite_cells(timeline: &std::path::Path) -> usize {
    use std::io::BufRead;
    let file = std::io::BufReader::new(std::fs::File::open(timeline).unwrap());
    let mut bad = 0;
    for line in file.lines().skip(1) {
        let line = line.unwrap();
        // time, spacecraft, 10 numbers, activity, link, dose, alive
        let cells: Vec<&str> = line.split(',').collect();
        for cell in cells[2..12].iter().chain(&cells[14..15]) {
            if !cell.parse::<f64>().is_ok_and(f64::is_finite) {
                bad += 1;
            }
        }
    }
    bad
}

fn energy_identity_error(sim: &Simulation) -> f64 {
    let mut worst: f64 = 0.0;
    for now in sim.snapshots() {
        let (Some(power), Some(energy_wh)) = (now.spacecraft().power, now.battery_wh()) else {
            continue;
        };
        let b = power.battery;
        let l = now.energy();
        let expected = b.initial_soc * b.capacity_wh + b.charge_efficiency * (l.offered_wh - l.spilled_wh)
            - l.drawn_wh / b.discharge_efficiency;
        worst = worst.max((energy_wh - expected).abs() / b.capacity_wh);
    }
    worst
}

fn main() {
    let days: f64 = std::env::var("SOAK_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(365.0);
    let dir = std::env::temp_dir().join(format!("orbitedge-soak-{}", std::process::id()));
    eprintln!("baseline: the same fleet for 1 day");
    let (_, baseline_s) = run(1.0, &dir.join("baseline"));
    eprintln!("soak: {days} days");
    let (sim, wall_s) = run(days, &dir.join("soak"));
    let peak = peak_rss_bytes();
    let bad = non_finite_cells(&dir.join("soak").join("timeline.csv"));
    let identity = energy_identity_error(&sim);
    let events = std::fs::File::open(dir.join("soak").join("events.jsonl"))
        .map(|f| std::io::BufRead::lines(std::io::BufReader::new(f)).count())
        .unwrap_or(0);
    println!("soak: 10 spacecraft x {days} days, event-driven, every model on, outputs streamed");
    println!(
        "  wall time            {wall_s:.1} s ({:.0} simulated days per wall s)",
        days / wall_s
    );
    println!(
        "  vs 1 day in this run {:.2} s/day here, {:.2} s/day for the baseline day (ratio {:.2})",
        wall_s / days,
        baseline_s,
        (wall_s / days) / baseline_s
    );
    println!(
        "  peak RSS             {:.0} MiB (limit 1024)",
        peak / 1_048_576.0
    );
    println!("  events streamed      {events}");
    println!("  non-finite cells     {bad}");
    println!("  energy identity      {identity:.2e} of capacity (limit 1e-9)");
    let _ = std::fs::remove_dir_all(&dir);
    let ok = peak <= 1024.0 * 1_048_576.0 && bad == 0 && identity <= 1e-9;
    if !ok {
        eprintln!("soak: a check failed");
        std::process::exit(1);
    }
}
