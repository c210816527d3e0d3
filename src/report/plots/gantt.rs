//! A Gantt chart: per spacecraft, lanes for shadow, ground contacts and
//! inference jobs.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    bold, draw_legend, font, hour_label_count, hour_tick, hours_label, DrawResult, Figure, LegendItem,
    Swatch, LABEL_PX, SERIES, TICK_PX, TITLE_PX,
};
use crate::report::intervals::{intervals, JobOutcome, Shadow, SpacecraftIntervals};
use crate::sim::Simulation;

/// Lanes per spacecraft.
const LANES: usize = 3;
/// Height of one lane, px.
const LANE_PX: u32 = 34;

const UMBRA: RGBColor = RGBColor(70, 70, 80);
const PENUMBRA: RGBColor = RGBColor(170, 170, 180);
const KEPT: RGBColor = SERIES[2];
const CLOUDY: RGBColor = RGBColor(120, 170, 220);
const PREEMPTED: RGBColor = SERIES[3];
const UNFINISHED: RGBColor = SERIES[4];
/// A failed inference (NaN or inf out of the model): red, a fault to see.
const FAILED: RGBColor = RGBColor(200, 30, 30);
/// Station colours: the series colours the jobs (2, 3, 4) and shadow (7, grey) do not use.
const STATION_SERIES: [usize; 6] = [1, 0, 6, 5, 8, 9];

fn shadow_color(s: Shadow) -> RGBColor {
    // Shadow intervals are penumbra or umbra; sunlight is not drawn.
    if s == Shadow::Umbra {
        UMBRA
    } else {
        PENUMBRA
    }
}

fn job_color(o: JobOutcome) -> RGBColor {
    match o {
        JobOutcome::Kept => KEPT,
        JobOutcome::DroppedCloudy => CLOUDY,
        JobOutcome::Preempted => PREEMPTED,
        JobOutcome::Unfinished => UNFINISHED,
        JobOutcome::InferenceFailed => FAILED,
    }
}

/// Shadow, contacts and jobs of every spacecraft on one time axis.
pub struct Gantt {
    x_label: String,
    span_h: f64,
    names: Vec<String>,
    stations: Vec<String>,
    intervals: Vec<SpacecraftIntervals>,
}

impl Gantt {
    /// The intervals of `sim`, read from its event log.
    pub fn of(sim: &Simulation) -> Self {
        Self {
            x_label: hours_label(sim),
            span_h: (sim.elapsed_s() / 3600.0).max(1e-3),
            names: sim.spacecraft().iter().map(|sc| sc.name.clone()).collect(),
            stations: sim.stations().iter().map(|s| s.name().to_string()).collect(),
            intervals: intervals(sim),
        }
    }

    fn station_color(&self, name: &str) -> RGBColor {
        let k = self.stations.iter().position(|s| s == name).unwrap_or(0);
        SERIES[STATION_SERIES[k % STATION_SERIES.len()]]
    }

    fn lanes(&self) -> usize {
        (LANES * self.names.len()).max(1)
    }

    /// Height of the figure: the lanes plus title, axis and legend.
    fn height_px(&self) -> u32 {
        LANE_PX * self.lanes() as u32 + 260
    }
}

impl Figure for Gantt {
    const STEM: &'static str = "timeline";
    /// The height grows with the number of spacecraft.
    fn size(&self) -> (u32, u32) {
        (1800, self.height_px())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (_, height) = root.dim_in_pixel();
        let (chart_area, legend_area) = root.split_vertically(height - 80);
        let lanes = self.lanes();
        // Lane 0 is at the top: spacecraft 0's shadow lane.
        let lane_name = |lane: usize| -> String {
            let (k, j) = (lane / LANES, lane % LANES);
            let what = ["shadow", "contacts", "jobs"][j];
            format!("{} {what}", self.names.get(k).map_or("", String::as_str))
        };
        let mut chart = ChartBuilder::on(&chart_area)
            .caption("Shadow, ground contacts and inference jobs", bold(TITLE_PX))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(230)
            .build_cartesian_2d(0.0..self.span_h, 0.0..lanes as f64)?;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .x_labels(hour_label_count(self.span_h, 25))
            .x_label_formatter(&hour_tick)
            .y_labels(0)
            .disable_y_mesh()
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()?;
        // Lane `lane` (0 at the top) occupies y in [lanes - lane - 1, lanes - lane].
        let bottom_of = |lane: usize| (lanes - lane - 1) as f64;
        // Lane names, right-aligned against the axis, centred on their lane.
        let label_style = font(TICK_PX).pos(Pos::new(HPos::Right, VPos::Center));
        for lane in 0..lanes {
            let (x, y) = chart.backend_coord(&(0.0, bottom_of(lane) + 0.5));
            root.draw(&Text::new(lane_name(lane), (x - 10, y), label_style.clone()))?;
        }
        // Jobs last seconds on an axis of hours: draw every bar at least 2 px wide.
        let (plot_w, _) = chart.plotting_area().dim_in_pixel();
        let min_h = 2.0 * self.span_h / f64::from(plot_w.max(1));
        let bar = |lane: usize, start_s: f64, end_s: f64, color: RGBColor| {
            let x0 = start_s / 3600.0;
            let x1 = (end_s / 3600.0).max(x0 + min_h);
            let y0 = bottom_of(lane);
            Rectangle::new([(x0, y0 + 0.12), (x1, y0 + 0.88)], color.filled())
        };
        for (k, sc) in self.intervals.iter().enumerate() {
            let lane = k * LANES;
            chart.draw_series(
                sc.shadow
                    .iter()
                    .map(|i| bar(lane, i.start_s, i.end_s, shadow_color(i.what))),
            )?;
            chart.draw_series(
                sc.contacts
                    .iter()
                    .map(|i| bar(lane + 1, i.start_s, i.end_s, self.station_color(&i.what))),
            )?;
            chart.draw_series(
                sc.jobs
                    .iter()
                    .map(|i| bar(lane + 2, i.start_s, i.end_s, job_color(i.what))),
            )?;
        }
        // A rule between spacecraft.
        for k in 1..self.names.len() {
            let y = (lanes - k * LANES) as f64;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, y), (self.span_h, y)],
                RGBColor(150, 150, 150).stroke_width(1),
            )))?;
        }
        let mut legend = vec![
            LegendItem::new("umbra", UMBRA, Swatch::Box),
            LegendItem::new("penumbra", PENUMBRA, Swatch::Box),
        ];
        legend.extend(
            self.stations
                .iter()
                .map(|s| LegendItem::new(format!("contact: {s}"), self.station_color(s), Swatch::Box)),
        );
        legend.extend([
            LegendItem::new("job: tile kept", KEPT, Swatch::Box),
            LegendItem::new("job: tile dropped as cloudy", CLOUDY, Swatch::Box),
            LegendItem::new("job: preempted", PREEMPTED, Swatch::Box),
        ]);
        let any = |outcome: JobOutcome| {
            self.intervals
                .iter()
                .any(|sc| sc.jobs.iter().any(|j| j.what == outcome))
        };
        if any(JobOutcome::Unfinished) {
            legend.push(LegendItem::new(
                "job: running at the end",
                UNFINISHED,
                Swatch::Box,
            ));
        }
        if any(JobOutcome::InferenceFailed) {
            legend.push(LegendItem::new(
                "job: inference failed (NaN/inf), tile kept",
                FAILED,
                Swatch::Box,
            ));
        }
        draw_legend(&legend_area, &legend, 250)
    }
}
