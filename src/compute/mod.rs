//! Onboard compute: real ONNX models run by tract. (Device profiles, the
//! payload and the scheduler build on this.)

#[cfg(feature = "onnx")]
pub mod model;
