//! Reading scenario text: TOML, JSON or YAML through serde, with the key path of
//! the first problem and a "did you mean" hint for misspelt keys.

use std::path::Path;

use crate::environment::GroundStation;
use crate::error::{Error, Result};
use crate::scenario::Scenario;

/// A scenario file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML (the documented format).
    Toml,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

impl Format {
    /// The format of a file from its extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("toml") => Ok(Format::Toml),
            Some("json") => Ok(Format::Json),
            Some("yaml" | "yml") => Ok(Format::Yaml),
            _ => Err(Error::Config {
                origin: path.display().to_string(),
                reason: "unknown scenario format; expected a .toml, .json, .yaml or .yml file".into(),
            }),
        }
    }
}

/// Parses and reports the key path of the first problem.
pub(crate) fn parse(text: &str, format: Format, origin: &str) -> Result<Scenario> {
    let fail = |path: String, message: String| Error::Config {
        origin: origin.to_string(),
        reason: if path.is_empty() || path == "." {
            with_hint(&message)
        } else {
            format!("{path}: {}", with_hint(&message))
        },
    };
    match format {
        Format::Toml => {
            let deserializer =
                toml::Deserializer::parse(text).map_err(|e| fail(String::new(), toml_message(&e, text)))?;
            serde_path_to_error::deserialize(deserializer)
                .map_err(|e| fail(e.path().to_string(), toml_message(e.inner(), text)))
        }
        Format::Json => {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(&mut deserializer)
                .map_err(|e| fail(e.path().to_string(), e.inner().to_string()))
        }
        Format::Yaml => serde_saphyr::from_str(text).map_err(|e| fail(String::new(), e.to_string())),
    }
}

fn toml_message(error: &toml::de::Error, text: &str) -> String {
    let line = error
        .span()
        .map(|span| {
            format!(
                " (line {})",
                text[..span.start.min(text.len())].lines().count().max(1)
            )
        })
        .unwrap_or_default();
    format!("{}{line}", error.message().trim_end())
}

/// Appends "did you mean `x`?" to serde's unknown-field and unknown-variant messages.
fn with_hint(message: &str) -> String {
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let is_unknown = message.starts_with("unknown field") || message.starts_with("unknown variant");
    match (is_unknown, quoted.split_first()) {
        (true, Some((given, allowed))) => match closest(given, allowed.iter().copied()) {
            Some(best) => format!("{message}; did you mean `{best}`?"),
            None => message.to_string(),
        },
        _ => message.to_string(),
    }
}

/// The candidate closest to `given` by edit distance, if it is close (at most a
/// third of the longer word's letters differ).
///
/// ```
/// use orbitedge::scenario::closest;
/// assert_eq!(closest("duraton_h", ["duration_h", "seed"]), Some("duration_h"));
/// assert_eq!(closest("colour", ["duration_h", "seed"]), None);
/// ```
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (levenshtein(given, c), c))
        .filter(|(d, c)| *d * 3 <= given.chars().count().max(c.chars().count()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// Ground stations from CSV text with a header naming at least `name`,
/// `latitude_deg`, `longitude_deg` (optional `altitude_m`, `min_elevation_deg`).
pub(crate) fn stations_from_csv(text: &str, origin: &str) -> Result<Vec<GroundStation>> {
    let fail = |line: usize, reason: String| Error::Config {
        origin: origin.to_string(),
        reason: format!("line {line}: {reason}"),
    };
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(fail(1, "empty file".into()));
    };
    let columns: Vec<String> = header.split(',').map(|c| c.trim().to_string()).collect();
    let column = |name: &str| columns.iter().position(|c| c == name);
    let required = ["name", "latitude_deg", "longitude_deg"];
    for name in required {
        if column(name).is_none() {
            return Err(fail(1, format!("missing column {name:?} (header: {header:?})")));
        }
    }
    let mut stations = Vec::new();
    for (k, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |name: &str| column(name).and_then(|i| fields.get(i).copied());
        let number = |name: &str, default: Option<f64>| -> Result<f64> {
            match (get(name), default) {
                (Some(text), _) if !text.is_empty() => text
                    .parse::<f64>()
                    .map_err(|_| fail(k + 1, format!("{name} {text:?} is not a number"))),
                (_, Some(default)) => Ok(default),
                _ => Err(fail(k + 1, format!("missing {name}"))),
            }
        };
        let name = get("name").unwrap_or_default();
        let antennas = match get("antennas") {
            Some(text) if !text.is_empty() => text
                .parse::<u32>()
                .map_err(|_| fail(k + 1, format!("antennas {text:?} is not a whole number")))?,
            _ => 1,
        };
        let station = GroundStation::new(
            name,
            number("latitude_deg", None)?,
            number("longitude_deg", None)?,
            number("altitude_m", Some(0.0))?,
            number("min_elevation_deg", Some(5.0))?,
        )
        .and_then(|station| station.with_antennas(antennas))
        .map_err(|e| fail(k + 1, e.to_string()))?;
        stations.push(station);
    }
    Ok(stations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_closest_known_key() {
        let message = "unknown field `duraton_h`, expected one of `name`, `duration_h`, `seed`";
        assert!(with_hint(message).ends_with("did you mean `duration_h`?"));
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }

    #[test]
    fn station_csv_reads_and_reports_bad_lines() {
        let csv =
            "name,latitude_deg,longitude_deg,altitude_m,min_elevation_deg\nKiruna,67.8558,20.9644,390,5\n";
        let stations = stations_from_csv(csv, "x.csv").unwrap();
        assert_eq!(stations[0].name(), "Kiruna");
        let bad = "name,latitude_deg,longitude_deg\nX,north,3\n";
        let err = stations_from_csv(bad, "x.csv").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("north"), "{err}");
    }
}
