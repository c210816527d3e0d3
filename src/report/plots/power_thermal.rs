//! State of charge and temperature over time, one line per spacecraft.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    bold, draw_legend, font, hour_label_count, hour_tick, hours_label, series_color, DrawResult, Figure,
    LegendItem, Swatch, LABEL_PX, TICK_PX, TITLE_PX,
};
use crate::sim::Simulation;

/// Kelvin to degrees Celsius (plots speak Celsius; the engine keeps kelvin).
const ZERO_CELSIUS_K: f64 = 273.15;

/// A horizontal reference line.
struct Limit {
    label: String,
    value: f64,
    color: RGBColor,
}

/// One series per spacecraft, in the simulation's order: (hours, value).
type Series = Vec<(String, Vec<(f64, f64)>)>;

/// State of charge (%) and temperature (°C) of every spacecraft.
pub struct PowerThermal {
    x_label: String,
    span_h: f64,
    soc_percent: Series,
    temperature_c: Series,
    soc_limits: Vec<Limit>,
    temperature_limits: Vec<Limit>,
}

const FLOOR: RGBColor = RGBColor(200, 40, 40);
const LIMIT: RGBColor = RGBColor(120, 120, 120);

impl PowerThermal {
    /// The series and limits of `sim`.
    pub fn of(sim: &Simulation) -> Self {
        let t = sim.telemetry();
        let names = || sim.spacecraft().iter().map(|sc| (sc.name.clone(), Vec::new()));
        let mut soc_percent: Series = names().collect();
        let mut temperature_c: Series = names().collect();
        for row in 0..t.len() {
            let k = t.spacecraft_index[row] as usize;
            let hours = t.elapsed_s[row] / 3600.0;
            if t.soc[row].is_finite() {
                soc_percent[k].1.push((hours, 100.0 * t.soc[row]));
            }
            if t.temperature_k[row].is_finite() {
                temperature_c[k]
                    .1
                    .push((hours, t.temperature_k[row] - ZERO_CELSIUS_K));
            }
        }
        let mut soc_limits = Vec::new();
        let mut temperature_limits = Vec::new();
        // Limits of the first spacecraft that has them (a constellation is usually uniform).
        if let Some(power) = sim.spacecraft().iter().find_map(|sc| sc.power.as_ref()) {
            soc_limits.push(Limit {
                label: format!("battery minimum ({:.0} %)", 100.0 * power.battery.min_soc),
                value: 100.0 * power.battery.min_soc,
                color: LIMIT,
            });
        }
        if let Some(computer) = sim.spacecraft().iter().find_map(|sc| sc.computer.as_ref()) {
            soc_limits.push(Limit {
                label: format!("computer floor ({:.0} %)", 100.0 * computer.min_soc),
                value: 100.0 * computer.min_soc,
                color: FLOOR,
            });
            let device = &computer.device;
            for (what, kelvin) in [
                ("min", device.min_temperature_k.value),
                ("max", device.max_temperature_k.value),
            ] {
                let celsius = kelvin - ZERO_CELSIUS_K;
                temperature_limits.push(Limit {
                    label: format!("{} {what} ({celsius:.0} °C)", device.name),
                    value: celsius,
                    color: FLOOR,
                });
            }
        }
        Self {
            x_label: hours_label(sim),
            span_h: (sim.elapsed_s() / 3600.0).max(1e-3),
            soc_percent,
            temperature_c,
            soc_limits,
            temperature_limits,
        }
    }
}

/// Draws one panel: lines per spacecraft and dashed reference lines.
#[allow(clippy::too_many_arguments)]
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_desc: &str,
    x_desc: &str,
    span_h: f64,
    y_range: (f64, f64),
    series: &Series,
    limits: &[Limit],
) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, bold(TITLE_PX - 4))
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(84)
        .build_cartesian_2d(0.0..span_h, y_range.0..y_range.1)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(hour_label_count(span_h, 13))
        .y_labels(8)
        .x_label_formatter(&hour_tick)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .axis_desc_style(font(LABEL_PX))
        .label_style(font(TICK_PX))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;
    for limit in limits {
        // Dashes: 0.2 h on, 0.1 h off scaled to the span.
        let dash = span_h / 120.0;
        let mut x = 0.0;
        while x < span_h {
            let end = (x + dash).min(span_h);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, limit.value), (end, limit.value)],
                limit.color.stroke_width(2),
            )))?;
            x += 1.8 * dash;
        }
    }
    for (k, (_, points)) in series.iter().enumerate() {
        chart.draw_series(LineSeries::new(
            points.iter().copied(),
            series_color(k).stroke_width(2),
        ))?;
    }
    if series.iter().all(|(_, points)| points.is_empty()) {
        chart.draw_series(std::iter::once(Text::new(
            "no data (no model for this quantity)",
            (span_h * 0.35, (y_range.0 + y_range.1) / 2.0),
            font(LABEL_PX),
        )))?;
    }
    Ok(())
}

/// The y range covering every value and limit, padded by `pad`.
fn range_of(series: &Series, limits: &[Limit], pad: f64) -> (f64, f64) {
    let values = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.1))
        .chain(limits.iter().map(|l| l.value));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo.is_finite() {
        (lo - pad, hi + pad)
    } else {
        (0.0, 1.0)
    }
}

impl Figure for PowerThermal {
    const STEM: &'static str = "power_thermal";
    fn size(&self) -> (u32, u32) {
        (1800, 1200)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (charts, legend_area) = root.split_vertically(root.dim_in_pixel().1 - 90);
        let (top, bottom) = charts.split_vertically(charts.dim_in_pixel().1 / 2);
        panel(
            &top,
            "Battery state of charge",
            "State of charge (%)",
            &self.x_label,
            self.span_h,
            (0.0, 100.0),
            &self.soc_percent,
            &self.soc_limits,
        )?;
        let (lo, hi) = range_of(&self.temperature_c, &self.temperature_limits, 5.0);
        panel(
            &bottom,
            "Spacecraft temperature (single thermal node)",
            "Temperature (°C)",
            &self.x_label,
            self.span_h,
            (lo, hi),
            &self.temperature_c,
            &self.temperature_limits,
        )?;
        let mut legend: Vec<LegendItem> = self
            .soc_percent
            .iter()
            .enumerate()
            .map(|(k, (n, _))| LegendItem::new(n.clone(), series_color(k), Swatch::Line))
            .collect();
        for limit in self.soc_limits.iter().chain(&self.temperature_limits) {
            legend.push(LegendItem::new(
                limit.label.clone(),
                limit.color,
                Swatch::DashedLine,
            ));
        }
        draw_legend(&legend_area, &legend, 100)
    }
}
