//! Bounded fuzzing of the rehearsal API without a socket (the stable
//! counterpart of `fuzz/fuzz_targets/http_request.rs`): random methods, paths
//! with percent-escapes, query strings with NaN, infinities and huge numbers,
//! random JSON bodies and raw request bytes, in short sequences on a fresh
//! rehearsal. Every reply must be JSON (an object or an array) with a 2xx, 4xx
//! or 5xx status and never a 500 (which is what a caught panic becomes); every
//! error names what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use orbitedge::rehearsal::api::{Api, Reply};
use orbitedge::rehearsal::server::ServeConfig;
use orbitedge::rehearsal::{LagPolicy, Pacer, Session};
use orbitedge::sim::Simulation;
use proptest::prelude::*;
use serde_json::{json, Value};

mod common;
use common::{cubesats, epoch};

/// Two cubesats, no stations (cheap to build for every case), no waiting.
fn api(token: Option<&str>) -> Api {
    let mut fleet = cubesats("sat", 2, 2, 0, &[]);
    fleet[1].name = "ISS (ZARYA)".into();
    let sim = Simulation::new(epoch(), fleet, vec![], 1).unwrap();
    let session = Session::new(sim, 3_600.0).unwrap();
    let pacer = Pacer::new(1.0, 0.005, LagPolicy::CatchUp).unwrap();
    let config = ServeConfig {
        token: token.map(str::to_string),
        max_poll_s: 0.0,
        ..ServeConfig::default()
    };
    Api::new(session, pacer, &config).unwrap()
}

fn check(reply: &Reply, what: &str) {
    assert!(
        matches!(reply.status, 200..=299 | 400..=499 | 501..=599),
        "{what}: status {} {}",
        reply.status,
        reply.body
    );
    assert!(
        reply.body.is_object() || reply.body.is_array(),
        "{what}: {}",
        reply.body
    );
    let text = String::from_utf8(reply.body_bytes()).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        reply.body,
        "{what}"
    );
    if reply.status >= 400 {
        let error = reply.body["error"].as_str().unwrap_or("");
        assert!(!error.is_empty(), "{what}: {}", reply.body);
    }
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["GET", "POST", "DELETE"]).prop_map(str::to_string),
        1 => prop::sample::select(vec!["PUT", "HEAD", "OPTIONS", "get", ""]).prop_map(str::to_string),
        1 => "[A-Z]{1,10}",
    ]
}

/// A name in a path: a spacecraft's or an activity's (escaped or not), or noise.
fn name_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "sat-P1-S1", "ISS%20%28ZARYA%29", "ISS (ZARYA)", "cloud%20detection", "a%2Fb", "a", "x", "caf%C3%A9",
        ])
        .prop_map(str::to_string),
        1 => "(%[0-9A-Fa-f]{2}|%[^/?]{0,2}|[a-zA-Z0-9 ._~()+-]){0,10}",
        1 => "[^/?]{0,12}",
    ]
}

/// A path: mostly the API's own, with odd names; sometimes noise.
fn path() -> impl Strategy<Value = String> {
    let endpoint = prop::sample::select(vec!["state", "may-run", "activities", "data", "nope"]);
    let fixed = prop::sample::select(vec![
        "/v1/health",
        "/v1/clock",
        "/v1/spacecraft",
        "/v1/events",
        "/v1/shutdown",
        "/",
        "/v2/x",
        "//v1//health",
    ]);
    prop_oneof![
        4 => (name_segment(), endpoint).prop_map(|(name, e)| format!("/v1/spacecraft/{name}/{e}")),
        2 => (name_segment(), name_segment()).prop_map(|(n, a)| format!("/v1/spacecraft/{n}/activities/{a}")),
        2 => fixed.prop_map(str::to_string),
        1 => prop::collection::vec(name_segment(), 0..6).prop_map(|s| format!("/{}", s.join("/"))),
    ]
}

/// A number as a client could write it, mostly absurd.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "NaN", "nan", "inf", "-inf", "Infinity", "1e308", "1e309", "-1", "0", "5", "-0",
            "99999999999999999999999", "0x10", "", "1e-400", "%4E%61N", "+3", "1.5", " 2",
        ])
        .prop_map(str::to_string),
        1 => any::<f64>().prop_map(|x| x.to_string()),
        1 => any::<u64>().prop_map(|x| x.to_string()),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec!["since", "timeout_s", "x", "since%00", "timeout_s"]);
    prop::collection::vec((key, number_text()), 0..4).prop_map(|pairs| {
        let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join("&")
    })
}

