//! Procedural multi-band scenes with ground truth, for measuring cloud detectors.
//!
//! **Why.** An onboard cloud filter is only worth its power if it finds the
//! clouds. Real labelled tiles are large, licensed and few; these scenes are
//! free, deterministic from a seed, come with exact per-pixel truth
//! (clear / cloud / cloud shadow, the classes of the ukis-csmask models) and let
//! a test sweep cloud cover from 0 to 1. They are *plausible*, not realistic:
//! good for regression tests and for seeing where a detector fails (snow,
//! thin cloud, shadow over water), not for quoting a detector's real accuracy.
//!
//! **Bands** are blue, green, red, near-infrared (Sentinel-2 B2, B3, B4, B8 at
//! ≈ 490, 560, 665, 842 nm), as top-of-atmosphere (TOA, Level-1C) reflectance
//! fractions, stored band-major (`4 × H × W`).
//!
//! **How a scene is made.** Every random choice comes from its own ChaCha8
//! stream keyed by (seed, index, stream), so changing one parameter (e.g. the
//! cloud cover) leaves the other layers (the ground, the cloud shapes) as they
//! were, and a larger cover only adds clouds to the same sky.
//! 1. *Shapes* are fractal value noise (fBm: lattice noise with quintic
//!    interpolation, octaves halving in cell size, amplitudes in geometric
//!    ratio), each thresholded at the *rank* that gives the requested fraction,
//!    so fractions are met to one pixel rather than on average.
//! 2. *Ground*: an "elevation" field puts water in its lowest `water_fraction`
//!    of pixels and snow in its highest `snow_fraction`. The remaining land is
//!    a mosaic of parcels (fields and stands of ≈ 8 % of the tile, a jittered
//!    grid's near-Voronoi cells): a smooth "greenness" field plus a value per
//!    parcel splits it into vegetation (`vegetation_share`) and bare soil, and
//!    each parcel has its own brightness (± 25 %, uniform), plus a fine
//!    texture (6 % standard deviation; 3 % on snow). Land is deliberately *not*
//!    fractal noise: fBm is what clouds look like, and with fBm-textured land
//!    the ukis-csmask model called 50–90 % of cloud-free land cloud; with
//!    parcels, under 1 %.
//! 3. *Clouds*: the top `cloud_cover` of a cloud field, with an optical
//!    thickness τ that rises linearly with the field from the edge inwards:
//!    τ 2 → 6 over the weakest `thin_cloud_share` of cloud pixels (thin cloud:
//!    edges and wisps, the ground visible through them), then τ 6 → 100 (thick
//!    cloud). Both are truth class *cloud*. A cloud of thickness τ reflects
//!    R = (1 − g)τ / (2 + (1 − g)τ) ([`cloud_reflectance`]; two-stream,
//!    non-absorbing, g = 0.85) and transmits 1 − R both ways, so the TOA
//!    reflectance is `spectrum · R + (1 − R)² ρ / (1 − R ρ)` over ground of TOA
//!    reflectance ρ. Edges are therefore soft, as real cloud edges are: on
//!    opaque, hard-edged blobs (tried first) ukis-csmask's cloud IoU was
//!    ≈ 0.7, against ≈ 0.95 here (`examples/scene_accuracy.rs`).
//! 4. *Shadows*: the thick-cloud mask displaced by a seeded offset (a sun
//!    azimuth and a length of 4–12 % of the tile; clouds just outside the tile
//!    cast shadows into it) darkens the ground; truth class *shadow* where no
//!    cloud lies over it.
//! 5. *Atmosphere and sensor*: TOA = path + T · ground, then the cloud layer,
//!    a brightness gain, sensor noise (`noise_std`), clipped to [0, 1].
//!
//! **Reflectances** (typical values, not calibrated to any sensor or site):
//!
//! | layer | blue | green | red | NIR | basis |
//! |---|---|---|---|---|---|
//! | water (surface) | 0.05 | 0.04 | 0.02 | 0.01 | clear deep water: low everywhere, NIR absorbed (USGS/ASTER-style library spectra) |
//! | vegetation (surface) | 0.03 | 0.07 | 0.04 | 0.40 | chlorophyll absorption in blue and red, green peak, NIR plateau 0.3–0.5 |
//! | bare soil (surface) | 0.08 | 0.12 | 0.17 | 0.25 | agricultural (loam) soils rise monotonically from blue to NIR; dry sands are brighter (0.2–0.4) |
//! | snow (surface) | 0.88 | 0.87 | 0.85 | 0.72 | fresh snow ≈ 0.8–0.9 in the visible, falling into the NIR |
//! | path reflectance (added) | 0.070 | 0.045 | 0.027 | 0.012 | single-scattering Rayleigh (τ ≈ 0.15, 0.09, 0.045, 0.016; sun 45°) plus a light aerosol |
//! | transmittance T (× ground) | 0.80 | 0.87 | 0.92 | 0.95 | two-way direct + diffuse, same atmosphere |
//! | cloud spectrum (× R(τ)) | 1.00 | 0.98 | 0.97 | 0.95 | water cloud: non-absorbing and nearly white in these bands; a little Rayleigh above it |
//! | thick cloud, τ 6 → 100 | 0.31 → 0.88 | | | | R(τ) in blue; typical thick cumulus and stratus 0.5–0.85 |
//! | thin cloud, τ 2 → 6 | 0.13 → 0.31 | | | | R(τ) in blue; adds ≈ 0.1–0.25 over dark ground |
//! | cloud shadow (× ground) | 0.50 | 0.42 | 0.36 | 0.30 | diffuse skylight only, bluer than the direct beam |
//!
//! The resulting mean TOA values: water ≈ (0.11, 0.08, 0.045, 0.02),
//! vegetation ≈ (0.095, 0.105, 0.064, 0.39), bare soil ≈ (0.13, 0.15, 0.18,
//! 0.25), snow ≈ (0.77, 0.80, 0.81, 0.70), thick cloud 0.3–0.88 (most pixels
//! 0.5–0.8) in every band, thin cloud over vegetation ≈ 0.2–0.35 in blue,
//! cloud shadow on vegetation ≈ (0.08, 0.07, 0.04, 0.13).
//!
//! Snow is deliberately confusable with cloud in these four bands (the SWIR
//! bands that separate them are absent), as it is for a real 4-band detector.
//!
//! Determinism: identical bits for identical (configuration, seed, index). The
//! generator uses only IEEE-754 arithmetic (no `ln`, `sin` or `cos`, whose
//! last bits may differ between maths libraries) apart from the sun azimuth
//! of the shadow offset, which is rounded to whole pixels. Sensor noise is
//! approximately Gaussian (sums of four uniforms, bounded at ±2√3 σ).

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Number of bands in a scene (blue, green, red, NIR).
pub const BANDS: usize = 4;

