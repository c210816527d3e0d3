//! Station sharing (issue 14): a spacecraft claims a station only through a
//! radio that can use it; a station serves up to `antennas` spacecraft at
//! once; `SimulationConfig.station_assignment` decides between competing
//! passes; passes left without an antenna are logged as `pass_unserved`.
//! Expectations come from the access windows of the same geometry, searched
//! independently of the engine.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use orbitedge::access::{find_access_windows, AccessWindow, SearchConfig};
use orbitedge::prelude::*;
use orbitedge::report::intervals::intervals;
use orbitedge::sim::{EventKind, Simulation, SimulationConfig, StationAssignment, Stepping};
use orbitedge::spacecraft::{RadioConfig, RateModel, Spacecraft};

mod common;
use common::{cubesats, epoch, kiruna};

/// Slack between the engine's contact edges and independently searched
/// window edges (epochs carry nanoseconds), s.
const SLACK_S: f64 = 1e-6;

fn at(s: f64) -> Epoch {
    epoch() + Duration::from_seconds(s)
}

fn matera() -> GroundStation {
    GroundStation::new("Matera", 40.649, 16.704, 536.0, 5.0).unwrap()
}

/// A geostationary spacecraft over longitude `longitude_deg` at the epoch,
/// with no radio (a bare `Spacecraft::new`).
fn geo(name: &str, longitude_deg: f64) -> Spacecraft {
    let gmst_deg = orbitedge::frames::gmst_rad(orbitedge::time::julian_date_ut1(epoch())).to_degrees();
    let elements = ClassicalElements {
        semi_major_axis_km: 42_164.17,
        eccentricity: 0.0,
        inclination_deg: 0.0,
        raan_deg: 0.0,
        argument_of_perigee_deg: 0.0,
        mean_anomaly_deg: (longitude_deg + gmst_deg).rem_euclid(360.0),
    };
    let satellite = Satellite::from_elements(name, epoch(), elements, AnalyticModel::Kepler).unwrap();
    Spacecraft::new(name, satellite)
}

fn radio(stations: &[&str]) -> RadioConfig {
    RadioConfig {
        name: "s-band".into(),
        rate: RateModel::Fixed { rate_bps: 1e6 },
        transmit_power_w: 0.0,
        partitions: vec![],
        stations: stations.iter().map(|s| s.to_string()).collect(),
        inter_satellite: false,
        max_range_km: None,
    }
}

/// `(elapsed_s, spacecraft, event)` of every event but `skip`'s, as text.
fn log_without(sim: &Simulation, skip: &str) -> Vec<String> {
    sim.events()
        .iter()
        .filter(|e| e.spacecraft != skip)
        .map(|e| format!("{} {} {:?}", e.elapsed_s, e.spacecraft, e.kind))
        .collect()
}

fn contacts_at(sim: &Simulation, station: &str) -> usize {
    sim.events()
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::ContactStarted { station: s } if s == station))
        .count()
}

/// Issue 14's reproduction: a geostationary relay without a radio, in view
/// of Kiruna all day and listed first (it would win every tie), used to hold
/// the station from the start and block every other spacecraft's contacts.
#[test]
fn a_spacecraft_without_a_radio_claims_no_station() {
    let relay = geo("relay", 21.0);
    let end = at(12.0 * 3_600.0);
    let windows = find_access_windows(
        std::slice::from_ref(&relay.satellite),
        &[kiruna()],
        epoch(),
        end,
        &SearchConfig::default(),
    )
    .unwrap();
    assert!(
        windows.len() == 1 && windows[0].clipped_start && windows[0].clipped_end,
        "the relay must be in view all the time: {windows:?}"
    );
    let leo = cubesats("eo", 3, 3, 1, &[]);
    let mut with_relay: Vec<Spacecraft> = vec![relay];
    with_relay.extend(leo.iter().cloned());
    let mut sim = Simulation::new(epoch(), with_relay, vec![kiruna()], 1).unwrap();
    sim.run(end, Stepping::EventDriven).unwrap();
    let mut alone = Simulation::new(epoch(), leo, vec![kiruna()], 1).unwrap();
    alone.run(end, Stepping::EventDriven).unwrap();
    assert!(sim.events().iter().all(|e| e.spacecraft != "relay"
        || !matches!(
            e.kind,
            EventKind::ContactStarted { .. } | EventKind::PassUnserved { .. }
        )));
    assert!(
        contacts_at(&sim, "Kiruna") >= 10,
        "{}",
        contacts_at(&sim, "Kiruna")
    );
    // The spacecraft with radios see exactly what they see without the relay.
    assert_eq!(log_without(&sim, "relay"), log_without(&alone, ""));
}

