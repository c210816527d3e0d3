//! Fuzzes the rehearsal API with whole HTTP requests as bytes (request line,
//! headers, body), as they would arrive on a connection: parsing, percent
//! decoding, routing, query and body validation, and the session calls behind.
//! Every input gets a fresh rehearsal (two cubesats, no stations), so runs are
//! deterministic. Invariants: no panic (a caught one would be a 500 and is
//! reported as a failure too), a 2xx/4xx/5xx status, a JSON object or array.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::prelude::*;
use orbitedge::rehearsal::api::Api;
use orbitedge::rehearsal::server::ServeConfig;
use orbitedge::rehearsal::{LagPolicy, Pacer, Session};
use orbitedge::sim::Simulation;
use orbitedge::spacecraft::Spacecraft;

fn api() -> Api {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let pattern = WalkerDelta {
        total: 2,
        planes: 2,
        phasing: 0,
        altitude_km: 550.0,
        inclination_deg: 97.6,
    };
    let fleet = Satellite::walker("sat", &pattern, epoch, AnalyticModel::J2)
        .expect("a valid pattern")
        .into_iter()
        .map(|s| Spacecraft::cubesat_6u(s.name.clone(), s))
        .collect();
    let sim = Simulation::new(epoch, fleet, vec![], 1).expect("a valid simulation");
    let session = Session::new(sim, 3_600.0).expect("a valid session");
    let pacer = Pacer::new(1.0, 0.005, LagPolicy::CatchUp).expect("a valid pacer");
    // No waiting: a long poll answers at once.
    let config = ServeConfig {
        max_poll_s: 0.0,
        ..ServeConfig::default()
    };
    Api::new(session, pacer, &config).expect("a valid configuration")
}

fuzz_target!(|data: &[u8]| {
    let reply = api().handle_bytes(data);
    assert!(
        matches!(reply.status, 200..=299 | 400..=499 | 501..=599),
        "status {} for {:?}: {}",
        reply.status,
        String::from_utf8_lossy(data),
        reply.body
    );
    assert!(reply.body.is_object() || reply.body.is_array(), "{}", reply.body);
    if reply.status >= 400 {
        assert!(reply.body["error"].as_str().is_some_and(|e| !e.is_empty()), "{}", reply.body);
    }
});
