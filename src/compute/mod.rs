//! Onboard compute: real ONNX models run by tract, and procedural scenes with
//! ground truth to measure cloud detectors on. (Device profiles, the payload
//! and the scheduler build on this.)

pub mod accuracy;
#[cfg(feature = "onnx")]
pub mod model;
pub mod scene;
