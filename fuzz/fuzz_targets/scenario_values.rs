//! Sweep values (`Scenario::with_values`) on the default scenario.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orbitedge_fuzz::scenario_values(data));