/// A radio restricted to one station claims that station only: the relay
/// holds Matera (all day in view, first come) and leaves Kiruna alone; every
/// other pass over Matera is then unserved from rise to set.
#[test]
fn a_radio_claims_only_the_stations_it_lists() {
    let mut relay = geo("relay", 21.0);
    relay.radios = vec![radio(&["Matera"])];
    let leo = cubesats("eo", 3, 3, 1, &[]);
    let mut fleet = vec![relay];
    fleet.extend(leo.iter().cloned());
    let end = at(12.0 * 3_600.0);
    let mut sim = Simulation::new(epoch(), fleet, vec![kiruna(), matera()], 1).unwrap();
    sim.run(end, Stepping::EventDriven).unwrap();
    let relay_contacts: Vec<_> = intervals(&sim)[0].contacts.clone();
    assert_eq!(relay_contacts.len(), 1, "{relay_contacts:?}");
    assert_eq!(relay_contacts[0].what, "Matera");
    assert_eq!(relay_contacts[0].start_s, 0.0);
    // The others' passes over Matera: every one unserved whole.
    let sats: Vec<Satellite> = sim.spacecraft()[1..]
        .iter()
        .map(|s| s.satellite.clone())
        .collect();
    let passes = find_access_windows(&sats, &[matera()], epoch(), end, &SearchConfig::default()).unwrap();
    let unserved: Vec<(String, f64, f64)> = sim
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::PassUnserved {
                station,
                pass_s,
                unserved_s,
            } => {
                assert_eq!(station, "Matera");
                assert_eq!(pass_s, unserved_s, "{e:?}");
                Some((e.spacecraft.clone(), e.elapsed_s, *pass_s))
            }
            _ => None,
        })
        .collect();
    let whole: Vec<&AccessWindow> = passes.iter().filter(|w| !w.clipped_end).collect();
    assert_eq!(unserved.len(), whole.len(), "{unserved:?}");
    for (w, (name, end_s, pass_s)) in whole.iter().zip(&unserved) {
        assert_eq!(&w.satellite, name);
        assert!((seconds(w.set) - end_s).abs() < SLACK_S, "{w:?}");
        assert!((w.duration_s() - pass_s).abs() < SLACK_S, "{w:?}");
    }
    assert_eq!(contacts_at(&sim, "Matera"), 1);
    // Kiruna is as if the relay were not there.
    let mut alone = Simulation::new(epoch(), leo, vec![kiruna(), matera()], 1).unwrap();
    alone.run(end, Stepping::EventDriven).unwrap();
    assert_eq!(contacts_at(&sim, "Kiruna"), contacts_at(&alone, "Kiruna"));
}

fn seconds(t: Epoch) -> f64 {
    orbitedge::time::seconds_between(epoch(), t)
}

/// Two spacecraft in one orbit, `early` 4° ahead of `late` (about a minute):
/// their passes over Kiruna overlap by all but a minute. `late` is listed
/// first, so a tie on the index alone would go to it.
fn close_pair() -> Vec<Spacecraft> {
    let mut pair = Vec::new();
    for (name, anomaly) in [("late", 0.0), ("early", 4.0)] {
        let elements = ClassicalElements {
            semi_major_axis_km: 6_928.0,
            eccentricity: 0.0,
            inclination_deg: 97.6,
            raan_deg: 10.0,
            argument_of_perigee_deg: 0.0,
            mean_anomaly_deg: anomaly,
        };
        let satellite = Satellite::from_elements(name, epoch(), elements, AnalyticModel::J2).unwrap();
        let mut sc = Spacecraft::new(name, satellite);
        sc.radios = vec![radio(&[])];
        pair.push(sc);
    }
    pair
}

