//! Short passes are not missed. For real passes we raise the station mask until
//! only the top 10 s (then 2 s) of the pass clears it, and check the search
//! still finds exactly that sliver, with the right length — where a search
//! sampling every 10 s can step right over it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use orbitedge::frames::gmst_rad;
use orbitedge::prelude::*;
use orbitedge::time::{julian_date_ut1, seconds_between};

fn elevation_deg(sat: &Satellite, station: &GroundStation, epoch: Epoch) -> f64 {
    let s = sat.state_at(epoch).unwrap();
    station
        .look(&s.position_km, &s.velocity_km_s, gmst_rad(julian_date_ut1(epoch)))
        .topocentric
        .elevation_deg
}

#[test]
fn passes_of_10_s_and_2_s_above_the_mask_are_found() {
    let sat = Satellite::from_tle(
        "SENTINEL-2A",
        "1 40697U 15028A   23188.15862373  .00000171  00000+0  81941-4 0  9994",
        "2 40697  98.5695 262.3977 0001349  91.8221 268.3116 14.30817084419867",
    )
    .unwrap();
    let (lat, lon, alt) = (40.649, 16.704, 536.0);
    let base = GroundStation::new("Matera", lat, lon, alt, 5.0).unwrap();
    let start = sat.epoch();
    let end = start + Duration::from_days(1.0);
    let config = SearchConfig::default();
    let passes = find_access_windows(
        std::slice::from_ref(&sat),
        std::slice::from_ref(&base),
        start,
        end,
        &config,
    )
    .unwrap();
    let complete: Vec<_> = passes
        .iter()
        .filter(|w| !w.clipped_start && !w.clipped_end)
        .collect();
    assert!(complete.len() >= 4);

    let mut checked = 0;
    for pass in complete {
        for sliver_s in [10.0, 2.0] {
            // Mask = elevation half a sliver either side of culmination (the lower of the two).
            let half = Duration::from_seconds(sliver_s / 2.0);
            let mask = elevation_deg(&sat, &base, pass.culmination - half).min(elevation_deg(
                &sat,
                &base,
                pass.culmination + half,
            ));
            let high = GroundStation::new("Matera-high", lat, lon, alt, mask).unwrap();
            let window_start = pass.rise - Duration::from_seconds(1_800.0);
            let window_end = pass.set + Duration::from_seconds(1_800.0);
            let found = find_access_windows(
                std::slice::from_ref(&sat),
                &[high],
                window_start,
                window_end,
                &config,
            )
            .unwrap();
            assert_eq!(found.len(), 1, "{sliver_s} s sliver of the pass at {}", pass.rise);
            let length = found[0].duration_s();
            assert!(
                (length - sliver_s).abs() < 0.5,
                "expected ≈{sliver_s} s, found {length} s"
            );
            assert!(seconds_between(pass.culmination, found[0].culmination).abs() < 1.0);
            checked += 1;
        }
    }
    assert!(checked >= 8);
}
