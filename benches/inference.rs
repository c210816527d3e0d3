//! Onboard inference with tract. The tiny test net always; the real cloud model
//! (ukis-csmask 4b-l1c, float32, one 256×256 tile) when
//! `models/ukis-csmask-4b-l1c-fp32.onnx` exists (`scripts/prepare_cloud_model.sh`
//! makes it), skipped with a note otherwise. The onnxruntime baseline is
//! `benches/python/bench_model.py` (same arrays, same session); one-thread
//! figures are in `docs/inference-performance.md`.
//!
//! Run: `cargo bench --bench inference`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use orbitedge::compute::model::OnnxModel;

const CLOUD_MODEL: &str = "models/ukis-csmask-4b-l1c-fp32.onnx";

fn input(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i as u64 * 2_654_435_761) % 1000) as f32 * 1e-3 - 0.5)
        .collect()
}

fn tiny(c: &mut Criterion) {
    let model = OnnxModel::from_path("tests/data/tiny_cloudnet.onnx", None).unwrap();
    let shape = model.report().input_shape.clone();
    let x = input(shape.iter().product());
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut group = c.benchmark_group("tiny_cloudnet_4x32x32");
    group.bench_function("run", |b| b.iter(|| model.run(&x, &shape).unwrap()));
    let tiles = 16;
    let stacked = input(tiles * x.len());
    let batch_shape = [tiles, 4, 32, 32];
    group.throughput(Throughput::Elements(tiles as u64));
    group.bench_function("run_batch 16 tiles, one thread", |b| {
        b.iter(|| one_thread.install(|| model.run_batch(&stacked, &batch_shape).unwrap()))
    });
    group.bench_function("run_batch 16 tiles, all threads", |b| {
        b.iter(|| model.run_batch(&stacked, &batch_shape).unwrap())
    });
    group.finish();
}

fn cloud_model(c: &mut Criterion) {
    if !std::path::Path::new(CLOUD_MODEL).exists() {
        eprintln!(
            "skipping the ukis-csmask benches: {CLOUD_MODEL} is absent (run scripts/prepare_cloud_model.sh)"
        );
        return;
    }
    let shape = [1, 4, 256, 256];
    let model = OnnxModel::from_path(CLOUD_MODEL, Some(&shape)).unwrap();
    let x = input(shape.iter().product());
    let mut group = c.benchmark_group("ukis_csmask_fp32_256x256");
    group.sample_size(10);
    group.bench_function("run, one tile (one thread)", |b| {
        b.iter(|| model.run(&x, &shape).unwrap())
    });
    let tiles = 2;
    let stacked = input(tiles * x.len());
    group.throughput(Throughput::Elements(tiles as u64));
    group.bench_function("run_batch 2 tiles, all threads", |b| {
        b.iter(|| model.run_batch(&stacked, &[tiles, 4, 256, 256]).unwrap())
    });
    group.finish();
}

criterion_group!(benches, tiny, cloud_model);
criterion_main!(benches);
