//! Per-spacecraft time series, sampled at a fixed cadence, stored as columns
//! (compact: one `f64` per quantity, indices for names).

use serde::{Deserialize, Serialize};

/// One sample of one spacecraft (a row, before it joins the columns).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Index of the spacecraft.
    pub spacecraft_index: usize,
    /// Seconds since the simulation start.
    pub elapsed_s: f64,
    /// TEME position, km.
    pub position_km: [f64; 3],
    /// Visible fraction of the solar disk.
    pub sunlit_fraction: f64,
    /// Battery state of charge (NaN without a power model).
    pub soc: f64,
    /// Stored energy, Wh (NaN without a power model).
    pub battery_wh: f64,
    /// Generated power, W.
    pub power_in_w: f64,
    /// Load, W.
    pub power_out_w: f64,
    /// Temperature, K (NaN without a thermal model).
    pub temperature_k: f64,
    /// Bytes stored.
    pub storage_used_bytes: f64,
    /// Index of the running activity (−1 when idle).
    pub activity: i32,
    /// Index of the station in contact (−1 when none).
    pub link: i32,
    /// Accumulated dose, rad.
    pub dose_rad: f64,
    /// Still working.
    pub alive: bool,
    /// Peers in line of sight over an inter-satellite link.
    pub peers_in_view: u32,
    /// Tiles waiting in the onboard computer's queue.
    pub queued_tiles: u32,
    /// Age of the oldest tile waiting in the queue, s (0 when none waits).
    pub queue_age_s: f64,
}

/// Column-oriented telemetry, rows in (time, spacecraft) order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Telemetry {
    /// Spacecraft index per row.
    pub spacecraft_index: Vec<u32>,
    /// Seconds since the simulation start.
    pub elapsed_s: Vec<f64>,
    /// TEME x, km.
    pub x_km: Vec<f64>,
    /// TEME y, km.
    pub y_km: Vec<f64>,
    /// TEME z, km.
    pub z_km: Vec<f64>,
    /// Visible solar fraction.
    pub sunlit_fraction: Vec<f64>,
    /// State of charge.
    pub soc: Vec<f64>,
    /// Stored energy, Wh.
    pub battery_wh: Vec<f64>,
    /// Generated power, W.
    pub power_in_w: Vec<f64>,
    /// Load, W.
    pub power_out_w: Vec<f64>,
    /// Temperature, K.
    pub temperature_k: Vec<f64>,
    /// Bytes stored.
    pub storage_used_bytes: Vec<f64>,
    /// Activity index (−1 idle).
    pub activity: Vec<i32>,
    /// Station index (−1 none).
    pub link: Vec<i32>,
    /// Dose, rad.
    pub dose_rad: Vec<f64>,
    /// Alive flag.
    pub alive: Vec<bool>,
    /// Peers in view over inter-satellite links (absent from checkpoints
    /// written before links existed: filled with zeros on restore).
    #[serde(default)]
    pub peers_in_view: Vec<u32>,
    /// Tiles waiting in the onboard queue (absent from older checkpoints:
    /// filled with zeros on restore, as are the ages).
    #[serde(default)]
    pub queued_tiles: Vec<u32>,
    /// Age of the oldest queued tile, s.
    #[serde(default)]
    pub queue_age_s: Vec<f64>,
}

impl Telemetry {
    /// Keeps the first `rows` rows.
    pub(crate) fn truncate(&mut self, rows: usize) {
        // Destructured so that a new column cannot be forgotten here.
        let Telemetry {
            spacecraft_index,
            elapsed_s,
            x_km,
            y_km,
            z_km,
            sunlit_fraction,
            soc,
            battery_wh,
            power_in_w,
            power_out_w,
            temperature_k,
            storage_used_bytes,
            activity,
            link,
            dose_rad,
            alive,
            peers_in_view,
            queued_tiles,
            queue_age_s,
        } = self;
        spacecraft_index.truncate(rows);
        for column in [
            elapsed_s,
            x_km,
            y_km,
            z_km,
            sunlit_fraction,
            soc,
            battery_wh,
            power_in_w,
            power_out_w,
            temperature_k,
            storage_used_bytes,
            dose_rad,
            queue_age_s,
        ] {
            column.truncate(rows);
        }
        activity.truncate(rows);
        link.truncate(rows);
        alive.truncate(rows);
        peers_in_view.truncate(rows);
        queued_tiles.truncate(rows);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.elapsed_s.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.elapsed_s.is_empty()
    }

    /// Appends a row.
    pub fn push(&mut self, s: &Sample) {
        self.spacecraft_index.push(s.spacecraft_index as u32);
        self.elapsed_s.push(s.elapsed_s);
        self.x_km.push(s.position_km[0]);
        self.y_km.push(s.position_km[1]);
        self.z_km.push(s.position_km[2]);
        self.sunlit_fraction.push(s.sunlit_fraction);
        self.soc.push(s.soc);
        self.battery_wh.push(s.battery_wh);
        self.power_in_w.push(s.power_in_w);
        self.power_out_w.push(s.power_out_w);
        self.temperature_k.push(s.temperature_k);
        self.storage_used_bytes.push(s.storage_used_bytes);
        self.activity.push(s.activity);
        self.link.push(s.link);
        self.dose_rad.push(s.dose_rad);
        self.alive.push(s.alive);
        self.peers_in_view.push(s.peers_in_view);
        self.queued_tiles.push(s.queued_tiles);
        self.queue_age_s.push(s.queue_age_s);
    }

    /// CSV with a header row. `spacecraft` gives names, `activities[i]` the activity
    /// names of spacecraft i, `stations` the station names, `links` extra 0/1 columns
    /// (a header and a value per row: the link columns), `time_of` formats elapsed seconds.
    pub fn to_csv(
        &self,
        spacecraft: &[String],
        activities: &[Vec<String>],
        stations: &[String],
        links: &[(String, Vec<bool>)],
        time_of: impl Fn(f64) -> String,
    ) -> String {
        let mut out = String::from(
            "time,spacecraft,x_km,y_km,z_km,sunlit_fraction,soc,battery_wh,power_in_w,power_out_w,\
             temperature_k,storage_used_bytes,activity,link,dose_rad,alive,peers_in_view,queued_tiles,queue_age_s",
        );
        for (name, _) in links {
            out.push(',');
            out.push_str(name);
        }
        out.push('\n');
        for k in 0..self.len() {
            let sc = self.spacecraft_index[k] as usize;
            let activity = usize::try_from(self.activity[k]).map_or("", |a| activities[sc][a].as_str());
            let link = usize::try_from(self.link[k]).map_or("", |s| stations[s].as_str());
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                time_of(self.elapsed_s[k]),
                spacecraft[sc],
                self.x_km[k],
                self.y_km[k],
                self.z_km[k],
                self.sunlit_fraction[k],
                self.soc[k],
                self.battery_wh[k],
                self.power_in_w[k],
                self.power_out_w[k],
                self.temperature_k[k],
                self.storage_used_bytes[k],
                activity,
                link,
                self.dose_rad[k],
                self.alive[k],
                self.peers_in_view[k],
                self.queued_tiles[k],
                self.queue_age_s[k]
            ));
            out.pop();
            for (_, column) in links {
                out.push_str(if column[k] { ",1" } else { ",0" });
            }
            out.push('\n');
        }
        out
    }
}
