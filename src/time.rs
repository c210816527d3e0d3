//! Time helpers on top of `hifitime` (the crate has no epoch type of its own).
//!
//! Every instant is a [`hifitime::Epoch`]; durations are [`hifitime::Duration`].
//! Two conversions matter at the boundaries:
//! - Unix nanoseconds (POSIX, UTC without leap seconds), the representation of
//!   Python's `datetime` and `numpy.datetime64`;
//! - the UT1 Julian date that drives Earth rotation. orbitedge takes UT1 = UTC
//!   (|UT1 − UTC| < 0.9 s by definition), the usual SGP4 practice; the effect on
//!   pass times is a few tens of milliseconds.
//!
//! Hot loops work on `f64` seconds elapsed since a reference epoch; [`TimeAxis`]
//! converts those to UT1 Julian dates without a leap-second lookup per call.

use hifitime::{Duration, Epoch, TimeScale};

use crate::constants::SECONDS_PER_DAY;
use crate::error::{Error, Result};

/// Converts Unix nanoseconds (UTC, POSIX) to an [`Epoch`].
///
/// ```
/// let e = orbitedge::time::epoch_from_unix_nanoseconds(1_700_000_000_000_000_000);
/// assert_eq!(orbitedge::time::unix_nanoseconds(e), 1_700_000_000_000_000_000);
/// ```
pub fn epoch_from_unix_nanoseconds(unix_ns: i64) -> Epoch {
    Epoch::from_unix_duration(Duration::from_total_nanoseconds(i128::from(unix_ns)))
}