/// Band names, in storage order.
pub const BAND_NAMES: [&str; BANDS] = ["blue", "green", "red", "nir"];

/// Per-band mean of the ukis-csmask 4-band Level-1C model's training data
/// (reflectance fractions; from the package's `model_4b_l1c.json`).
pub const UKIS_L1C_MEAN: [f32; BANDS] = [0.275_522_53, 0.255_664_44, 0.269_801_53, 0.334_312_2];

/// Per-band standard deviation of the ukis-csmask 4-band Level-1C model's
/// training data (reflectance fractions).
pub const UKIS_L1C_STD: [f32; BANDS] = [0.244_880_02, 0.227_574_7, 0.253_715_22, 0.232_137_87];

/// Ground-truth classes, with the ids of the ukis-csmask output channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Class {
    /// Nothing in the way of the ground.
    Clear = 0,
    /// Thick or thin cloud.
    Cloud = 1,
    /// Ground in the shadow of a cloud (and not under one).
    Shadow = 2,
}

impl Class {
    /// Every class, in id order.
    pub const ALL: [Class; 3] = [Class::Clear, Class::Cloud, Class::Shadow];

    /// The class id (the model's output channel).
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The class with id `id`, if any.
    pub fn from_id(id: u8) -> Option<Class> {
        Class::ALL.get(usize::from(id)).copied()
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Class::Clear => "clear",
            Class::Cloud => "cloud",
            Class::Shadow => "shadow",
        }
    }
}

/// Ground cover of a pixel (what lies under any cloud or shadow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Surface {
    /// Open water.
    Water = 0,
    /// Green vegetation.
    Vegetation = 1,
    /// Bare soil.
    BareSoil = 2,
    /// Snow.
    Snow = 3,
}

impl Surface {
    /// Every surface, in id order.
    pub const ALL: [Surface; 4] = [
        Surface::Water,
        Surface::Vegetation,
        Surface::BareSoil,
        Surface::Snow,
    ];

    /// The surface id stored in [`Scene::surface`].
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The surface with id `id`, if any.
    pub fn from_id(id: u8) -> Option<Surface> {
        Surface::ALL.get(usize::from(id)).copied()
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Surface::Water => "water",
            Surface::Vegetation => "vegetation",
            Surface::BareSoil => "bare_soil",
            Surface::Snow => "snow",
        }
    }

    /// Typical surface reflectance (blue, green, red, NIR) before the atmosphere.
    pub fn reflectance(self) -> [f32; BANDS] {
        match self {
            Surface::Water => [0.05, 0.04, 0.02, 0.01],
            Surface::Vegetation => [0.03, 0.07, 0.04, 0.40],
            Surface::BareSoil => [0.08, 0.12, 0.17, 0.25],
            Surface::Snow => [0.88, 0.87, 0.85, 0.72],
        }
    }

    /// Relative variation of the surface brightness: (amplitude of the uniform
    /// per-parcel factor, standard deviation of the fine texture).
    fn variability(self) -> (f32, f32) {
        match self {
            Surface::Water => (0.0, 0.06),
            Surface::Vegetation | Surface::BareSoil => (0.25, 0.06),
            Surface::Snow => (0.0, 0.03),
        }
    }
}

/// Path (atmospheric) reflectance added at the top of the atmosphere, per band.
pub const PATH_REFLECTANCE: [f32; BANDS] = [0.070, 0.045, 0.027, 0.012];

/// Transmittance applied to the ground's reflectance, per band.
pub const TRANSMITTANCE: [f32; BANDS] = [0.80, 0.87, 0.92, 0.95];

/// Spectral shape of cloud reflectance (blue, green, red, NIR), multiplying
/// [`cloud_reflectance`]: nearly white, a little bluer from the Rayleigh
/// scattering above the cloud.
pub const CLOUD_SPECTRUM: [f32; BANDS] = [1.0, 0.98, 0.97, 0.95];

/// Asymmetry parameter of cloud droplets' scattering (forward-peaked).
pub const CLOUD_ASYMMETRY: f32 = 0.85;

/// Optical thickness of thin cloud: at the cloud's edge, and at the thin/thick boundary.
pub const THIN_CLOUD_TAU: [f32; 2] = [2.0, 6.0];

/// Optical thickness of thick cloud: at its thinnest and in the densest core.
pub const THICK_CLOUD_TAU: [f32; 2] = [6.0, 100.0];

/// Reflectance of a non-absorbing cloud layer of optical thickness `tau` over a
/// black ground: the two-stream result `(1 − g)τ / (2 + (1 − g)τ)` with
/// asymmetry g = [`CLOUD_ASYMMETRY`]. Its transmittance is `1 − R`.
///
/// ```
/// use orbitedge::compute::scene::cloud_reflectance;
/// assert!((cloud_reflectance(2.0) - 0.13).abs() < 0.005); // thin edge
/// assert!(cloud_reflectance(100.0) > 0.85); // dense core
/// ```
pub fn cloud_reflectance(tau: f32) -> f32 {
    let scaled = (1.0 - CLOUD_ASYMMETRY) * tau;
    scaled / (2.0 + scaled)
}

