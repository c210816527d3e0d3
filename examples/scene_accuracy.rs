//! Accuracy of a cloud detector (ukis-csmask 4-band L1C) on procedural scenes.
//!
//! Generates N scenes with cloud cover spread evenly over 0..1, runs the model
//! on each (input normalised as the model expects), and prints per scene the
//! target and true cloud fraction, the predicted one, the IoU of each class,
//! and the aggregate; `--json` prints the same as JSON. `--config JSON` sets
//! the other scene parameters (a `SceneConfig` object, e.g.
//! `'{"snow_fraction": 0.1}'`; its `cloud_cover` is overridden). `--dump DIR` also writes
//! each scene as a true-colour PPM and its truth and prediction as PGMs (grey
//! levels 0 clear, 128 shadow, 255 cloud).
//!
//! Run: `cargo run --release --example scene_accuracy -- MODEL.onnx [N_SCENES=20] [SEED=1] [--json] [--dump DIR] [--config JSON]`
//! (the model file is made by `scripts/fetch_cloud_model.py` and
//! `scripts/convert_fp16_to_fp32.py`; needs the default `onnx` feature).

#[cfg(feature = "onnx")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    run::main()
}

#[cfg(not(feature = "onnx"))]
fn main() {
    eprintln!("scene_accuracy needs the `onnx` feature (on by default)");
    std::process::exit(2);
}

#[cfg(feature = "onnx")]
mod run {
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    use orbitedge::compute::accuracy::{argmax_classes, AccuracyReport, AccuracySummary};
    use orbitedge::compute::model::OnnxModel;
    use orbitedge::compute::scene::{Class, Scene, SceneConfig, Surface};
    use serde::Serialize;

    #[derive(Serialize)]
    struct SceneResult {
        index: u64,
        target_cloud_cover: f64,
        true_shadow_fraction: f64,
        /// Per surface: share of truly clear pixels of that surface predicted as cloud.
        clear_called_cloud_by_surface: Vec<(String, Option<f64>)>,
        generate_ms: f64,
        inference_ms: f64,
        accuracy: AccuracyReport,
    }

    #[derive(Serialize)]
    struct Output {
        model: String,
        seed: u64,
        config: SceneConfig,
        scenes: Vec<SceneResult>,
        summary: AccuracySummary,
        mean_generate_ms: f64,
        mean_inference_ms: f64,
    }

    fn fmt_iou(v: Option<f64>) -> String {
        v.map_or_else(|| "   -".to_string(), |x| format!("{x:.3}"))
    }

    fn dump(dir: &Path, index: u64, scene: &Scene, predicted: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let size = scene.size_px;
        let n = scene.pixels();
        let mut rgb = Vec::with_capacity(3 * n);
        for i in 0..n {
            for b in [2, 1, 0] {
                rgb.push((scene.bands[b * n + i] * 255.0).round().clamp(0.0, 255.0) as u8);
            }
        }
        let grey = |ids: &[u8]| -> Vec<u8> {
            ids.iter()
                .map(|&c| match Class::from_id(c) {
                    Some(Class::Cloud) => 255,
                    Some(Class::Shadow) => 128,
                    _ => 0,
                })
                .collect()
        };
        let write = |name: String, magic: &str, data: &[u8]| -> std::io::Result<()> {
            let mut file = std::fs::File::create(dir.join(name))?;
            write!(file, "{magic}\n{size} {size}\n255\n")?;
            file.write_all(data)
        };
        write(format!("scene_{index:03}_rgb.ppm"), "P6", &rgb)?;
        write(format!("scene_{index:03}_truth.pgm"), "P5", &grey(&scene.truth))?;
        write(format!("scene_{index:03}_pred.pgm"), "P5", &grey(predicted))
    }