/// One pass of each over Kiruna, overlapping: (late's, early's).
fn overlapping_passes(sim: &Simulation, end: Epoch) -> Vec<(AccessWindow, AccessWindow)> {
    let sats: Vec<Satellite> = sim.spacecraft().iter().map(|s| s.satellite.clone()).collect();
    let windows = find_access_windows(&sats, &[kiruna()], epoch(), end, &SearchConfig::default()).unwrap();
    let of = |name: &str| -> Vec<AccessWindow> {
        windows
            .iter()
            .filter(|w| w.satellite == name && !w.clipped_start && !w.clipped_end)
            .cloned()
            .collect()
    };
    let pairs: Vec<_> = of("late")
        .into_iter()
        .filter_map(|l| {
            of("early")
                .into_iter()
                .find(|e| e.rise < l.set && l.rise < e.set)
                .map(|e| (l, e))
        })
        .collect();
    assert!(pairs.len() >= 3, "{pairs:?}");
    for (late, early) in &pairs {
        assert!(
            early.rise < late.rise && early.set < late.set,
            "{late:?} {early:?}"
        );
    }
    pairs
}

/// The pair's contacts and unserved passes over 6 h (one planning block)
/// under `assignment`, with the passes they come from.
struct Outcome {
    /// Per spacecraft (late, early): contacts (start_s, end_s).
    contacts: [Vec<(f64, f64)>; 2],
    /// Per spacecraft: unserved passes (end_s, pass_s, unserved_s).
    unserved: [Vec<(f64, f64, f64)>; 2],
    passes: Vec<(AccessWindow, AccessWindow)>,
}

fn run_pair(assignment: StationAssignment) -> Outcome {
    let config = SimulationConfig {
        station_assignment: assignment,
        ..Default::default()
    };
    let end = at(6.0 * 3_600.0);
    let mut sim = Simulation::with_config(epoch(), close_pair(), vec![kiruna()], 1, config).unwrap();
    sim.run(end, Stepping::EventDriven).unwrap();
    let all = intervals(&sim);
    let contacts = [0, 1].map(|k| all[k].contacts.iter().map(|c| (c.start_s, c.end_s)).collect());
    let unserved = [0, 1].map(|k| {
        sim.events()
            .iter()
            .filter(|e| e.spacecraft_index == k)
            .filter_map(|e| match e.kind {
                EventKind::PassUnserved {
                    pass_s, unserved_s, ..
                } => Some((e.elapsed_s, pass_s, unserved_s)),
                _ => None,
            })
            .collect()
    });
    Outcome {
        contacts,
        unserved,
        passes: overlapping_passes(&sim, end),
    }
}

/// Whether `list` holds (start, end) within the slack.
fn has(list: &[(f64, f64)], start: f64, end: f64) -> bool {
    list.iter()
        .any(|(a, b)| (a - start).abs() < SLACK_S && (b - end).abs() < SLACK_S)
}

fn has_unserved(list: &[(f64, f64, f64)], end: f64, pass: f64, unserved: f64) -> bool {
    list.iter().any(|(t, p, u)| {
        (t - end).abs() < SLACK_S && (p - pass).abs() < SLACK_S && (u - unserved).abs() < SLACK_S
    })
}

/// What `winner`'s pass gets (all of it) and what `loser`'s gets (the part
/// outside the winner's), for the pair (late, early).
fn expect_win(out: &Outcome, late: &AccessWindow, early: &AccessWindow, late_wins: bool) {
    let (l0, l1, e0, e1) = (
        seconds(late.rise),
        seconds(late.set),
        seconds(early.rise),
        seconds(early.set),
    );
    if late_wins {
        assert!(has(&out.contacts[0], l0, l1), "late whole: {:?}", out.contacts[0]);
        assert!(
            has(&out.contacts[1], e0, l0),
            "early until late rises: {:?}",
            out.contacts[1]
        );
        assert!(
            has_unserved(&out.unserved[1], e1, e1 - e0, e1 - l0),
            "{:?}",
            out.unserved[1]
        );
    } else {
        assert!(
            has(&out.contacts[1], e0, e1),
            "early whole: {:?}",
            out.contacts[1]
        );
        assert!(
            has(&out.contacts[0], e1, l1),
            "late after early sets: {:?}",
            out.contacts[0]
        );
        assert!(
            has_unserved(&out.unserved[0], l1, l1 - l0, e1 - l0),
            "{:?}",
            out.unserved[0]
        );
    }
}

/// First come (the default): the earlier rise keeps the station for its whole
/// pass; the later one gets the rest of its own and is logged unserved for the
/// overlap — though it is listed first.
#[test]
fn first_come_serves_the_earlier_rise_whole() {
    let out = run_pair(StationAssignment::FirstCome);
    for (late, early) in &out.passes {
        expect_win(&out, late, early, false);
    }
    assert_eq!(out.unserved[1], vec![], "the earlier rise is never unserved");
}

