//! Times an ONNX model with tract on one input of its shape (values 0.1),
//! single-threaded: median of N runs after one warm-up. Prints the model's
//! report (FLOPs, weights, peak memory estimate) and the process's peak
//! resident memory (Linux) for comparison.
//!
//! Run: `cargo run --release --example model_timing -- MODEL.onnx [INPUT_SHAPE e.g. 1,4,256,256] [RUNS] [--profile] [--batch K]`
//!
//! * `--profile`: time every node of the plan over RUNS runs and print the
//!   time per operator type and the slowest nodes.
//! * `--profile-json PATH`: also write every node's timing (name, operator,
//!   mean and minimum seconds, FLOPs) as JSON, for grouping by layer.
//! * `--batch K`: also time `run_batch` on K tiles (rayon's pool: set
//!   `RAYON_NUM_THREADS`), per tile.
//!
//! Compare with `scripts/bench_onnxruntime.py MODEL.onnx` in the same session.

use std::collections::BTreeMap;
use std::time::Instant;

use orbitedge::compute::model::OnnxModel;

/// A `/proc/self/status` field in MiB (Linux), e.g. `VmRSS` or `VmHWM` (peak RSS).
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn median_ms(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2] * 1e3
}

fn main() -> orbitedge::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json_path = args
        .iter()
        .position(|a| a == "--profile-json")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let profile = json_path.is_some() || args.iter().any(|a| a == "--profile");
    let batch: Option<usize> = args
        .iter()
        .position(|a| a == "--batch")
        .and_then(|i| args.get(i + 1))
        .and_then(|k| k.parse().ok());
    let mut positional = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with("--")
                && (*i == 0 || !["--batch", "--profile-json"].contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a.clone());
    let path = positional
        .next()
        .unwrap_or_else(|| "tests/data/tiny_cloudnet.onnx".into());
    let shape: Option<Vec<usize>> = positional
        .next()
        .map(|s| s.split(',').filter_map(|d| d.trim().parse().ok()).collect());
    let runs: usize = positional
        .next()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10)
        .max(1);

    let rss_start = status_mib("VmRSS:");
    let clock = Instant::now();
    let model = OnnxModel::from_path(&path, shape.as_deref())?;
    let load_s = clock.elapsed().as_secs_f64();
    let peak_load = status_mib("VmHWM:");
    let report = model.report().clone();
    let input = vec![0.1f32; report.input_shape.iter().product()];
    model.run(&input, &report.input_shape)?;
    // Resident memory between runs, then reset the peak (Linux: "5" > clear_refs) so that
    // the peak below is the runs' own.
    let rss_idle = status_mib("VmRSS:");
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            model
                .run(&input, &report.input_shape)
                .map(|_| start.elapsed().as_secs_f64())
        })
        .collect::<orbitedge::Result<_>>()?;
    println!(
        "{path}: {} parameters, {:?}, input {:?} -> output {:?}; load + optimise {:.2} s; median {:.1} ms per run over {runs}",
        report.parameters,
        report.precision,
        report.input_shape,
        report.output_shape,
        load_s,
        median_ms(times)
    );
    println!(
        "  {:.3} GFLOP per run; weights {:.1} MB, peak activations {:.1} MB, peak memory estimate {:.1} MB",
        report.flops_per_inference as f64 / 1e9,
        report.weight_bytes as f64 / 1e6,
        report.peak_activation_bytes as f64 / 1e6,
        report.peak_memory_bytes as f64 / 1e6,
    );
    if let (Some(start), Some(load), Some(idle), Some(peak), true) =
        (rss_start, peak_load, rss_idle, status_mib("VmHWM:"), reset)
    {
        println!(
            "  measured (Linux): RSS {start:.0} MiB at start, peak {load:.0} MiB while loading, \
             {idle:.0} MiB between runs, peak {peak:.0} MiB during the runs"
        );
    }

    if let Some(k) = batch.filter(|k| *k > 0) {
        let mut shape = report.input_shape.clone();
        shape[0] *= k;
        let stacked: Vec<f32> = (0..k).flat_map(|_| input.iter().copied()).collect();
        model.run_batch(&stacked, &shape)?;
        let times: Vec<f64> = (0..runs.div_ceil(k).max(3))
            .map(|_| {
                let start = Instant::now();
                model
                    .run_batch(&stacked, &shape)
                    .map(|_| start.elapsed().as_secs_f64() / k as f64)
            })
            .collect::<orbitedge::Result<_>>()?;
        println!(
            "  run_batch of {k} on {} rayon thread(s): median {:.1} ms per tile",
            rayon::current_num_threads(),
            median_ms(times)
        );
    }

    if profile {
        let nodes = model.profile(&input, &report.input_shape, runs)?;
        if let Some(path) = &json_path {
            let json = serde_json::to_string_pretty(&nodes).map_err(|e| orbitedge::Error::Model {
                reason: e.to_string(),
            })?;
            std::fs::write(path, json).map_err(|e| orbitedge::Error::ModelFile {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        }
        let mut by_op: BTreeMap<&str, (usize, f64, f64, u64)> = BTreeMap::new();
        for n in &nodes {
            let e = by_op.entry(n.op.as_str()).or_default();
            e.0 += 1;
            e.1 += n.mean_s;
            e.2 += n.min_s;
            e.3 += n.flops;
        }
        let total: f64 = nodes.iter().map(|n| n.mean_s).sum();
        let total_min: f64 = nodes.iter().map(|n| n.min_s).sum();
        println!(
            "  profile over {runs} runs: sum of node means {:.1} ms, of node minima {:.1} ms",
            total * 1e3,
            total_min * 1e3
        );
        let mut ops: Vec<_> = by_op.into_iter().collect();
        ops.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1));
        println!(
            "  {:<26} {:>5} {:>9} {:>9} {:>6} {:>8}",
            "operator", "nodes", "mean ms", "min ms", "share", "GFLOP/s"
        );
        for (op, (count, mean, min, flops)) in ops {
            let rate = if flops > 0 {
                format!("{:.1}", flops as f64 / min / 1e9)
            } else {
                "-".into()
            };
            println!(
                "  {op:<26} {count:>5} {:>9.2} {:>9.2} {:>5.1}% {rate:>8}",
                mean * 1e3,
                min * 1e3,
                100.0 * mean / total
            );
        }
        let mut slowest: Vec<_> = nodes.iter().collect();
        slowest.sort_by(|a, b| b.mean_s.total_cmp(&a.mean_s));
        println!("  slowest nodes:");
        for n in slowest.iter().take(15) {
            println!(
                "  {:>8.2} ms {:>7.2} GFLOP {:<18} {}",
                n.mean_s * 1e3,
                n.flops as f64 / 1e9,
                n.op,
                n.name
            );
        }
    }
    Ok(())
}