/// Converts an [`Epoch`] to Unix nanoseconds (UTC, POSIX), saturating outside ±292 years.
pub fn unix_nanoseconds(epoch: Epoch) -> i64 {
    let ns = epoch.to_unix_duration().total_nanoseconds();
    ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Parses an ISO-8601 / RFC 3339 UTC instant such as `2024-03-01T12:00:00Z`.
///
/// ```
/// let e = orbitedge::time::parse_epoch("2024-03-01T12:00:00.5Z")?;
/// assert_eq!(e.to_string(), "2024-03-01T12:00:00.500000000 UTC");
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn parse_epoch(text: &str) -> Result<Epoch> {
    let trimmed = text.trim();
    let normalised = trimmed.strip_suffix('Z').unwrap_or(trimmed);
    let candidate = if normalised.contains(' ') && !normalised.contains('T') {
        normalised.replacen(' ', "T", 1)
    } else {
        normalised.to_string()
    };
    let with_scale = if candidate.ends_with("UTC") {
        candidate
    } else {
        format!("{candidate} UTC")
    };
    with_scale.parse::<Epoch>().map_err(|e| Error::InvalidTime {
        input: text.to_string(),
        reason: format!("expected ISO 8601 such as 2024-03-01T12:00:00Z ({e})"),
    })
}

/// Physical (TAI) seconds elapsed from `from` to `to`, whatever their time scales.
///
/// hifitime subtracts epochs in the time scale of the left operand, so two UTC
/// epochs straddling a leap second differ by one second less than elapsed time;
/// orbitedge always means elapsed time.
///
/// ```
/// use orbitedge::time::{parse_epoch, seconds_between};
/// let before = parse_epoch("2016-12-31T23:59:59Z")?;
/// let after = parse_epoch("2017-01-01T00:00:00Z")?;
/// assert_eq!(seconds_between(before, after), 2.0); // 23:59:60 happened
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn seconds_between(from: Epoch, to: Epoch) -> f64 {
    (to.to_tai_duration() - from.to_tai_duration()).to_seconds()
}

/// Julian date in UT1 (taken equal to UTC) of an epoch.
pub fn julian_date_ut1(epoch: Epoch) -> f64 {
    epoch.to_jde_utc_days()
}

/// Fast map from "seconds elapsed since a reference epoch" to absolute time.
///
/// Builds once per search interval. When no leap second falls inside the span it
/// serves, the UT1 Julian date is linear in elapsed seconds; otherwise it falls
/// back to `hifitime` per call so results stay exact.
#[derive(Debug, Clone, Copy)]
pub struct TimeAxis {
    reference: Epoch,
    /// The reference in UTC: with no leap second in the span, an epoch of the
    /// span is this plus the elapsed duration (exactly what the conversion
    /// through TAI gives, without its leap-second table search per call).
    reference_utc: Epoch,
    reference_jd_ut1: f64,
    /// Elapsed seconds up to which no leap second falls (the span's length),
    /// or −∞ when one falls inside.
    linear_until_s: f64,
}

impl TimeAxis {
    /// A time axis starting at `reference` valid (linearly) up to `span_end`.
    pub fn new(reference: Epoch, span_end: Epoch) -> Self {
        let leap_offset = |e: Epoch| (e.to_tai_seconds() - e.to_utc_seconds()).round();
        let linear = leap_offset(reference) == leap_offset(span_end);
        Self {
            reference,
            reference_utc: reference.to_time_scale(TimeScale::UTC),
            reference_jd_ut1: julian_date_ut1(reference),
            linear_until_s: if linear {
                seconds_between(reference, span_end)
            } else {
                f64::NEG_INFINITY
            },
        }
    }

    /// The reference epoch (offset 0).
    pub fn reference(&self) -> Epoch {
        self.reference
    }

    /// The epoch `seconds` (elapsed) after the reference, in UTC.
    pub fn epoch(&self, seconds: f64) -> Epoch {
        if (0.0..=self.linear_until_s).contains(&seconds) {
            return self.reference_utc + Duration::from_seconds(seconds);
        }
        Epoch::from_tai_duration(self.reference.to_tai_duration() + Duration::from_seconds(seconds))
            .to_time_scale(TimeScale::UTC)
    }

    /// Seconds elapsed from the reference to `epoch`.
    pub fn seconds(&self, epoch: Epoch) -> f64 {
        seconds_between(self.reference, epoch)
    }

    /// UT1 Julian date `seconds` after the reference.
    pub fn julian_date_ut1(&self, seconds: f64) -> f64 {
        if (0.0..=self.linear_until_s).contains(&seconds) {
            self.reference_jd_ut1 + seconds / SECONDS_PER_DAY
        } else {
            julian_date_ut1(self.epoch(seconds))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_round_trip_across_leap_second() {
        // 2016-12-31T23:59:60 was a leap second; POSIX time skips it.
        let before = parse_epoch("2016-12-31T23:59:59Z").unwrap();
        let after = parse_epoch("2017-01-01T00:00:00Z").unwrap();
        assert_eq!(
            seconds_between(before, after),
            2.0,
            "elapsed includes the leap second"
        );
        let ns_before = unix_nanoseconds(before);
        let ns_after = unix_nanoseconds(after);
        assert_eq!(ns_after - ns_before, 1_000_000_000, "POSIX time does not");
        assert_eq!(epoch_from_unix_nanoseconds(ns_after), after);
    }

    #[test]
    fn parse_rejects_garbage() {
        assert!(matches!(parse_epoch("yesterday"), Err(Error::InvalidTime { .. })));
    }

    #[test]
    fn time_axis_matches_hifitime() {
        let start = parse_epoch("2024-03-01T00:00:00Z").unwrap();
        let axis = TimeAxis::new(start, start + Duration::from_seconds(86_400.0));
        let direct = julian_date_ut1(start + Duration::from_seconds(43_210.5));
        assert!((axis.julian_date_ut1(43_210.5) - direct).abs() * 86_400.0 < 1e-4);
    }

    /// The fast path (no leap second in the span) gives the very epoch the
    /// conversion through TAI gives; across a leap second the slow path serves.
    #[test]
    fn time_axis_epochs_are_exact_inside_and_outside_the_linear_span() {
        let slow = |reference: Epoch, s: f64| {
            Epoch::from_tai_duration(reference.to_tai_duration() + Duration::from_seconds(s))
                .to_time_scale(TimeScale::UTC)
        };
        let start = parse_epoch("2024-03-01T00:00:00Z").unwrap();
        let axis = TimeAxis::new(start, start + Duration::from_seconds(86_400.0));
        let mut rng = crate::testing::Xorshift::new(7);
        for _ in 0..10_000 {
            let s = rng.uniform() * 90_000.0 - 1_000.0; // some outside the span
            let (fast, exact) = (axis.epoch(s), slow(start, s));
            assert_eq!(fast, exact, "{s}");
            assert_eq!(fast.time_scale, TimeScale::UTC);
            assert_eq!(
                fast.to_gregorian_str(TimeScale::UTC),
                exact.to_gregorian_str(TimeScale::UTC)
            );
        }
        let before = parse_epoch("2016-12-31T12:00:00Z").unwrap();
        let axis = TimeAxis::new(before, before + Duration::from_seconds(86_400.0));
        for s in [0.0, 43_199.0, 43_200.0, 43_201.0, 86_400.0] {
            assert_eq!(axis.epoch(s), slow(before, s), "{s}");
        }
        assert_eq!(axis.epoch(43_201.0), parse_epoch("2017-01-01T00:00:00Z").unwrap());
    }
}
