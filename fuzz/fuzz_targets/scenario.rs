//! Scenario text (first byte: TOML, JSON or YAML).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orbitedge_fuzz::scenario(data));