fn target() -> impl Strategy<Value = String> {
    (path(), prop::option::weighted(0.25, query())).prop_map(|(path, query)| match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    })
}

/// A JSON number, mostly out of range or absurd (as JSON text: `NaN` and
/// `1e400` are not JSON, which the API must refuse cleanly too).
fn json_number() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "NaN", "Infinity", "-Infinity", "1e308", "1e400", "-1", "0", "12", "1e5", "100000.1",
            "1e15", "1e16", "1e8", "-0", "\"12\"", "null", "true", "[]", "{}", "1", "2.5", "1000",
        ])
        .prop_map(str::to_string),
        1 => any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(|x| format!("{x:e}")),
    ]
}

fn name_json() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["cloud detection", "a/b", "products", "x", "", "\u{7}bell", "café"])
            .prop_map(|s| json!(s).to_string()),
        1 => ".{0,300}".prop_map(|s| json!(s).to_string()),
        1 => Just("42".to_string()),
    ]
}

/// A body: an API-shaped object with odd values, arbitrary JSON, or bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let field = prop::sample::select(vec![
        "activity",
        "power_w",
        "duration_s",
        "partition",
        "bytes",
        "extra",
    ]);
    let value = prop_oneof![json_number(), name_json()];
    let shaped = prop::collection::vec((field, value), 0..5).prop_map(|fields| {
        let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k:?}: {v}")).collect();
        format!("{{{}}}", fields.join(", ")).into_bytes()
    });
    let json = any_json().prop_map(|v| v.to_string().into_bytes());
    prop_oneof![
        2 => activity_body(),
        1 => data_body(),
        2 => shaped,
        1 => json,
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A good name, mostly (the noise of [`name_segment`] is mostly refused early).
fn good_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["sat-P1-S1", "ISS%20%28ZARYA%29", "cloud%20detection", "a%2Fb", "a"])
            .prop_map(str::to_string),
        1 => name_segment(),
    ]
}

fn activity_body() -> impl Strategy<Value = Vec<u8>> {
    (name_json(), json_number(), prop::option::of(json_number())).prop_map(|(a, p, d)| {
        let duration = d.map_or(String::new(), |d| format!(", \"duration_s\": {d}"));
        format!("{{\"activity\": {a}, \"power_w\": {p}{duration}}}").into_bytes()
    })
}

fn data_body() -> impl Strategy<Value = Vec<u8>> {
    (name_json(), json_number())
        .prop_map(|(p, b)| format!("{{\"partition\": {p}, \"bytes\": {b}}}").into_bytes())
}

/// A request shaped like one of the API's, with odd names and numbers.
fn api_request() -> impl Strategy<Value = (String, String, Vec<u8>)> {
    let sc = || good_name().prop_map(|n| format!("/v1/spacecraft/{n}"));
    let no_body = || Just(Vec::new());
    let request = |method: &'static str| move |(path, body)| (method.to_string(), path, body);
    prop_oneof![
        2 => (sc().prop_map(|p| format!("{p}/state")), no_body()).prop_map(request("GET")),
        2 => (sc().prop_map(|p| format!("{p}/may-run")), activity_body()).prop_map(request("POST")),
        3 => (sc().prop_map(|p| format!("{p}/activities")), activity_body()).prop_map(request("POST")),
        2 => ((sc(), good_name()).prop_map(|(p, a)| format!("{p}/activities/{a}")), no_body()).prop_map(request("DELETE")),
        2 => (sc().prop_map(|p| format!("{p}/data")), data_body()).prop_map(request("POST")),
        2 => (query().prop_map(|q| format!("/v1/events?{q}")), no_body()).prop_map(request("GET")),
        1 => (prop::sample::select(vec!["/v1/clock", "/v1/health", "/v1/spacecraft"]).prop_map(str::to_string), no_body())
            .prop_map(request("GET")),
    ]
}