/// Factor applied to the ground's reflectance in a cloud shadow, per band.
pub const SHADOW_FACTOR: [f32; BANDS] = [0.50, 0.42, 0.36, 0.30];

/// What a scene looks like. Every field has a default; unknown fields are rejected.
///
/// ```
/// use orbitedge::compute::scene::SceneConfig;
/// let config: SceneConfig = serde_json::from_str(r#"{"cloud_cover": 0.7, "snow_fraction": 0.1}"#).unwrap();
/// assert_eq!(config.size_px, 256);
/// assert!(config.validated().is_ok());
/// assert!(serde_json::from_str::<SceneConfig>(r#"{"cloud": 0.7}"#).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SceneConfig {
    /// Width and height, pixels (16 to 4096; default 256, the ukis-csmask tile).
    pub size_px: usize,
    /// Fraction of pixels under cloud, thick and thin together, in [0, 1] (default 0.4).
    pub cloud_cover: f64,
    /// Fraction of the cloud pixels that are thin (optical thickness 2–6, the
    /// ground visible through them), in [0, 1] (default 0.3).
    pub thin_cloud_share: f64,
    /// Whether thick clouds cast shadows (default true).
    pub shadow: bool,
    /// Fraction of the ground that is open water, in [0, 1] (default 0.2).
    pub water_fraction: f64,
    /// Fraction of the ground that is snow (the "highest" ground), in [0, 1]
    /// (default 0); `water_fraction + snow_fraction` must not exceed 1.
    pub snow_fraction: f64,
    /// Fraction of the remaining land that is vegetation (the rest is bare
    /// soil), in [0, 1] (default 0.6).
    pub vegetation_share: f64,
    /// Gain on every TOA reflectance (illumination, calibration), in (0, 2] (default 1).
    pub brightness: f64,
    /// Scale of the atmosphere's effect (path reflectance and attenuation) in
    /// [0, 2]; 0 gives surface reflectance (default 1).
    pub atmosphere: f64,
    /// Standard deviation of the (nearly Gaussian) sensor noise, reflectance, in [0, 0.1] (default 0.004).
    pub noise_std: f64,
}

impl Default for SceneConfig {
    fn default() -> Self {
        Self {
            size_px: 256,
            cloud_cover: 0.4,
            thin_cloud_share: 0.3,
            shadow: true,
            water_fraction: 0.2,
            snow_fraction: 0.0,
            vegetation_share: 0.6,
            brightness: 1.0,
            atmosphere: 1.0,
            noise_std: 0.004,
        }
    }
}

/// Checks `lo <= value <= hi` (NaN fails).
fn ensure_within(name: &'static str, value: f64, lo: f64, hi: f64, expected: &'static str) -> Result<f64> {
    if value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(Error::parameter(name, value, expected))
    }
}

impl SceneConfig {
    /// Checks every parameter: `Error::InvalidParameter` naming the first bad one.
    pub fn validated(self) -> Result<Self> {
        if !(16..=4096).contains(&self.size_px) {
            return Err(Error::parameter(
                "size_px",
                self.size_px as f64,
                "an integer from 16 to 4096",
            ));
        }
        let unit = "a number in [0, 1]";
        ensure_within("cloud_cover", self.cloud_cover, 0.0, 1.0, unit)?;
        ensure_within("thin_cloud_share", self.thin_cloud_share, 0.0, 1.0, unit)?;
        ensure_within("water_fraction", self.water_fraction, 0.0, 1.0, unit)?;
        ensure_within("snow_fraction", self.snow_fraction, 0.0, 1.0, unit)?;
        ensure_within("vegetation_share", self.vegetation_share, 0.0, 1.0, unit)?;
        ensure_within(
            "water_fraction + snow_fraction",
            self.water_fraction + self.snow_fraction,
            0.0,
            1.0,
            "at most 1",
        )?;
        if !(self.brightness > 0.0 && self.brightness <= 2.0) {
            return Err(Error::parameter(
                "brightness",
                self.brightness,
                "a number in (0, 2]",
            ));
        }
        ensure_within("atmosphere", self.atmosphere, 0.0, 2.0, "a number in [0, 2]")?;
        ensure_within("noise_std", self.noise_std, 0.0, 0.1, "a number in [0, 0.1]")?;
        Ok(self)
    }
}

/// A generated scene: bands, ground truth and ground cover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// Width and height, pixels.
    pub size_px: usize,
    /// TOA reflectance fractions in [0, 1], band-major: `bands[b * H * W + y * W + x]`,
    /// bands in the order of [`BAND_NAMES`].
    pub bands: Vec<f32>,
    /// Truth class id ([`Class::id`]) per pixel, row-major.
    pub truth: Vec<u8>,
    /// Ground cover id ([`Surface::id`]) per pixel, row-major.
    pub surface: Vec<u8>,
}

/// Independent random streams of a scene (the third part of the ChaCha8 key).
#[derive(Clone, Copy)]
enum StreamId {
    Cloud = 1,
    Elevation = 2,
    Greenness = 3,
    Texture = 4,
    ShadowOffset = 5,
    SensorNoise = 6,
    CloudScale = 7,
    Parcels = 8,
}

/// Key bytes 24..32: keeps scene streams apart from every other use of (seed, …).
const DOMAIN: [u8; 8] = *b"oe-scene";

struct Stream(ChaCha8Rng);

