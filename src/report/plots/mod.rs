//! The report's plots, each written as PNG and SVG: ground tracks over a world
//! outline, state of charge and temperature per spacecraft, and a Gantt chart
//! of shadow, contacts and inference jobs.
//!
//! Text uses DejaVu Sans embedded in the binary (the `dejavu` crate), so plots
//! look the same on a machine without fonts installed.

mod gantt;
mod ground_track;
mod power_thermal;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::sim::Simulation;

pub use gantt::Gantt;
pub use ground_track::GroundTracks;
pub use power_thermal::PowerThermal;

/// The font family every figure uses.
const FONT: &str = "sans-serif";

/// Colours for spacecraft, in order (Tableau 10: distinct, colour-blind aware).
const SERIES: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of spacecraft `index`.
fn series_color(index: usize) -> RGBColor {
    SERIES[index % SERIES.len()]
}

/// Registers the embedded font once per process.
fn register_fonts() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType file shipped by the crate; a failure
        // here would leave text undrawn, which the plot tests catch.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A figure that draws itself on any plotters backend.
pub trait Figure {
    /// File name without extension.
    const STEM: &'static str;
    /// Size in pixels (PNG) and user units (SVG).
    fn size(&self) -> (u32, u32);

    /// Draws the figure on `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// What drawing on a backend returns.
pub type DrawResult<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A plot that could not be drawn into its file: an output failure (the
/// backend's errors are its file's), not an input problem.
fn plot_error(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Io {
        path: path.display().to_string(),
        reason: format!("cannot draw the plot: {reason}"),
    }
}

/// Writes `<STEM>.png` and `<STEM>.svg` of `figure` into `dir`.
pub fn render<F: Figure>(figure: &F, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    register_fonts();
    let png = dir.join(format!("{}.png", F::STEM));
    {
        let root = BitMapBackend::new(&png, figure.size()).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(&png, e))?;
        figure.draw(&root).map_err(|e| plot_error(&png, e))?;
        root.present().map_err(|e| plot_error(&png, e))?;
    }
    written.push(png);
    let svg = dir.join(format!("{}.svg", F::STEM));
    {
        let root = SVGBackend::new(&svg, figure.size()).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(&svg, e))?;
        figure.draw(&root).map_err(|e| plot_error(&svg, e))?;
        root.present().map_err(|e| plot_error(&svg, e))?;
    }
    written.push(svg);
    Ok(())
}

/// Writes every plot of `sim` into `dir` (which must exist); returns the paths.
pub fn write_plots(sim: &Simulation, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    render(&GroundTracks::of(sim), dir, &mut written)?;
    render(&PowerThermal::of(sim), dir, &mut written)?;
    render(&Gantt::of(sim), dir, &mut written)?;
    Ok(written)
}

/// The x-axis label of time plots: hours since the start, which is named.
fn hours_label(sim: &Simulation) -> String {
    let start = sim.start();
    let (y, mo, d, h, mi, s, _) = start.to_gregorian_utc();
    format!("Time since {y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC (h)")
}

/// How many hour labels a time axis `span_h` long asks plotters for (which
/// puts them at round values): whole hours when the span has at least two,
/// so an 8-hour run reads 0 1 2 … 8, at most `most`.
fn hour_label_count(span_h: f64, most: usize) -> usize {
    if span_h >= 2.0 {
        most.min(span_h.floor() as usize + 1)
    } else {
        most.min(11)
    }
}

/// An hour label: as few decimals as the value needs (0, 1.5, 0.25), so
/// labels at fractions of an hour stay distinct.
fn hour_tick(hours: &f64) -> String {
    let text = format!("{:.2}", hours + 0.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Pixel sizes of text (the same in PNG and SVG).
const TITLE_PX: u32 = 30;
const LABEL_PX: u32 = 22;
const TICK_PX: u32 = 18;
const LEGEND_PX: u32 = 19;

/// Regular text of `size` pixels.
fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

/// Bold text of `size` pixels.
fn bold(size: u32) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FONT), f64::from(size), FontStyle::Bold).into()
}

/// How a legend entry shows its series.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    Line,
    DashedLine,
    Box,
    Triangle,
    Circle,
    Dot,
}

/// One legend entry.
struct LegendItem {
    label: String,
    color: RGBColor,
    swatch: Swatch,
}

impl LegendItem {
    fn new(label: impl Into<String>, color: RGBColor, swatch: Swatch) -> Self {
        Self {
            label: label.into(),
            color,
            swatch,
        }
    }
}

/// Draws legend entries left to right in `area` (a strip under the chart),
/// wrapping to a new row when one is full; `left_px` aligns it with the chart.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    left_px: i32,
) -> DrawResult<DB> {
    let style = font(LEGEND_PX);
    let (width, _) = area.dim_in_pixel();
    let row_px = LEGEND_PX as i32 + 12;
    let (mut x, mut y) = (left_px, row_px / 2 + 4);
    for item in items {
        let (text_w, _) = area.estimate_text_size(&item.label, &style)?;
        let entry_w = 30 + text_w as i32 + 28;
        if x + entry_w > width as i32 && x > left_px {
            x = left_px;
            y += row_px;
        }
        let c = item.color;
        match item.swatch {
            Swatch::Line => area.draw(&PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)))?,
            Swatch::DashedLine => {
                for k in 0..3 {
                    let x0 = x + k * 9;
                    area.draw(&PathElement::new(vec![(x0, y), (x0 + 5, y)], c.stroke_width(2)))?;
                }
            }
            Swatch::Box => area.draw(&Rectangle::new([(x, y - 8), (x + 24, y + 8)], c.filled()))?,
            Swatch::Triangle => area.draw(&TriangleMarker::new((x + 12, y), 9, c.filled()))?,
            Swatch::Circle => area.draw(&Circle::new((x + 12, y), 8, c.stroke_width(2)))?,
            Swatch::Dot => area.draw(&Circle::new((x + 12, y), 6, c.filled()))?,
        }
        area.draw(&Text::new(
            item.label.clone(),
            (x + 30, y - LEGEND_PX as i32 / 2),
            style.clone(),
        ))?;
        x += entry_w;
    }
    Ok(())
}

#[cfg(test)]
mod hour_axis_tests {
    use super::*;
    use plotters::coord::ranged1d::Ranged;
    use plotters::coord::types::RangedCoordf64;

    /// The labels plotters draws on an hour axis are distinct and round, for
    /// runs of every length (an 8-hour run once read 0 0 1 2 2 2 3 4 4 …).
    #[test]
    fn hour_labels_are_distinct_for_any_span() {
        for span_h in [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 8.0, 12.0, 24.0, 30.0, 72.0, 240.0] {
            for most in [13, 25] {
                let axis: RangedCoordf64 = (0.0..span_h).into();
                let labels: Vec<String> = (axis.key_points(hour_label_count(span_h, most)).iter())
                    .map(hour_tick)
                    .collect();
                let mut unique = labels.clone();
                unique.dedup();
                assert_eq!(unique, labels, "{span_h} h: {labels:?}");
                assert!(labels.len() >= 3, "{span_h} h: {labels:?}");
                if span_h >= 2.0 {
                    assert!(labels.iter().all(|l| !l.contains('.')), "{span_h} h: {labels:?}");
                }
            }
        }
        assert_eq!(hour_tick(&0.5), "0.5");
        assert_eq!(hour_tick(&-0.0), "0");
    }
}
