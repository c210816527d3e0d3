//! ONNX bytes (`OnnxModel::from_bytes`), then a run on zeros for small inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orbitedge_fuzz::onnx_model(data));