    pub fn main() -> Result<(), Box<dyn std::error::Error>> {
        let mut positional = Vec::new();
        let mut json = false;
        let mut dump_dir: Option<PathBuf> = None;
        let mut config_json: Option<String> = None;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--json" => json = true,
                "--dump" => dump_dir = Some(args.next().ok_or("--dump needs a directory")?.into()),
                "--config" => config_json = Some(args.next().ok_or("--config needs a JSON object")?),
                _ => positional.push(arg),
            }
        }
        let model_path = positional
            .first()
            .ok_or("usage: scene_accuracy MODEL.onnx [N_SCENES=20] [SEED=1] [--json] [--dump DIR] [--config JSON]")?
            .clone();
        let count: u64 = positional.get(1).map_or(Ok(20), |s| s.parse())?;
        let seed: u64 = positional.get(2).map_or(Ok(1), |s| s.parse())?;
        let count = count.max(1);

        let base: SceneConfig = match &config_json {
            Some(text) => serde_json::from_str::<SceneConfig>(text)?.validated()?,
            None => SceneConfig::default(),
        };
        let shape = [1, 4, base.size_px, base.size_px];
        let model = OnnxModel::from_path(&model_path, Some(&shape))?;
        let mut results = Vec::new();
        for index in 0..count {
            let cover = if count == 1 {
                0.5
            } else {
                index as f64 / (count - 1) as f64
            };
            let config = SceneConfig {
                cloud_cover: cover,
                ..base
            };
            let clock = Instant::now();
            let scene = Scene::generate(&config, seed, index)?;
            let generate_ms = clock.elapsed().as_secs_f64() * 1e3;
            let input = scene.normalized_ukis();
            let clock = Instant::now();
            let output = model.run(&input, &scene.input_shape())?;
            let inference_ms = clock.elapsed().as_secs_f64() * 1e3;
            let predicted =
                argmax_classes(&output.values, output.shape[1], output.shape[2], output.shape[3])?;
            let accuracy = AccuracyReport::compare(&predicted, &scene.truth, Class::ALL.len())?;
            let clear_called_cloud_by_surface = Surface::ALL
                .iter()
                .map(|&s| {
                    let (mut clear, mut called) = (0usize, 0usize);
                    for ((&surface, &truth), &guess) in scene.surface.iter().zip(&scene.truth).zip(&predicted)
                    {
                        if surface == s.id() && truth == Class::Clear.id() {
                            clear += 1;
                            called += usize::from(guess == Class::Cloud.id());
                        }
                    }
                    let share = (clear > 0).then(|| called as f64 / clear as f64);
                    (s.name().to_string(), share)
                })
                .collect();
            if let Some(dir) = &dump_dir {
                dump(dir, index, &scene, &predicted)?;
            }
            results.push(SceneResult {
                index,
                target_cloud_cover: cover,
                true_shadow_fraction: scene.shadow_fraction(),
                clear_called_cloud_by_surface,
                generate_ms,
                inference_ms,
                accuracy,
            });
        }
        let reports: Vec<AccuracyReport> = results.iter().map(|r| r.accuracy.clone()).collect();
        let summary = AccuracySummary::from_reports(&reports)?;
        let n = results.len() as f64;
        let output = Output {
            model: model_path,
            seed,
            config: base,
            mean_generate_ms: results.iter().map(|r| r.generate_ms).sum::<f64>() / n,
            mean_inference_ms: results.iter().map(|r| r.inference_ms).sum::<f64>() / n,
            scenes: results,
            summary,
        };
        if json {
            println!("{}", serde_json::to_string_pretty(&output)?);
            return Ok(());
        }
        println!(
            "{:>5} {:>6} {:>6} {:>6} {:>7} {:>6} {:>6} {:>6} {:>6} {:>6}  clear→cloud (water veg soil snow)",
            "scene", "target", "cloud", "pred", "error", "shadow", "IoU:cl", "cloud", "shadow", "acc"
        );
        for r in &output.scenes {
            let a = &r.accuracy;
            let fp: Vec<String> = r
                .clear_called_cloud_by_surface
                .iter()
                .map(|(_, v)| fmt_iou(*v))
                .collect();
            println!(
                "{:>5} {:>6.3} {:>6.3} {:>6.3} {:>+7.3} {:>6.3} {:>6} {:>6} {:>6} {:>6.3}  {}",
                r.index,
                r.target_cloud_cover,
                a.cloud_fraction_true,
                a.cloud_fraction_predicted,
                a.cloud_fraction_error,
                r.true_shadow_fraction,
                fmt_iou(a.iou[0]),
                fmt_iou(a.iou[1]),
                fmt_iou(a.iou[2]),
                a.pixel_accuracy,
                fp.join(" ")
            );
        }
        let s = &output.summary;
        println!("\n{} scenes, seed {}", s.scenes, output.seed);
        for class in Class::ALL {
            let k = usize::from(class.id());
            println!(
                "  {:<6} IoU: mean over {:>2} scenes {}, pooled {}",
                class.name(),
                s.scenes_with_class[k],
                fmt_iou(s.mean_iou_per_class[k]),
                fmt_iou(s.pooled_iou_per_class[k])
            );
        }
        println!(
            "  mean IoU {}, mean pixel accuracy {:.3}",
            fmt_iou(s.mean_iou),
            s.mean_pixel_accuracy
        );
        println!(
            "  cloud fraction error: bias {:+.3}, mean |error| {:.3}, max |error| {:.3}",
            s.mean_cloud_fraction_error, s.mean_abs_cloud_fraction_error, s.max_abs_cloud_fraction_error
        );
        println!(
            "  time per scene: generate {:.1} ms, inference {:.0} ms",
            output.mean_generate_ms, output.mean_inference_ms
        );
        Ok(())
    }
}