/// Highest elevation: in each overlap, the pass with the higher peak is
/// served whole and the other around it. Earth's rotation moves the trailing
/// ground track west, so either may peak higher: both cases occur.
#[test]
fn highest_elevation_serves_the_higher_pass_whole() {
    let out = run_pair(StationAssignment::HighestElevation);
    let mut late_won = 0;
    for (late, early) in &out.passes {
        let late_wins = late.max_elevation_deg > early.max_elevation_deg;
        late_won += usize::from(late_wins);
        expect_win(&out, late, early, late_wins);
    }
    assert!(
        late_won > 0 && late_won < out.passes.len(),
        "{late_won} of {}",
        out.passes.len()
    );
}

/// Priority: the listed spacecraft preempts — here the later rise takes the
/// station from the earlier one when it rises, every time.
#[test]
fn priority_serves_the_listed_spacecraft_whole() {
    let out = run_pair(StationAssignment::Priority(vec!["late".into()]));
    for (late, early) in &out.passes {
        expect_win(&out, late, early, true);
    }
    assert_eq!(out.unserved[0], vec![], "the listed spacecraft is never unserved");
}

/// Two antennas serve both passes whole: nothing is unserved.
#[test]
fn two_antennas_serve_both_passes() {
    let end = at(6.0 * 3_600.0);
    let station = kiruna().with_antennas(2).unwrap();
    let mut sim = Simulation::new(epoch(), close_pair(), vec![station], 1).unwrap();
    sim.run(end, Stepping::EventDriven).unwrap();
    let all = intervals(&sim);
    for (late, early) in overlapping_passes(&sim, end) {
        let got =
            |k: usize| -> Vec<(f64, f64)> { all[k].contacts.iter().map(|c| (c.start_s, c.end_s)).collect() };
        assert!(has(&got(0), seconds(late.rise), seconds(late.set)));
        assert!(has(&got(1), seconds(early.rise), seconds(early.set)));
    }
    assert!(sim
        .events()
        .iter()
        .all(|e| !matches!(e.kind, EventKind::PassUnserved { .. })));
}

/// Twelve spacecraft over two stations of two antennas for a day (four
/// planning blocks): never more than two in contact with a station at once,
/// and both antennas used.
#[test]
fn antennas_bound_the_spacecraft_in_contact_at_once() {
    let stations = vec![
        kiruna().with_antennas(2).unwrap(),
        GroundStation::new("Svalbard", 78.2298, 15.4078, 500.0, 5.0)
            .unwrap()
            .with_antennas(2)
            .unwrap(),
    ];
    let mut sim = Simulation::new(epoch(), cubesats("eo", 12, 3, 1, &[]), stations, 1).unwrap();
    sim.run(at(86_400.0), Stepping::EventDriven).unwrap();
    for station in ["Kiruna", "Svalbard"] {
        let mut in_contact = 0;
        let mut most = 0;
        for e in sim.events() {
            match &e.kind {
                EventKind::ContactStarted { station: s } if s == station => in_contact += 1,
                EventKind::ContactEnded { station: s, .. } if s == station => in_contact -= 1,
                _ => {}
            }
            most = most.max(in_contact);
            assert!(in_contact <= 2, "{station}: {in_contact} at {}", e.elapsed_s);
        }
        assert_eq!(most, 2, "{station}: two antennas are used at once");
    }
}

/// Over one station, every second in view is either in contact or logged
/// unserved: per spacecraft, contact time + unserved time = time in view
/// (independently searched), over a day of four planning blocks.
#[test]
fn every_second_in_view_is_served_or_logged_unserved() {
    let fleet = cubesats("eo", 12, 3, 1, &[]);
    let sats: Vec<Satellite> = fleet.iter().map(|s| s.satellite.clone()).collect();
    let end = at(86_400.0);
    for antennas in [1, 2] {
        let station = kiruna().with_antennas(antennas).unwrap();
        let mut sim = Simulation::new(epoch(), fleet.clone(), vec![station.clone()], 1).unwrap();
        sim.run(end, Stepping::EventDriven).unwrap();
        let windows = find_access_windows(&sats, &[station], epoch(), end, &SearchConfig::default()).unwrap();
        let all = intervals(&sim);
        let mut unserved_total = 0.0;
        for (k, sc) in sim.spacecraft().iter().enumerate() {
            let in_view: f64 = (windows.iter())
                .filter(|w| w.satellite == sc.name)
                .map(AccessWindow::duration_s)
                .sum();
            let contact: f64 = all[k].contacts.iter().map(|c| c.end_s - c.start_s).sum();
            let unserved: f64 = (sim.events().iter())
                .filter(|e| e.spacecraft_index == k)
                .filter_map(|e| match e.kind {
                    EventKind::PassUnserved { unserved_s, .. } => Some(unserved_s),
                    _ => None,
                })
                .sum();
            unserved_total += unserved;
            assert!(
                (contact + unserved - in_view).abs() < 1e-3,
                "{} antennas, {}: {contact} + {unserved} vs {in_view}",
                antennas,
                sc.name
            );
        }
        // One antenna is not enough for twelve; two happen to be over Kiruna.
        assert_eq!(
            unserved_total > 0.0,
            antennas == 1,
            "{antennas} antennas: {unserved_total} s"
        );
    }
}