impl Stream {
    fn new(seed: u64, index: u64, id: StreamId) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&index.to_le_bytes());
        key[16..24].copy_from_slice(&(id as u64).to_le_bytes());
        key[24..].copy_from_slice(&DOMAIN);
        Self(ChaCha8Rng::from_seed(key))
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform in [-1, 1), single precision.
    fn signed_f32(&mut self) -> f32 {
        (self.0.next_u32() >> 8) as f32 * (2.0 / (1u32 << 24) as f32) - 1.0
    }

    /// Two approximately standard normal numbers from one draw: each the
    /// Irwin–Hall sum of four 8-bit uniforms, centred and scaled to unit variance
    /// (steps of 0.014, bounded at ±2√3; no transcendental functions, so the
    /// same bits on every platform).
    fn normal_pair(&mut self) -> [f32; 2] {
        // An 8-bit uniform has variance (256² − 1) / 12, so the sum of four has std √((256² − 1) / 3).
        const SCALE: f32 = 1.732_050_8 / 255.998_05;
        let bits = self.0.next_u64();
        [0, 32].map(|shift| {
            let word = bits >> shift;
            let sum: u64 = (0..4).map(|j| (word >> (8 * j)) & 0xff).sum();
            (sum as f32 - 2.0 * 255.0) * SCALE
        })
    }
}

/// Quintic fade 6t⁵ − 15t⁴ + 10t³: value noise with continuous slope and curvature.
fn fade(t: f32) -> f32 {
    t * t * t * (t * (t * 6.0 - 15.0) + 10.0)
}

/// Fractal value noise on a `w × h` grid of pixel centres.
///
/// Octave k has lattice cells of `base_cell / 2^k` pixels (octaves stop below
/// 2 px or after 7) and amplitude `gain^k`; each octave's lattice is shifted by
/// a random fraction of a cell so lattices of successive octaves do not align.
fn fbm(stream: &mut Stream, w: usize, h: usize, base_cell: f64, gain: f32) -> Vec<f32> {
    let mut out = vec![0.0f32; w * h];
    let mut cell = base_cell.max(2.0);
    let mut amplitude = 1.0f32;
    let mut columns: Vec<(usize, f32)> = Vec::with_capacity(w);
    for _ in 0..7 {
        let (off_x, off_y) = (stream.uniform() * cell, stream.uniform() * cell);
        let nx = (w as f64 / cell).floor() as usize + 3;
        let ny = (h as f64 / cell).floor() as usize + 3;
        let lattice: Vec<f32> = (0..nx * ny).map(|_| stream.signed_f32()).collect();
        let locate = |p: usize, off: f64| {
            let u = (p as f64 + 0.5 + off) / cell;
            let i = u.floor();
            (i as usize, fade((u - i) as f32))
        };
        columns.clear();
        columns.extend((0..w).map(|x| locate(x, off_x)));
        for (y, row) in out.chunks_exact_mut(w).enumerate() {
            let (j, fy) = locate(y, off_y);
            let r0 = &lattice[j * nx..(j + 1) * nx];
            let r1 = &lattice[(j + 1) * nx..(j + 2) * nx];
            for (value, &(i, fx)) in row.iter_mut().zip(&columns) {
                let top = r0[i] + (r0[i + 1] - r0[i]) * fx;
                let bottom = r1[i] + (r1[i + 1] - r1[i]) * fx;
                *value += amplitude * (top + (bottom - top) * fy);
            }
        }
        cell /= 2.0;
        amplitude *= gain;
        if cell < 2.0 {
            break;
        }
    }
    out
}

/// Parcel size, as a fraction of the tile (≈ 20 px on a 256 px tile: fields
/// of a few hundred metres at 10–30 m ground sampling).
const PARCEL_CELL: f64 = 0.08;

/// Weight of the per-parcel value in the greenness score (the smooth field has unit variance).
const PARCEL_GREENNESS: f32 = 1.2;

/// Scales `values` to unit root-mean-square.
fn standardized(mut values: Vec<f32>) -> Vec<f32> {
    let mean_square = values.iter().map(|v| f64::from(v * v)).sum::<f64>() / values.len().max(1) as f64;
    let scale = 1.0 / mean_square.sqrt().max(1e-12) as f32;
    for v in &mut values {
        *v *= scale;
    }
    values
}

/// Parcels (fields, stands) of about `cell` px: the cells of a jittered grid,
/// each pixel joining the nearest parcel centre among the 3 × 3 grid cells
/// around it (nearly a Voronoi tessellation). Returns, per pixel, the two
/// uniform values in [-1, 1) of its parcel.
fn parcels(stream: &mut Stream, size: usize, cell: f64) -> Vec<[f32; 2]> {
    // One ring of grid cells around the tile: cell (i, j) spans [(i − 1) c, i c).
    let cells = (size as f64 / cell).ceil() as usize + 2;
    let centres: Vec<(f64, f64, [f32; 2])> = (0..cells * cells)
        .map(|k| {
            let x = ((k % cells) as f64 - 1.0 + stream.uniform()) * cell;
            let y = ((k / cells) as f64 - 1.0 + stream.uniform()) * cell;
            let values = [stream.signed_f32(), stream.signed_f32()];
            (x, y, values)
        })
        .collect();
    let mut out = Vec::with_capacity(size * size);
    for y in 0..size {
        let py = y as f64 + 0.5;
        let cj = (py / cell) as usize + 1;
        for x in 0..size {
            let px = x as f64 + 0.5;
            let ci = (px / cell) as usize + 1;
            let mut best = (f64::INFINITY, [0.0f32; 2]);
            for j in cj - 1..=cj + 1 {
                for (cx, cy, values) in &centres[j * cells + ci - 1..=j * cells + ci + 1] {
                    let d = (cx - px) * (cx - px) + (cy - py) * (cy - py);
                    if d < best.0 {
                        best = (d, *values);
                    }
                }
            }
            out.push(best.1);
        }
    }
    out
}

/// A value with its pixel index: a strict total order, so rank thresholds are exact.
type Key = (f32, u32);

