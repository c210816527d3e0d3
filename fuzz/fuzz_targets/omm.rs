//! OMM text, JSON or KVN.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orbitedge_fuzz::omm(data));
