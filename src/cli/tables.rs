//! What `windows`, `eclipses` and `devices` print: tables for people, CSV and
//! JSON for programs. Everything goes to a writer given by the caller (standard
//! output, locked), so a closed pipe is an error the command ends on instead of
//! a `println!` panic.

use std::io::{self, Write};

use orbitedge::compute::DeviceProfile;
use orbitedge::prelude::*;

/// `YYYY-MM-DD hh:mm:ss` of an epoch.
fn short(epoch: Epoch) -> String {
    let text = epoch.to_string();
    text.get(..19).unwrap_or(&text).replace('T', " ")
}

/// Ground-station access windows, a table or CSV.
pub fn windows(out: &mut impl Write, windows: &[AccessWindow], csv: bool) -> io::Result<()> {
    if csv {
        writeln!(
            out,
            "satellite,station,rise,culmination,set,duration_s,max_elevation_deg"
        )?;
    } else {
        writeln!(
            out,
            "{:<14} {:<10} {:<24} {:<24} {:>9} {:>8}",
            "satellite", "station", "rise (UTC)", "set (UTC)", "length s", "max el°"
        )?;
    }
    for w in windows {
        if csv {
            writeln!(
                out,
                "{},{},{},{},{},{:.3},{:.3}",
                w.satellite,
                w.station,
                w.rise,
                w.culmination,
                w.set,
                w.duration_s(),
                w.max_elevation_deg
            )?;
        } else {
            writeln!(
                out,
                "{:<14} {:<10} {:<24} {:<24} {:>9.1} {:>8.2}",
                w.satellite,
                w.station,
                short(w.rise),
                short(w.set),
                w.duration_s(),
                w.max_elevation_deg
            )?;
        }
    }
    Ok(())
}

/// Eclipse intervals (umbra and penumbra), a table or CSV.
pub fn eclipses(out: &mut impl Write, eclipses: &[EclipseInterval], csv: bool) -> io::Result<()> {
    if csv {
        writeln!(out, "satellite,kind,start,end,duration_s")?;
    } else {
        writeln!(
            out,
            "{:<14} {:<9} {:<24} {:<24} {:>9}",
            "satellite", "kind", "start (UTC)", "end (UTC)", "length s"
        )?;
    }
    for e in eclipses {
        let kind = e.kind.as_str();
        let length = (e.end - e.start).to_seconds();
        if csv {
            writeln!(out, "{},{kind},{},{},{length:.3}", e.satellite, e.start, e.end)?;
        } else {
            writeln!(
                out,
                "{:<14} {:<9} {:<24} {:<24} {:>9.1}",
                e.satellite,
                kind,
                short(e.start),
                short(e.end),
                length
            )?;
        }
    }
    Ok(())
}

/// The shipped device profiles, a table (the headline numbers).
pub fn devices(out: &mut impl Write, profiles: &[DeviceProfile]) -> io::Result<()> {
    writeln!(
        out,
        "{:<12} {:>7} {:>7} {:>7} {:>9} {:>7}  summary",
        "device", "idle W", "busy W", "GFLOP/s", "RAM GiB", "boot s"
    )?;
    for p in profiles {
        writeln!(
            out,
            "{:<12} {:>7.1} {:>7.1} {:>7.1} {:>9.1} {:>7.0}  {}",
            p.name,
            p.power_idle_w.value,
            p.power_busy_w.value,
            p.throughput_gflops.value,
            p.ram_bytes.value / (1u64 << 30) as f64,
            p.boot_s.value,
            p.summary
        )?;
    }
    writeln!(
        out,
        "\nEvery number carries a source and a confidence: `orbitedge devices --json`."
    )
}