fn key_cmp(a: &Key, b: &Key) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// The key of rank `pos` (0 = smallest) among `keys` (`pos < keys.len()`).
fn key_at(keys: &mut [Key], pos: usize) -> Key {
    *keys.select_nth_unstable_by(pos, key_cmp).1
}

/// Number of pixels for a fraction, rounded to the nearest.
fn count(fraction: f64, n: usize) -> usize {
    ((fraction * n as f64).round() as usize).min(n)
}

/// A lower bound (inclusive) on keys: `None` selects nothing.
fn lower_bound_for_top(keys: &mut [Key], top: usize) -> Option<Key> {
    (top > 0).then(|| {
        let n = keys.len();
        key_at(keys, n - top)
    })
}

fn at_least(key: &Key, bound: &Option<Key>) -> bool {
    bound.is_some_and(|b| key_cmp(key, &b) != std::cmp::Ordering::Less)
}

impl Scene {
    /// Generates scene `index` of the series `seed`: identical bits for identical
    /// (`config`, `seed`, `index`); `config` is validated first.
    ///
    /// ```
    /// use orbitedge::compute::scene::{Class, Scene, SceneConfig};
    /// let config = SceneConfig { size_px: 64, cloud_cover: 0.3, ..SceneConfig::default() };
    /// let scene = Scene::generate(&config, 7, 0)?;
    /// assert_eq!(scene.bands.len(), 4 * 64 * 64);
    /// assert!((scene.cloud_fraction() - 0.3).abs() < 1e-3); // met to one pixel
    /// assert_eq!(scene, Scene::generate(&config, 7, 0)?); // deterministic
    /// assert_ne!(scene, Scene::generate(&config, 7, 1)?);
    /// let input = scene.normalized_ukis(); // what ukis-csmask expects, shape [1, 4, 64, 64]
    /// assert_eq!(input.len(), scene.bands.len());
    /// assert!(scene.truth.iter().all(|&c| Class::from_id(c).is_some()));
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn generate(config: &SceneConfig, seed: u64, index: u64) -> Result<Scene> {
        let config = config.validated()?;
        let size = config.size_px;
        let n = size * size;

        // Ground: water lowest, snow highest on an elevation field; vegetation on
        // the greenest part of the remaining land, greenness being a smooth field
        // plus a value per parcel (so land cover follows parcel edges in places).
        let elevation = fbm(
            &mut Stream::new(seed, index, StreamId::Elevation),
            size,
            size,
            size as f64 * 0.5,
            0.5,
        );
        let greenness = standardized(fbm(
            &mut Stream::new(seed, index, StreamId::Greenness),
            size,
            size,
            size as f64 * 0.2,
            0.5,
        ));
        let parcel = parcels(
            &mut Stream::new(seed, index, StreamId::Parcels),
            size,
            size as f64 * PARCEL_CELL,
        );
        let elevation_keys: Vec<Key> = elevation.iter().zip(0u32..).map(|(&v, i)| (v, i)).collect();
        let mut scratch = elevation_keys.clone();
        let n_water = count(config.water_fraction, n);
        let n_snow = count(config.snow_fraction, n).min(n - n_water);
        let water_below = (n_water > 0 && n_water < n).then(|| key_at(&mut scratch, n_water));
        let snow_from = lower_bound_for_top(&mut scratch, n_snow);
        let mut surface = vec![Surface::BareSoil.id(); n];
        let mut land: Vec<Key> = Vec::with_capacity(n);
        for (s, key) in surface.iter_mut().zip(&elevation_keys) {
            if n_water == n || water_below.is_some_and(|b| key_cmp(key, &b).is_lt()) {
                *s = Surface::Water.id();
            } else if at_least(key, &snow_from) {
                *s = Surface::Snow.id();
            } else {
                let i = key.1 as usize;
                land.push((greenness[i] + PARCEL_GREENNESS * parcel[i][0], key.1));
            }
        }
        let vegetation_from =
            lower_bound_for_top(&mut land.clone(), count(config.vegetation_share, land.len()));
        for key in &land {
            if at_least(key, &vegetation_from) {
                surface[key.1 as usize] = Surface::Vegetation.id();
            }
        }

        // Clouds, on a field padded by the longest shadow so clouds just outside
        // the tile cast shadows into it.
        let pad = (0.12 * size as f64).ceil() as usize + 1;
        let padded = size + 2 * pad;
        let cloud_scale = Stream::new(seed, index, StreamId::CloudScale).range(0.2, 0.45);
        let cloud = fbm(
            &mut Stream::new(seed, index, StreamId::Cloud),
            padded,
            padded,
            size as f64 * cloud_scale,
            0.55,
        );
        let inner = |i: usize| cloud[(i / size + pad) * padded + i % size + pad];
        let cloud_keys: Vec<Key> = (0..n).zip(0u32..).map(|(i, k)| (inner(i), k)).collect();
        let n_cloud = count(config.cloud_cover, n);
        let n_thin = count(config.thin_cloud_share, n_cloud);
        let cloud_from = lower_bound_for_top(&mut cloud_keys.clone(), n_cloud);
        let mut cloudy: Vec<Key> = cloud_keys
            .iter()
            .filter(|k| at_least(k, &cloud_from))
            .copied()
            .collect();
        let thick_from = lower_bound_for_top(&mut cloudy, n_cloud - n_thin);
        let v_max = cloud_keys.iter().map(|k| k.0).fold(f32::NEG_INFINITY, f32::max);
        let v_cloud = cloud_from.map_or(v_max, |k| k.0);
        let v_thick = thick_from.map_or(v_max, |k| k.0);

        // Shadow offset: a sun azimuth and a length of 4–12 % of the tile.
        let mut offset_stream = Stream::new(seed, index, StreamId::ShadowOffset);
        let azimuth = offset_stream.range(0.0, std::f64::consts::TAU);
        let length = offset_stream.range(0.04, 0.12) * size as f64;
        let dx = (length * azimuth.cos()).round() as isize;
        let dy = (length * azimuth.sin()).round() as isize;

        let texture = standardized(fbm(
            &mut Stream::new(seed, index, StreamId::Texture),
            size,
            size,
            6.0,
            0.7,
        ));

        let atmosphere = config.atmosphere as f32;
        let brightness = config.brightness as f32;
        let mut bands = vec![0.0f32; BANDS * n];
        let mut truth = vec![Class::Clear.id(); n];
        for i in 0..n {
            let key = cloud_keys[i];
            let (x, y) = ((i % size) as isize, (i / size) as isize);
            let caster =
                cloud[((y + pad as isize - dy) as usize) * padded + (x + pad as isize - dx) as usize];
            let shadowed = config.shadow && thick_from.is_some_and(|b| caster >= b.0);
            let is_cloud = at_least(&key, &cloud_from);
            let is_thick = at_least(&key, &thick_from);
            // Optical thickness rises linearly with the cloud field: continuously
            // from the edge through the thin part, then through the thick part.
            let tau = if is_thick {
                let s = (key.0 - v_thick) / (v_max - v_thick).max(1e-6);
                THICK_CLOUD_TAU[0] + (THICK_CLOUD_TAU[1] - THICK_CLOUD_TAU[0]) * s
            } else if is_cloud {
                let s = (key.0 - v_cloud) / (v_thick - v_cloud).max(1e-6);
                THIN_CLOUD_TAU[0] + (THIN_CLOUD_TAU[1] - THIN_CLOUD_TAU[0]) * s
            } else {
                0.0
            };
            let cloud_r = cloud_reflectance(tau);
            let cloud_t = 1.0 - cloud_r;
            truth[i] = if is_cloud {
                Class::Cloud.id()
            } else if shadowed {
                Class::Shadow.id()
            } else {
                Class::Clear.id()
            };
            let ground = Surface::from_id(surface[i]).unwrap_or(Surface::BareSoil);
            let (parcel_amplitude, texture_std) = ground.variability();
            let grain = 1.0 + parcel_amplitude * parcel[i][1] + texture_std * texture[i].clamp(-2.5, 2.5);
            let reflectance = ground.reflectance();
            for b in 0..BANDS {
                let mut r = reflectance[b] * grain;
                if shadowed {
                    r *= SHADOW_FACTOR[b];
                }
                let toa =
                    atmosphere * PATH_REFLECTANCE[b] + (1.0 - atmosphere * (1.0 - TRANSMITTANCE[b])) * r;
                // Ground seen through the cloud, with the reflections between them.
                let toa = CLOUD_SPECTRUM[b] * cloud_r + cloud_t * cloud_t * toa / (1.0 - cloud_r * toa);
                bands[b * n + i] = brightness * toa;
            }
        }

        if config.noise_std > 0.0 {
            let mut noise = Stream::new(seed, index, StreamId::SensorNoise);
            let sigma = config.noise_std as f32;
            for pair in bands.chunks_mut(2) {
                for (r, z) in pair.iter_mut().zip(noise.normal_pair()) {
                    *r += sigma * z;
                }
            }
        }
        for r in &mut bands {
            *r = r.clamp(0.0, 1.0);
        }
        Ok(Scene {
            size_px: size,
            bands,
            truth,
            surface,
        })
    }

