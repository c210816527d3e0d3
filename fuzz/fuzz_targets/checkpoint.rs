//! Checkpoint bytes (`Simulation::restore`), then a short run and a summary.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orbitedge_fuzz::checkpoint(data));
