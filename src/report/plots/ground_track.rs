//! Ground tracks over the world's land outline, with stations and imaging targets.

use std::sync::OnceLock;

use hifitime::Duration;
use nalgebra::Vector3;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use super::{
    bold, draw_legend, font, series_color, DrawResult, Figure, LegendItem, Swatch, LABEL_PX, TICK_PX,
    TITLE_PX,
};
use crate::constants::EARTH_EQUATORIAL_RADIUS_KM;
use crate::frames::{gmst_rad, teme_to_ecef_rotation, Geodetic};
use crate::sim::Simulation;
use crate::time::julian_date_ut1;

/// Land outline: Natural Earth 1:110m (public domain), written by
/// `scripts/gen_world_outline.py`.
#[derive(Deserialize)]
struct WorldOutline {
    rings: Vec<Vec<(f64, f64)>>,
}

fn land_rings() -> &'static [Vec<(f64, f64)>] {
    static LAND: OnceLock<Vec<Vec<(f64, f64)>>> = OnceLock::new();
    LAND.get_or_init(|| {
        serde_json::from_str::<WorldOutline>(include_str!("../../../data/world_outline.json"))
            .map(|w| w.rings)
            .unwrap_or_default()
    })
}

/// A named point on the map.
struct Place {
    name: String,
    latitude_deg: f64,
    longitude_deg: f64,
    radius_km: f64,
}

/// A track: segments of (longitude, latitude) points, degrees.
type Track = Vec<Vec<(f64, f64)>>;

/// How much of the run the map shows: more than two orbits of every
/// spacecraft of a constellation turns the map into a solid mesh.
const TRACK_HOURS: f64 = 3.0;

/// Tracks of every spacecraft (longitude, latitude in degrees), split where
/// they cross the antimeridian.
pub struct GroundTracks {
    title: String,
    tracks: Vec<(String, Track)>,
    stations: Vec<Place>,
    targets: Vec<Place>,
}

/// Splits a track where consecutive longitudes jump by more than half the globe.
fn split_at_antimeridian(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut segments = Vec::new();
    let mut current: Vec<(f64, f64)> = points.first().copied().into_iter().collect();
    for pair in points.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if (b.0 - a.0).abs() > 180.0 {
            // Interpolate the latitude at the edge, finish here, restart opposite.
            let (edge, b_unwrapped) = if a.0 > 0.0 {
                (180.0, b.0 + 360.0)
            } else {
                (-180.0, b.0 - 360.0)
            };
            let f = (edge - a.0) / (b_unwrapped - a.0);
            let lat = a.1 + f * (b.1 - a.1);
            current.push((edge, lat));
            segments.push(std::mem::replace(&mut current, vec![(-edge, lat)]));
        }
        current.push(b);
    }
    segments.push(current);
    segments.retain(|s| s.len() > 1);
    segments
}

impl GroundTracks {
    /// The ground tracks of `sim`'s telemetry.
    pub fn of(sim: &Simulation) -> Self {
        let t = sim.telemetry();
        let start = sim.start();
        let mut tracks: Vec<(String, Vec<(f64, f64)>)> = sim
            .spacecraft()
            .iter()
            .map(|sc| (sc.name.clone(), Vec::new()))
            .collect();
        let shown_s = sim.elapsed_s().min(TRACK_HOURS * 3600.0);
        for row in (0..t.len()).filter(|&row| t.elapsed_s[row] <= shown_s) {
            let epoch = start + Duration::from_seconds(t.elapsed_s[row]);
            let teme = Vector3::new(t.x_km[row], t.y_km[row], t.z_km[row]);
            let ecef = teme_to_ecef_rotation(gmst_rad(julian_date_ut1(epoch))) * teme;
            let g = Geodetic::from_ecef(&ecef);
            tracks[t.spacecraft_index[row] as usize]
                .1
                .push((g.longitude_deg, g.latitude_deg));
        }
        let stations = sim
            .stations()
            .iter()
            .map(|s| Place {
                name: s.name().to_string(),
                latitude_deg: s.location().latitude_deg,
                longitude_deg: s.location().longitude_deg,
                radius_km: 0.0,
            })
            .collect();
        let mut targets: Vec<Place> = Vec::new();
        for target in sim
            .spacecraft()
            .iter()
            .filter_map(|sc| sc.imager.as_ref())
            .flat_map(|i| &i.targets)
        {
            if !targets.iter().any(|p| p.name == target.name) {
                targets.push(Place {
                    name: target.name.clone(),
                    latitude_deg: target.latitude_deg,
                    longitude_deg: target.longitude_deg,
                    radius_km: target.radius_km,
                });
            }
        }
        let run_h = sim.elapsed_s() / 3600.0;
        let shown_h = shown_s / 3600.0;
        let title = if shown_h < run_h {
            format!("Ground tracks: the first {shown_h:.1} h of the {run_h:.1} h run")
        } else {
            format!("Ground tracks over {run_h:.1} h")
        };
        Self {
            title,
            tracks: tracks
                .into_iter()
                .map(|(name, points)| (name, split_at_antimeridian(&points)))
                .collect(),
            stations,
            targets,
        }
    }
}