    /// Number of pixels (H × W).
    pub fn pixels(&self) -> usize {
        self.size_px * self.size_px
    }

    /// The reflectances of band `band` (0 = blue … 3 = NIR), row-major.
    pub fn band(&self, band: usize) -> &[f32] {
        let n = self.pixels();
        &self.bands[band * n..(band + 1) * n]
    }

    /// Fraction of pixels whose truth is `class`.
    pub fn class_fraction(&self, class: Class) -> f64 {
        let hits = self.truth.iter().filter(|&&c| c == class.id()).count();
        hits as f64 / self.truth.len().max(1) as f64
    }

    /// Fraction of pixels under cloud (thick and thin).
    pub fn cloud_fraction(&self) -> f64 {
        self.class_fraction(Class::Cloud)
    }

    /// Fraction of pixels in cloud shadow.
    pub fn shadow_fraction(&self) -> f64 {
        self.class_fraction(Class::Shadow)
    }

    /// The model input shape, NCHW with batch 1: `[1, 4, H, W]`.
    pub fn input_shape(&self) -> [usize; 4] {
        [1, BANDS, self.size_px, self.size_px]
    }

    /// The bands normalised for the ukis-csmask 4-band Level-1C model
    /// ([`ukis_l1c_normalize`]), laid out as its `[1, 4, H, W]` input.
    pub fn normalized_ukis(&self) -> Vec<f32> {
        normalize_bands(&self.bands, self.pixels())
    }
}

fn normalize_bands(bands: &[f32], pixels: usize) -> Vec<f32> {
    bands
        .chunks(pixels.max(1))
        .zip(UKIS_L1C_MEAN.iter().zip(&UKIS_L1C_STD))
        .flat_map(|(band, (&mean, &std))| band.iter().map(move |&r| (r - mean) / std))
        .collect()
}

