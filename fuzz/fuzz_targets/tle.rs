//! TLE text: the multi-set loader and `Satellite::from_tle`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orbitedge_fuzz::tle(data));