fn request() -> impl Strategy<Value = (String, String, Vec<u8>)> {
    prop_oneof![
        3 => api_request(),
        1 => (method(), target(), body()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_request_gets_a_json_reply(requests in prop::collection::vec(request(), 1..8)) {
        let api = api(None);
        let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        for (method, target, body) in &requests {
            let reply = api.handle(method, target, &headers, body);
            check(&reply, &format!("{method} {target} {}", String::from_utf8_lossy(body)));
        }
    }

    #[test]
    fn any_bytes_get_a_json_reply(raw in prop::collection::vec(any::<u8>(), 0..200),
                                  (method, target, body) in request()) {
        let api = api(Some("s3cret"));
        check(&api.handle_bytes(&raw), &format!("{:?}", String::from_utf8_lossy(&raw)));
        let wire = format!(
            "{method} {target} HTTP/1.1\r\nAuthorization: Bearer s3cret\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut bytes = wire.into_bytes();
        bytes.extend_from_slice(&body);
        check(&api.handle_bytes(&bytes), &format!("{:?}", String::from_utf8_lossy(&bytes)));
    }
}

/// Every numeric parameter refuses NaN, infinities, negatives and numbers
/// past its bound with a 400 naming it, and nothing changes.
#[test]
fn absurd_numbers_are_refused_naming_the_parameter() {
    let api = api(None);
    let post = |path: &str, body: &str| api.handle("POST", path, &[], body.as_bytes());
    let cases = [
        (
            "activities",
            "power_w",
            r#"{"activity": "a", "power_w": X}"#,
            "100000.1",
        ),
        (
            "may-run",
            "power_w",
            r#"{"activity": "a", "power_w": X}"#,
            "100000.1",
        ),
        (
            "may-run",
            "duration_s",
            r#"{"activity": "a", "power_w": 1, "duration_s": X}"#,
            "100000001",
        ),
        (
            "data",
            "bytes",
            r#"{"partition": "products", "bytes": X}"#,
            "1.0000001e15",
        ),
    ];
    for (endpoint, name, template, above_bound) in cases {
        for value in ["1e308", "-1", "1e16", "-1e-300", above_bound] {
            let reply = post(
                &format!("/v1/spacecraft/sat-P1-S1/{endpoint}"),
                &template.replace('X', value),
            );
            assert_eq!(reply.status, 400, "{endpoint} {value}: {}", reply.body);
            assert!(
                reply.body["error"].as_str().unwrap().contains(name),
                "{}",
                reply.body
            );
        }
        for value in ["NaN", "Infinity", "1e400"] {
            let reply = post(
                &format!("/v1/spacecraft/sat-P1-S1/{endpoint}"),
                &template.replace('X', value),
            );
            assert_eq!(reply.status, 400, "{endpoint} {value}: {}", reply.body);
        }
    }
    for (name, value) in [
        ("timeout_s", "NaN"),
        ("timeout_s", "inf"),
        ("timeout_s", "-1"),
        ("since", "1e308"),
        ("since", "-1"),
    ] {
        let reply = api.handle("GET", &format!("/v1/events?{name}={value}"), &[], b"");
        assert_eq!(reply.status, 400, "{name}={value}");
        assert!(
            reply.body["error"].as_str().unwrap().contains(name),
            "{}",
            reply.body
        );
    }
    let state = api.handle("GET", "/v1/spacecraft/sat-P1-S1/state", &[], b"");
    assert_eq!(state.body["activities"], json!({}));
    // In bounds is accepted: the bound is not off by one.
    assert_eq!(
        post(
            "/v1/spacecraft/sat-P1-S1/activities",
            r#"{"activity": "a", "power_w": 1e5}"#
        )
        .status,
        201
    );
}

/// A long feed comes in pages of at most 1 000 items, each continuing at `next`.
#[test]
fn the_event_feed_comes_in_bounded_pages() {
    let api = api(None);
    for k in 0..600 {
        let body = json!({"activity": format!("job {k}"), "power_w": 1.0}).to_string();
        assert_eq!(
            api.handle(
                "POST",
                "/v1/spacecraft/sat-P1-S1/activities",
                &[],
                body.as_bytes()
            )
            .status,
            201
        );
        let stop = format!("/v1/spacecraft/sat-P1-S1/activities/job%20{k}");
        assert_eq!(api.handle("DELETE", &stop, &[], b"").status, 200);
    }
    let first = api.handle("GET", "/v1/events?since=0", &[], b"").body;
    assert_eq!(first["events"].as_array().unwrap().len(), 1000);
    assert_eq!(first["next"], 1000);
    let rest = api.handle("GET", "/v1/events?since=1000", &[], b"").body;
    assert_eq!(rest["events"].as_array().unwrap().len(), 200);
    assert_eq!(rest["next"], 1200);
    assert_eq!(rest["events"][199]["kind"]["event"], "activity_ended");
}