/// Normalises band-major blue, green, red, NIR reflectances (`4 × pixels`
/// values) as the ukis-csmask 4-band Level-1C model expects: `(r − mean) / std`
/// per band with [`UKIS_L1C_MEAN`] and [`UKIS_L1C_STD`].
///
/// Fails with `Error::InvalidParameter` if the length is not a positive multiple of 4.
pub fn ukis_l1c_normalize(bands: &[f32]) -> Result<Vec<f32>> {
    if bands.is_empty() || bands.len() % BANDS != 0 {
        return Err(Error::parameter(
            "number of band values",
            bands.len() as f64,
            "a positive multiple of 4 (blue, green, red, NIR planes)",
        ));
    }
    Ok(normalize_bands(bands, bands.len() / BANDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(size_px: usize, cloud_cover: f64) -> SceneConfig {
        SceneConfig {
            size_px,
            cloud_cover,
            ..SceneConfig::default()
        }
    }

    /// Mean of band `b` over the pixels selected by `keep`.
    fn mean_where(scene: &Scene, b: usize, keep: impl Fn(usize) -> bool) -> f64 {
        let (sum, hits) = scene
            .band(b)
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .fold((0.0, 0usize), |(s, c), (_, &r)| (s + f64::from(r), c + 1));
        assert!(hits > 0, "no pixels selected");
        sum / hits as f64
    }

    #[test]
    fn same_seed_and_index_give_identical_bits() {
        let c = config(96, 0.5);
        let a = Scene::generate(&c, 11, 3).unwrap();
        let b = Scene::generate(&c, 11, 3).unwrap();
        assert!(a
            .bands
            .iter()
            .zip(&b.bands)
            .all(|(x, y)| x.to_bits() == y.to_bits()));
        assert_eq!(a.truth, b.truth);
        assert_eq!(a.surface, b.surface);
    }

    #[test]
    fn other_index_or_seed_give_other_scenes() {
        let c = config(96, 0.5);
        let a = Scene::generate(&c, 11, 3).unwrap();
        for other in [
            Scene::generate(&c, 11, 4).unwrap(),
            Scene::generate(&c, 12, 3).unwrap(),
        ] {
            let differing = a.truth.iter().zip(&other.truth).filter(|(x, y)| x != y).count();
            assert!(
                differing > a.pixels() / 10,
                "only {differing} truth pixels differ"
            );
            assert_ne!(a.surface, other.surface);
        }
    }

    #[test]
    fn cloud_fraction_meets_the_target_within_0_03() {
        // Rank thresholds make the error at most half a pixel; 0.03 is the stated tolerance.
        for (k, target) in [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0].into_iter().enumerate() {
            for size in [64, 128] {
                let scene = Scene::generate(&config(size, target), 5, k as u64).unwrap();
                let achieved = scene.cloud_fraction();
                assert!((achieved - target).abs() <= 0.03, "target {target}: {achieved}");
                assert!((achieved - target).abs() <= 0.5 / scene.pixels() as f64 + 1e-12);
            }
        }
    }

    #[test]
    fn surface_fractions_meet_their_targets() {
        let c = SceneConfig {
            size_px: 128,
            water_fraction: 0.3,
            snow_fraction: 0.1,
            vegetation_share: 0.5,
            ..SceneConfig::default()
        };
        let scene = Scene::generate(&c, 2, 0).unwrap();
        let fraction = |s: Surface| {
            scene.surface.iter().filter(|&&v| v == s.id()).count() as f64 / scene.pixels() as f64
        };
        assert!((fraction(Surface::Water) - 0.3).abs() < 1e-3);
        assert!((fraction(Surface::Snow) - 0.1).abs() < 1e-3);
        assert!((fraction(Surface::Vegetation) - 0.3).abs() < 1e-3);
        assert!((fraction(Surface::BareSoil) - 0.3).abs() < 1e-3);
    }

    #[test]
    fn more_cover_only_adds_clouds_and_keeps_the_ground() {
        let low = Scene::generate(&config(96, 0.2), 9, 1).unwrap();
        let high = Scene::generate(&config(96, 0.6), 9, 1).unwrap();
        let cloud = Class::Cloud.id();
        assert!(low
            .truth
            .iter()
            .zip(&high.truth)
            .all(|(&l, &h)| l != cloud || h == cloud));
        assert_eq!(low.surface, high.surface);
    }

    #[test]
    fn spectra_are_plausible() {
        // Clear, unshadowed pixels of each surface; means over the scene.
        let c = SceneConfig {
            size_px: 128,
            cloud_cover: 0.3,
            water_fraction: 0.25,
            snow_fraction: 0.1,
            ..SceneConfig::default()
        };
        let scene = Scene::generate(&c, 4, 0).unwrap();
        let clear_on = |s: Surface| {
            let scene = &scene;
            move |i: usize| scene.truth[i] == Class::Clear.id() && scene.surface[i] == s.id()
        };
        let veg = clear_on(Surface::Vegetation);
        assert!(mean_where(&scene, 3, veg) / mean_where(&scene, 2, veg) > 3.0);
        assert!(mean_where(&scene, 3, clear_on(Surface::Water)) < 0.05);
        for b in 0..3 {
            assert!(mean_where(&scene, b, clear_on(Surface::Snow)) > 0.6);
        }
        let soil = clear_on(Surface::BareSoil);
        assert!(mean_where(&scene, 0, soil) < mean_where(&scene, 2, soil));
        assert!(mean_where(&scene, 2, soil) < mean_where(&scene, 3, soil));
        // Per pixel: vegetation NIR/red > 3 on every clear vegetation pixel.
        let (red, nir) = (scene.band(2), scene.band(3));
        assert!((0..scene.pixels())
            .filter(|&i| veg(i))
            .all(|i| nir[i] > 3.0 * red[i]));
        // All reflectances are fractions.
        assert!(scene.bands.iter().all(|r| (0.0..=1.0).contains(r)));
    }

    #[test]
    fn clouds_are_brighter_than_clear_ground_in_blue() {
        let scene = Scene::generate(&config(128, 0.4), 8, 0).unwrap();
        let cloud = mean_where(&scene, 0, |i| scene.truth[i] == Class::Cloud.id());
        let clear = mean_where(&scene, 0, |i| scene.truth[i] == Class::Clear.id());
        assert!(cloud > clear + 0.2, "cloud {cloud}, clear {clear}");
        // Every cloud pixel's blue above 0.18: the faintest, a τ = 2 edge over water, gives ≈ 0.21
        // (noise at most 2√3 × 0.004).
        assert!((0..scene.pixels())
            .filter(|&i| scene.truth[i] == Class::Cloud.id())
            .all(|i| scene.band(0)[i] > 0.18));
    }

    #[test]
    fn shadows_darken_the_ground_and_are_never_under_cloud() {
        let scene = Scene::generate(&config(128, 0.35), 3, 2).unwrap();
        assert!(scene.shadow_fraction() > 0.01, "{}", scene.shadow_fraction());
        let on = |class: Class, s: Surface| {
            let scene = &scene;
            move |i: usize| scene.truth[i] == class.id() && scene.surface[i] == s.id()
        };
        for b in 0..BANDS {
            let lit = mean_where(&scene, b, on(Class::Clear, Surface::Vegetation));
            let dark = mean_where(&scene, b, on(Class::Shadow, Surface::Vegetation));
            assert!(dark < lit, "band {b}: shadow {dark} vs lit {lit}");
        }
        // Truth holds one class per pixel: shadow and cloud exclusive by construction;
        // without shadows requested there are none.
        let none = Scene::generate(
            &SceneConfig {
                shadow: false,
                ..config(128, 0.35)
            },
            3,
            2,
        )
        .unwrap();
        assert_eq!(none.shadow_fraction(), 0.0);
        assert_eq!(none.cloud_fraction(), scene.cloud_fraction());
        // Every shadow pixel in `scene` is clear (not cloud) in the shadow-free scene.
        assert!(scene
            .truth
            .iter()
            .zip(&none.truth)
            .all(|(&s, &n)| s != Class::Shadow.id() || n == Class::Clear.id()));
    }

    #[test]
    fn sensor_noise_has_the_requested_standard_deviation() {
        // Noise has its own stream: the noise-free scene is the same scene minus the noise.
        let quiet = Scene::generate(
            &SceneConfig {
                noise_std: 0.0,
                ..config(128, 0.4)
            },
            6,
            0,
        )
        .unwrap();
        let noisy = Scene::generate(
            &SceneConfig {
                noise_std: 0.01,
                ..config(128, 0.4)
            },
            6,
            0,
        )
        .unwrap();
        assert_eq!(quiet.truth, noisy.truth);
        let diffs: Vec<f64> = quiet
            .bands
            .iter()
            .zip(&noisy.bands)
            .filter(|(q, _)| (0.05..=0.95).contains(*q)) // away from the clipping at 0 and 1
            .map(|(q, n)| f64::from(n - q))
            .collect();
        let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
        let std = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / diffs.len() as f64).sqrt();
        assert!(mean.abs() < 3e-4, "mean {mean}");
        assert!((std / 0.01 - 1.0).abs() < 0.02, "std {std}"); // 65 000 samples: ±0.3 % expected
        assert!(diffs.iter().all(|d| d.abs() <= 0.01 * 3.4641 + 1e-6)); // bounded at 2√3 σ
    }

    #[test]
    fn full_cover_has_no_shadow_and_zero_cover_no_cloud() {
        let full = Scene::generate(&config(64, 1.0), 1, 0).unwrap();
        assert_eq!(full.cloud_fraction(), 1.0);
        assert_eq!(full.shadow_fraction(), 0.0);
        let clear = Scene::generate(&config(64, 0.0), 1, 0).unwrap();
        assert_eq!(clear.cloud_fraction(), 0.0);
        assert_eq!(clear.shadow_fraction(), 0.0);
    }

    #[test]
    fn bad_configs_are_rejected() {
        let base = SceneConfig::default();
        let bad = [
            SceneConfig {
                cloud_cover: f64::NAN,
                ..base
            },
            SceneConfig {
                cloud_cover: 1.01,
                ..base
            },
            SceneConfig {
                thin_cloud_share: -0.1,
                ..base
            },
            SceneConfig { size_px: 8, ..base },
            SceneConfig {
                water_fraction: 0.7,
                snow_fraction: 0.4,
                ..base
            },
            SceneConfig {
                brightness: 0.0,
                ..base
            },
            SceneConfig {
                atmosphere: f64::INFINITY,
                ..base
            },
            SceneConfig {
                noise_std: -1e-3,
                ..base
            },
        ];
        for c in bad {
            let error = Scene::generate(&c, 0, 0).unwrap_err();
            assert!(matches!(error, Error::InvalidParameter { .. }), "{error}");
        }
        let json = r#"{"size_px": 64, "cloud_cover": 0.5, "sun_elevation": 30}"#;
        assert!(serde_json::from_str::<SceneConfig>(json).is_err());
    }

    #[test]
    fn normalisation_matches_the_formula() {
        let scene = Scene::generate(&config(32, 0.5), 1, 1).unwrap();
        let x = scene.normalized_ukis();
        assert_eq!(x, ukis_l1c_normalize(&scene.bands).unwrap());
        let n = scene.pixels();
        for b in 0..BANDS {
            let i = b * n + 17;
            assert_eq!(x[i], (scene.bands[i] - UKIS_L1C_MEAN[b]) / UKIS_L1C_STD[b]);
        }
        assert!(ukis_l1c_normalize(&[0.1; 6]).is_err());
        assert!(ukis_l1c_normalize(&[]).is_err());
    }

    #[test]
    fn class_and_surface_ids_round_trip() {
        for c in Class::ALL {
            assert_eq!(Class::from_id(c.id()), Some(c));
        }
        assert_eq!(Class::from_id(3), None);
        for s in Surface::ALL {
            assert_eq!(Surface::from_id(s.id()), Some(s));
        }
        assert_eq!(
            (Class::Clear.id(), Class::Cloud.id(), Class::Shadow.id()),
            (0, 1, 2)
        );
    }
}