/// The priority list names spacecraft of the simulation, each once.
#[test]
fn a_priority_list_with_an_unknown_or_repeated_name_is_refused() {
    let make = |names: &[&str]| {
        let config = SimulationConfig {
            station_assignment: StationAssignment::Priority(names.iter().map(|n| n.to_string()).collect()),
            ..Default::default()
        };
        Simulation::with_config(epoch(), close_pair(), vec![kiruna()], 1, config)
    };
    assert!(make(&["early", "late"]).is_ok());
    assert!(make(&[]).is_ok());
    match make(&["early", "Voyager"]) {
        Err(Error::UnknownName { name, .. }) => assert_eq!(name, "Voyager"),
        other => panic!("{other:?}"),
    }
    match make(&["early", "early"]) {
        Err(Error::Duplicate { name, .. }) => assert_eq!(name, "early"),
        other => panic!("{other:?}"),
    }
    match kiruna().with_antennas(0) {
        Err(Error::InvalidParameter { name, .. }) => assert!(name.contains("antennas")),
        other => panic!("{other:?}"),
    }
}

/// Every policy over a day, with one- and two-antenna stations, a radio-less
/// spacecraft and a relay that holds Matera all day unless preempted: the
/// same checkpoint bytes whether the run is one call or cut into pieces
/// restored from checkpoints, and on 1, 2 or 4 threads.
#[test]
fn station_sharing_is_cut_and_thread_count_independent() {
    let policies = [
        StationAssignment::FirstCome,
        StationAssignment::HighestElevation,
        StationAssignment::Priority(vec!["eo-P3-S2".into(), "eo-P1-S1".into()]),
    ];
    for policy in policies {
        let new_sim = || {
            let mut relay = geo("relay", 21.0);
            relay.radios = vec![radio(&["Matera"])];
            let mut fleet = vec![geo("bare", 21.0), relay];
            fleet.extend(cubesats("eo", 9, 3, 1, &[]));
            let svalbard = GroundStation::new("Svalbard", 78.2298, 15.4078, 500.0, 5.0).unwrap();
            let stations = vec![kiruna(), svalbard.with_antennas(2).unwrap(), matera()];
            let config = SimulationConfig {
                station_assignment: policy.clone(),
                ..Default::default()
            };
            Simulation::with_config(epoch(), fleet, stations, 5, config).unwrap()
        };
        let run = |cuts: &[f64], threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut sim = new_sim();
                for &cut in cuts {
                    sim.run(at(cut), Stepping::EventDriven).unwrap();
                    sim = Simulation::restore(&sim.checkpoint().unwrap()).unwrap();
                }
                sim.checkpoint().unwrap()
            })
        };
        let whole = run(&[86_400.0], 2);
        let unserved = (Simulation::restore(&whole).unwrap().events().iter())
            .filter(|e| matches!(e.kind, EventKind::PassUnserved { .. }))
            .count();
        assert!(
            unserved >= 5,
            "{policy:?}: {unserved} unserved passes: too few to test"
        );
        // Cuts inside passes, at a block end, just after one, and off every grid.
        let cuts = [3_333.3, 21_600.0, 21_600.5, 40_000.123, 64_801.0, 86_400.0];
        assert!(whole == run(&cuts, 2), "{policy:?}: a cut run differs");
        assert!(whole == run(&[86_400.0], 1), "{policy:?}: one thread differs");
        assert!(whole == run(&[86_400.0], 4), "{policy:?}: four threads differ");
    }
}