/// A circle of ground radius `radius_km` around a place, as map points.
fn circle(place: &Place) -> Vec<(f64, f64)> {
    let rho_deg = (place.radius_km / EARTH_EQUATORIAL_RADIUS_KM).to_degrees();
    let cos_lat = place.latitude_deg.to_radians().cos().max(0.05);
    (0..=72)
        .map(|k| {
            let theta = f64::from(k) * 5.0_f64.to_radians();
            let lat = (place.latitude_deg + rho_deg * theta.cos()).clamp(-90.0, 90.0);
            let lon = place.longitude_deg + rho_deg * theta.sin() / cos_lat;
            (lon.clamp(-180.0, 180.0), lat)
        })
        .collect()
}

const OCEAN: RGBColor = RGBColor(234, 242, 250);
const LAND: RGBColor = RGBColor(226, 224, 214);
const COAST: RGBColor = RGBColor(150, 150, 140);
const TARGET: RGBColor = RGBColor(200, 60, 120);

impl Figure for GroundTracks {
    const STEM: &'static str = "ground_tracks";
    fn size(&self) -> (u32, u32) {
        (1800, 1060)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (chart_area, legend_area) = root.split_vertically(root.dim_in_pixel().1 - 80);
        let mut chart = ChartBuilder::on(&chart_area)
            .caption(&self.title, bold(TITLE_PX))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(80)
            .build_cartesian_2d(-180.0..180.0, -90.0..90.0)?;
        chart.plotting_area().fill(&OCEAN)?;
        chart
            .configure_mesh()
            // Every 20 degrees.
            .x_labels(19)
            .y_labels(10)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .x_desc("Longitude (deg east)")
            .y_desc("Latitude (deg)")
            .axis_desc_style(font(LABEL_PX))
            .label_style(font(TICK_PX))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(RGBColor(200, 210, 220).stroke_width(1))
            .draw()?;
        for ring in land_rings() {
            chart.draw_series(std::iter::once(Polygon::new(ring.clone(), LAND.filled())))?;
            chart.draw_series(std::iter::once(PathElement::new(
                ring.clone(),
                COAST.stroke_width(1),
            )))?;
        }
        for target in &self.targets {
            let outline = circle(target);
            chart.draw_series(std::iter::once(Polygon::new(
                outline.clone(),
                TARGET.mix(0.15).filled(),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(outline, TARGET.stroke_width(2))))?;
        }
        for (k, (_, segments)) in self.tracks.iter().enumerate() {
            let color = series_color(k);
            for segment in segments {
                chart.draw_series(std::iter::once(PathElement::new(
                    segment.clone(),
                    color.mix(0.8).stroke_width(2),
                )))?;
            }
            if let Some(&first) = segments.first().and_then(|s| s.first()) {
                chart.draw_series(std::iter::once(Circle::new(first, 6, color.filled())))?;
            }
        }
        for station in &self.stations {
            let at = (station.longitude_deg, station.latitude_deg);
            chart.draw_series(std::iter::once(TriangleMarker::new(at, 10, BLACK.filled())))?;
            chart.draw_series(std::iter::once(Text::new(
                station.name.clone(),
                (at.0 + 2.0, at.1 + 1.0),
                bold(TICK_PX),
            )))?;
        }
        for target in &self.targets {
            let at = (target.longitude_deg, target.latitude_deg);
            chart.draw_series(std::iter::once(Text::new(
                target.name.clone(),
                (at.0 + 2.0, at.1 - 2.0),
                font(TICK_PX - 2).color(&TARGET),
            )))?;
        }
        let mut legend: Vec<LegendItem> = self
            .tracks
            .iter()
            .enumerate()
            .map(|(k, (name, _))| LegendItem::new(name.clone(), series_color(k), Swatch::Line))
            .collect();
        legend.push(LegendItem::new("ground station", BLACK, Swatch::Triangle));
        if !self.targets.is_empty() {
            legend.push(LegendItem::new("imaging target", TARGET, Swatch::Circle));
        }
        legend.push(LegendItem::new("start of track", BLACK, Swatch::Dot));
        draw_legend(&legend_area, &legend, 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_split_at_the_antimeridian_with_the_crossing_latitude() {
        // 170 E, 0 → 170 W, 10 N: halfway in longitude, so 5 N at the edge.
        let segments = split_at_antimeridian(&[(160.0, -10.0), (170.0, 0.0), (-170.0, 10.0), (-160.0, 20.0)]);
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0], vec![(160.0, -10.0), (170.0, 0.0), (180.0, 5.0)]);
        assert_eq!(segments[1], vec![(-180.0, 5.0), (-170.0, 10.0), (-160.0, 20.0)]);
    }

    #[test]
    fn the_land_outline_loads_and_covers_the_continents() {
        let rings = land_rings();
        assert!(rings.len() > 200, "{} rings", rings.len());
        // Kiruna (67.9 N, 21.0 E) is on land; the middle of the Pacific is not.
        let inside = |lon: f64, lat: f64| rings.iter().any(|r| ring_contains(r, lon, lat));
        assert!(inside(21.0, 67.9));
        assert!(!inside(-150.0, 0.0));
    }

    /// Even-odd point-in-polygon test.
    fn ring_contains(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
        let mut inside = false;
        for (a, b) in ring.iter().zip(ring.iter().cycle().skip(1)) {
            if (a.1 > y) != (b.1 > y) && x < a.0 + (y - a.1) / (b.1 - a.1) * (b.0 - a.0) {
                inside = !inside;
            }
        }
        inside
    }
}
