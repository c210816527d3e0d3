//! Push-broom strips and the onboard queue's memory (issue 15): a strip
//! writes hundreds of tiles a capture, the queue holds what the device's
//! memory allows, the rest is kept unprocessed, nothing is unaccounted for,
//! and under that load the three policies give different runs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use orbitedge::compute::imager::ground_speed_km_s;
use orbitedge::compute::{ImagerConfig, Policy, Strip, Target};
use orbitedge::orbit::Propagator;
use orbitedge::prelude::*;
use orbitedge::sim::{EventKind, Simulation, Stepping};
use orbitedge::spacecraft::Spacecraft;

mod common;
use common::{cubesats, epoch, ix5};

/// ≈ 2 000 tiles: over an hour of the iX5's work (2.5 s a tile), so the
/// backlog of a pass lasts into eclipse and across targets.
const QUEUE_BYTES: f64 = 8e8;

fn imaging(policy: Policy) -> Vec<Spacecraft> {
    let mut fleet = cubesats("eo", 2, 2, 1, &["products", "images", "raw"]);
    for sc in &mut fleet {
        sc.imager = Some(ImagerConfig {
            capture_interval_s: 60.0,
            strip: Some(Strip {
                swath_km: 10.0,
                gsd_m: 20.0,
            }),
            targets: vec![
                Target {
                    name: "Europe".into(),
                    latitude_deg: 48.0,
                    longitude_deg: 10.0,
                    radius_km: 2_500.0,
                    priority: 1,
                },
                Target {
                    name: "Sahara".into(),
                    latitude_deg: 23.0,
                    longitude_deg: 12.0,
                    radius_km: 2_000.0,
                    priority: 5,
                },
            ],
            ..Default::default()
        });
        let mut computer = ix5();
        computer.policy = policy;
        computer.queue_memory_bytes = Some(QUEUE_BYTES);
        sc.computer = Some(computer);
        sc.storage.capacity_bytes = 64e9;
    }
    fleet
}

fn run(policy: Policy, hours: f64) -> Simulation {
    let mut sim = Simulation::new(epoch(), imaging(policy), vec![], 5).unwrap();
    sim.run(
        epoch() + Duration::from_seconds(hours * 3_600.0),
        Stepping::EventDriven,
    )
    .unwrap();
    sim
}

/// Tiles per capture follow the strip's geometry, the queue never holds more
/// than its memory, overflowing tiles are counted in the events and the
/// counters alike and land in the keep partition, and every tile is
/// accounted for.
#[test]
fn a_strip_fills_the_queue_to_its_memory_and_keeps_the_rest() {
    let sim = run(Policy::Fifo, 24.0);
    let tile_bytes = ImagerConfig::default().tile_bytes();
    let most_queued = (QUEUE_BYTES / tile_bytes).floor() as u32;
    for (k, sc) in sim.spacecraft().iter().enumerate() {
        let imager = sc.imager.as_ref().unwrap();
        let strip = imager.strip.unwrap();
        let rows = imager.rows_per_capture(&strip, ground_speed_km_s(&sc.satellite.motion_bounds()));
        let (mut tiles, mut overflowed, mut captures) = (0u64, 0u64, 0u64);
        for e in sim.events().iter().filter(|e| e.spacecraft_index == k) {
            if let EventKind::ImageCaptured {
                tiles: n,
                overflowed: o,
                stored,
                ..
            } = e.kind
            {
                assert!(stored);
                // 2 tiles across (10 km of 5.12 km tiles) × the rows of 60 s.
                assert!(
                    n == 2 * rows.floor() as u32 || n == 2 * rows.ceil() as u32,
                    "{n} vs {rows}"
                );
                (tiles, overflowed, captures) =
                    (tiles + u64::from(n), overflowed + u64::from(o), captures + 1);
            }
        }
        let snapshot = sim.snapshots().nth(k).unwrap();
        let onboard = snapshot.onboard().unwrap();
        let c = onboard.counters();
        assert!(captures > 5, "{} images: {captures} captures", sc.name);
        assert_eq!(c.tiles_captured, tiles);
        assert_eq!(c.tiles_overflowed, overflowed);
        assert!(overflowed > 0 && c.tiles_inferred > 0, "{c:?}");
        assert_eq!(onboard.tiles_unaccounted(), 0);
        // The queue (with the running job) fits its memory at every row.
        let t = sim.telemetry();
        let rows_of_k = (0..t.len()).filter(|&r| t.spacecraft_index[r] as usize == k);
        let peak = rows_of_k.clone().map(|r| t.queued_tiles[r]).max().unwrap();
        assert!(
            peak + 1 >= most_queued / 2 && peak <= most_queued,
            "peak {peak} of {most_queued}"
        );
        assert!(rows_of_k.clone().all(|r| t.queue_age_s[r] >= 0.0));
        assert!(
            rows_of_k.map(|r| t.queue_age_s[r]).fold(0.0, f64::max) > 600.0,
            "data ages"
        );
        // Kept unprocessed: in the keep partition, with the kept tiles (no
        // station: nothing is downlinked).
        let kept_bytes = snapshot.partition_used_bytes("images").unwrap();
        assert!(
            kept_bytes >= overflowed as f64 * tile_bytes * (1.0 - 1e-9),
            "{kept_bytes}"
        );
    }
}

