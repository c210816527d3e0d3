//! The report's intervals and plots on a one-day constellation run (modeled
//! latency: no model file needed).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::Path;

use orbitedge::compute::{ImagerConfig, Target};
use orbitedge::prelude::*;
use orbitedge::report::intervals::{intervals, JobOutcome};
use orbitedge::report::plots::write_plots;
use orbitedge::report::Summary;
use orbitedge::sim::{Simulation, Stepping};

mod common;
use common::{cubesats, epoch, ix5, kiruna};

fn one_day() -> Simulation {
    let mut spacecraft = cubesats("eo", 4, 2, 1, &["products", "images"]);
    for sc in &mut spacecraft {
        sc.imager = Some(ImagerConfig {
            capture_interval_s: 60.0,
            targets: vec![Target {
                name: "Europe".into(),
                latitude_deg: 48.0,
                longitude_deg: 10.0,
                radius_km: 1500.0,
                priority: 0,
            }],
            ..Default::default()
        });
        sc.computer = Some(ix5());
    }
    let stations = vec![
        kiruna(),
        GroundStation::new("Matera", 40.6486, 16.7046, 536.0, 5.0).unwrap(),
    ];
    let mut sim = Simulation::new(epoch(), spacecraft, stations, 3).unwrap();
    sim.run(epoch() + Duration::from_hours(24.0), Stepping::EventDriven)
        .unwrap();
    sim
}

/// True when `t` lies inside one of the intervals, more than `margin_s` from an edge.
fn well_inside<T>(spans: &[orbitedge::report::intervals::Interval<T>], t: f64, margin_s: f64) -> bool {
    spans
        .iter()
        .any(|s| t > s.start_s + margin_s && t < s.end_s - margin_s)
}

fn near_an_edge<T>(spans: &[orbitedge::report::intervals::Interval<T>], t: f64, margin_s: f64) -> bool {
    spans
        .iter()
        .any(|s| (t - s.start_s).abs() <= margin_s || (t - s.end_s).abs() <= margin_s)
}

#[test]
fn intervals_agree_with_telemetry_and_the_summary() {
    let sim = one_day();
    let spans = intervals(&sim);
    let summary = Summary::of(&sim);
    let t = sim.telemetry();
    let end = sim.elapsed_s();
    for (k, sc) in spans.iter().enumerate() {
        // Ordered, non-overlapping, inside the run.
        for list in [
            sc.shadow.iter().map(|i| (i.start_s, i.end_s)).collect::<Vec<_>>(),
            sc.jobs.iter().map(|i| (i.start_s, i.end_s)).collect(),
        ] {
            assert!(list.iter().all(|&(a, b)| 0.0 <= a && a <= b && b <= end));
            assert!(list.windows(2).all(|w| w[0].1 <= w[1].0), "{list:?}");
        }
        assert!(sc.shadow.len() >= 14, "{} shadow intervals", sc.shadow.len());
        // Every telemetry sample (sampled by the engine, not the event log)
        // is in shadow exactly when an interval says so, edges aside.
        let margin = 1.0;
        let mut checked = 0;
        for row in (0..t.len()).filter(|&r| t.spacecraft_index[r] as usize == k) {
            let time = t.elapsed_s[row];
            if near_an_edge(&sc.shadow, time, margin) {
                continue;
            }
            let dark = t.sunlit_fraction[row] < 1.0;
            assert_eq!(
                dark,
                well_inside(&sc.shadow, time, margin),
                "{} at {time} s",
                sim.spacecraft()[k].name
            );
            if !near_an_edge(&sc.contacts, time, margin) {
                let linked = t.link[row] >= 0;
                assert_eq!(
                    linked,
                    well_inside(&sc.contacts, time, margin),
                    "contact at {time} s"
                );
            }
            checked += 1;
        }
        assert!(checked > 1000);
        // The summary counts the same jobs and contact time.
        let s = &summary.spacecraft[k];
        assert_eq!(sc.jobs.len() as u64, s.jobs_started);
        let kept = sc.jobs.iter().filter(|j| j.what == JobOutcome::Kept).count() as u64;
        assert_eq!(kept, s.images_kept);
        let contact: f64 = sc.contacts.iter().map(|c| c.duration_s()).sum();
        let reported: f64 = s.contact_s.values().sum();
        assert!((contact - reported).abs() < 1e-6);
    }
    assert!(
        spans.iter().any(|sc| !sc.jobs.is_empty()),
        "no inference job in a day"
    );
}

/// A PNG is non-trivial when it decodes at the expected size and is neither
/// blank nor a solid block: many colours, a plausible share of ink.
fn check_png(path: &Path, min_size: (u32, u32)) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert!(
        info.width >= min_size.0 && info.height >= min_size.1,
        "{path:?}: {}x{}",
        info.width,
        info.height
    );
    let channels = info.color_type.samples();
    let mut colours = std::collections::HashSet::new();
    let mut ink = 0usize;
    for px in pixels[..info.buffer_size()].chunks(channels) {
        colours.insert(px.to_vec());
        if px.iter().take(3).any(|&c| c < 200) {
            ink += 1;
        }
    }
    let share = ink as f64 / f64::from(info.width * info.height);
    assert!(colours.len() > 50, "{path:?}: {} colours", colours.len());
    assert!((0.01..0.8).contains(&share), "{path:?}: ink share {share}");
}

/// An SVG is non-trivial when it draws shapes and says what its axes are.
fn check_svg(path: &Path, texts: &[&str]) {
    let svg = std::fs::read_to_string(path).unwrap();
    assert!(svg.starts_with("<svg"), "{path:?}");
    for text in texts {
        assert!(svg.contains(text), "{path:?} lacks {text:?}");
    }
    let shapes =
        svg.matches("<polyline").count() + svg.matches("<rect").count() + svg.matches("<polygon").count();
    assert!(shapes > 20, "{path:?}: {shapes} shapes");
}

#[test]
fn plots_are_written_as_png_and_svg_with_labelled_axes() {
    let sim = one_day();
    let dir = std::env::temp_dir().join(format!("orbitedge-plots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = write_plots(&sim, &dir).unwrap();
    assert_eq!(files.len(), 6);
    check_png(&dir.join("ground_tracks.png"), (1600, 900));
    check_png(&dir.join("power_thermal.png"), (1600, 900));
    check_png(&dir.join("timeline.png"), (1600, 400));
    check_svg(
        &dir.join("ground_tracks.svg"),
        &[
            "Longitude (deg east)",
            "Latitude (deg)",
            "Kiruna",
            "Matera",
            "Europe",
            "eo-P1-S1",
        ],
    );
    check_svg(
        &dir.join("power_thermal.svg"),
        &[
            "State of charge (%)",
            "Temperature (°C)",
            "Time since 2024-03-01 00:00:00 UTC (h)",
            "computer floor",
        ],
    );
    check_svg(
        &dir.join("timeline.svg"),
        &["shadow", "contacts", "jobs", "contact: Kiruna", "job: tile kept"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
