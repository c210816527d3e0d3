//! Times an ONNX model with tract on one input of its shape (values 0.1),
//! single-threaded: median of N runs after one warm-up.
//!
//! Run: `cargo run --release --example model_timing -- MODEL.onnx [INPUT_SHAPE e.g. 1,4,256,256] [RUNS]`
//! (compare with `scripts/bench_onnxruntime.py MODEL.onnx` in the same session).

use std::time::Instant;

use orbitedge::compute::model::OnnxModel;

fn main() -> orbitedge::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "tests/data/tiny_cloudnet.onnx".into());
    let shape: Option<Vec<usize>> = args
        .next()
        .map(|s| s.split(',').filter_map(|d| d.trim().parse().ok()).collect());
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(10).max(1);
    let clock = Instant::now();
    let model = OnnxModel::from_path(&path, shape.as_deref())?;
    let load_s = clock.elapsed().as_secs_f64();
    let report = model.report().clone();
    let input = vec![0.1f32; report.input_shape.iter().product()];
    model.run(&input, &report.input_shape)?;
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            model
                .run(&input, &report.input_shape)
                .map(|_| start.elapsed().as_secs_f64())
        })
        .collect::<orbitedge::Result<_>>()?;
    times.sort_by(f64::total_cmp);
    println!(
        "{path}: {} parameters, {:?}, input {:?} -> output {:?}; load + optimise {:.2} s; median {:.1} ms per run over {runs}",
        report.parameters,
        report.precision,
        report.input_shape,
        report.output_shape,
        load_s,
        times[times.len() / 2] * 1e3
    );
    Ok(())
}