/// Under this load the policies differ: each gives a different event log,
/// and `energy_aware` waits longer (it defers work to sunlight).
#[test]
fn the_three_policies_give_different_runs_under_load() {
    let runs: Vec<Simulation> = [Policy::Fifo, Policy::Priority, Policy::EnergyAware]
        .into_iter()
        .map(|p| run(p, 24.0))
        .collect();
    let logs: Vec<String> = runs
        .iter()
        .map(|s| serde_json::to_string(s.events()).unwrap())
        .collect();
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        assert!(logs[a] != logs[b], "policies {a} and {b} give the same run");
    }
    let deferred_to_sunlight = |sim: &Simulation| -> f64 {
        sim.snapshots()
            .map(|s| s.onboard().unwrap().counters().deferred_s.values().sum::<f64>())
            .sum()
    };
    assert!(deferred_to_sunlight(&runs[2]) > deferred_to_sunlight(&runs[0]));
}

/// A keep partition too small for the overflow: the tiles that find it
/// full stay in the raw partition (stored, counted), never lost.
#[test]
fn overflow_beyond_a_full_keep_partition_stays_raw() {
    let mut fleet = imaging(Policy::Fifo);
    fleet.truncate(1);
    let quota = 2e8; // ≈ 500 tiles
    for p in &mut fleet[0].storage.partitions {
        if p.name == "images" {
            p.quota_bytes = Some(quota);
        }
    }
    let mut sim = Simulation::new(epoch(), fleet, vec![], 5).unwrap();
    sim.run(epoch() + Duration::from_hours(24.0), Stepping::EventDriven)
        .unwrap();
    let snapshot = sim.snapshots().next().unwrap();
    let onboard = snapshot.onboard().unwrap();
    let c = onboard.counters();
    let tile = ImagerConfig::default().tile_bytes();
    assert_eq!(onboard.tiles_unaccounted(), 0);
    let images = snapshot.partition_used_bytes("images").unwrap();
    let raw = snapshot.partition_used_bytes("raw").unwrap();
    assert!(images <= quota + 1.0, "{images}");
    // Kept tiles and the overflow that fitted are in `images`; the rest of
    // the overflow (and the queue, and the running tile) is in `raw`.
    let queued = onboard.tiles_queued() as f64 + f64::from(u8::from(onboard.job_running().is_some()));
    let overflow_bytes = c.tiles_overflowed as f64 * tile;
    assert!(
        c.tiles_overflowed as f64 * tile > quota,
        "the overflow exceeds the quota"
    );
    assert!(
        (images + raw - (c.bytes_kept + overflow_bytes + queued * tile)).abs() < 1.0,
        "images {images} + raw {raw} vs kept {} + overflow {overflow_bytes} + queued {queued} tiles",
        c.bytes_kept
    );
}
