//! CCSDS Orbit Mean-elements Messages (OMM), the successor of the TLE.
//!
//! Two encodings are read: Celestrak/Space-Track **JSON** (one object or a list)
//! and **KVN** (`KEY = value` lines, records separated by `CCSDS_OMM_VERS`).
//! Both become the same key map, checked for the fields SGP4 needs, then
//! deserialised into [`sgp4::Elements`]. Optional fields that CCSDS allows to be
//! absent (classification, element set number, revolution number, ephemeris type,
//! mean-motion derivatives) default to the values catalogues use.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::orbit::Sgp4Orbit;

/// Keys an OMM record must carry for SGP4.
const REQUIRED_KEYS: [&str; 9] = [
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "NORAD_CAT_ID",
    "BSTAR",
];

/// Defaults for optional keys.
const DEFAULTS: [(&str, &str); 6] = [
    ("CLASSIFICATION_TYPE", "U"),
    ("ELEMENT_SET_NO", "999"),
    ("REV_AT_EPOCH", "0"),
    ("EPHEMERIS_TYPE", "0"),
    ("MEAN_MOTION_DOT", "0"),
    ("MEAN_MOTION_DDOT", "0"),
];

/// Parses an OMM in JSON or KVN form into one SGP4 orbit per record.
///
/// ```
/// let kvn = "CCSDS_OMM_VERS = 2.0
/// OBJECT_NAME = ISS (ZARYA)
/// OBJECT_ID = 1998-067A
/// EPOCH = 2019-12-09T16:38:29.363424
/// MEAN_MOTION = 15.50103472 [rev/day]
/// ECCENTRICITY = 0.0007417
/// INCLINATION = 51.6439 [deg]
/// RA_OF_ASC_NODE = 211.2001 [deg]
/// ARG_OF_PERICENTER = 17.6667 [deg]
/// MEAN_ANOMALY = 85.6398 [deg]
/// NORAD_CAT_ID = 25544
/// BSTAR = 0.38792E-4
/// ";
/// let orbits = orbitedge::orbit::omm::parse_omm(kvn)?;
/// assert_eq!(orbits[0].norad_id(), 25544);
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn parse_omm(text: &str) -> Result<Vec<Sgp4Orbit>> {
    let trimmed = text.trim_start();
    let records = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        json_records(trimmed)?
    } else {
        kvn_records(text)?
    };
    if records.is_empty() {
        return Err(Error::Omm {
            record: 0,
            reason: "no OMM record found (expected JSON objects or KVN 'KEY = value' lines)".into(),
        });
    }
    records
        .into_iter()
        .enumerate()
        .map(|(index, record)| record_to_orbit(index, record))
        .collect()
}

fn json_records(text: &str) -> Result<Vec<Map<String, Value>>> {
    let value: Value = serde_json::from_str(text).map_err(|e| Error::Omm {
        record: 0,
        reason: format!("invalid JSON: {e}"),
    })?;
    let items = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => unreachable!("text starts with '{{' or '['"),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(record, item)| match item {
            Value::Object(map) => Ok(map),
            other => Err(Error::Omm {
                record,
                reason: format!("expected a JSON object, got {other}"),
            }),
        })
        .collect()
}

fn kvn_records(text: &str) -> Result<Vec<Map<String, Value>>> {
    let mut records: Vec<Map<String, Value>> = Vec::new();
    let mut current = Map::new();
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with("COMMENT") {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(Error::Omm {
                record: records.len(),
                reason: format!("line {}: expected 'KEY = value', got {line:?}", number + 1),
            });
        };
        let key = key.trim().to_ascii_uppercase();
        // Units may follow the value in brackets: "15.5 [rev/day]".
        let value = value.split('[').next().unwrap_or("").trim();
        if key == "CCSDS_OMM_VERS" && !current.is_empty() {
            records.push(std::mem::take(&mut current));
        }
        current.insert(key, Value::String(value.to_string()));
    }
    if !current.is_empty() {
        records.push(current);
    }
    Ok(records)
}

fn record_to_orbit(record: usize, mut map: Map<String, Value>) -> Result<Sgp4Orbit> {
    let missing: Vec<&str> = REQUIRED_KEYS
        .iter()
        .copied()
        .filter(|key| map.get(*key).is_none_or(Value::is_null))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Omm {
            record,
            reason: format!("missing required keys: {}", missing.join(", ")),
        });
    }
    for (key, default) in DEFAULTS {
        if map.get(key).is_none_or(Value::is_null) {
            map.insert(key.to_string(), Value::String(default.to_string()));
        }
    }
    // chrono's naive datetime does not take a zone suffix; OMM epochs are UTC.
    if let Some(Value::String(epoch)) = map.get_mut("EPOCH") {
        let trimmed = epoch.trim().trim_end_matches('Z').to_string();
        *epoch = trimmed;
    }
    let name = map.get("OBJECT_NAME").and_then(Value::as_str).map(str::to_string);
    let elements: sgp4::Elements = serde_json::from_value(Value::Object(map)).map_err(|e| Error::Omm {
        record,
        reason: format!("invalid field: {e}"),
    })?;
    Sgp4Orbit::from_elements(elements).map_err(|e| match e {
        Error::Omm { reason, .. } => Error::Omm {
            record,
            reason: match &name {
                Some(name) => format!("{name}: {reason}"),
                None => reason,
            },
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orbit::Propagator;

    const ISS_JSON: &str = r#"[{"OBJECT_NAME":"ISS (ZARYA)","OBJECT_ID":"1998-067A",
        "EPOCH":"2019-12-09T16:38:29.363424","MEAN_MOTION":15.50103472,"ECCENTRICITY":0.0007417,
        "INCLINATION":51.6439,"RA_OF_ASC_NODE":211.2001,"ARG_OF_PERICENTER":17.6667,
        "MEAN_ANOMALY":85.6398,"EPHEMERIS_TYPE":0,"CLASSIFICATION_TYPE":"U","NORAD_CAT_ID":25544,
        "ELEMENT_SET_NO":999,"REV_AT_EPOCH":20248,"BSTAR":3.8792e-5,"MEAN_MOTION_DOT":1.764e-5,
        "MEAN_MOTION_DDOT":0}]"#;
    const ISS_KVN: &str = "CCSDS_OMM_VERS = 2.0\nOBJECT_NAME = ISS (ZARYA)\n\
        EPOCH = 2019-12-09T16:38:29.363424\nMEAN_MOTION = 15.50103472\nECCENTRICITY = 0.0007417\n\
        INCLINATION = 51.6439\nRA_OF_ASC_NODE = 211.2001\nARG_OF_PERICENTER = 17.6667\n\
        MEAN_ANOMALY = 85.6398\nNORAD_CAT_ID = 25544\nBSTAR = 0.38792E-4\n";
    const ISS_1: &str = "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991";
    const ISS_2: &str = "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482";

    #[test]
    fn json_matches_the_equivalent_tle() {
        let from_omm = &parse_omm(ISS_JSON).unwrap()[0];
        let from_tle = Sgp4Orbit::from_tle(None, ISS_1, ISS_2).unwrap();
        for t in [0.0, 3_600.0, 86_400.0] {
            let a = from_omm.state_after(t).unwrap();
            let b = from_tle.state_after(t).unwrap();
            assert!((a.position_km - b.position_km).norm() < 1e-6, "t={t}");
        }
    }

    #[test]
    fn kvn_with_two_records_and_comments() {
        let record = "CCSDS_OMM_VERS = 2.0\nCOMMENT made by hand\nOBJECT_NAME = SAT {n}\n\
            EPOCH = 2024-03-01T00:00:00.000Z\nMEAN_MOTION = 15.2 [rev/day]\nECCENTRICITY = 0.001\n\
            INCLINATION = 53.0 [deg]\nRA_OF_ASC_NODE = 10.0\nARG_OF_PERICENTER = 0.0\n\
            MEAN_ANOMALY = {n}0.0\nNORAD_CAT_ID = 9999{n}\nBSTAR = 0.0001\n";
        let text = format!("{}{}", record.replace("{n}", "1"), record.replace("{n}", "2"));
        let orbits = parse_omm(&text).unwrap();
        assert_eq!(orbits.len(), 2);
        assert_eq!(orbits[1].norad_id(), 99_992);
        assert_eq!(orbits[0].name(), Some("SAT 1"));
    }

    #[test]
    fn missing_keys_are_listed() {
        let err = parse_omm(r#"{"OBJECT_NAME": "X", "EPOCH": "2024-03-01T00:00:00"}"#).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("MEAN_MOTION") && text.contains("BSTAR"), "{text}");
    }

    #[test]
    fn garbage_is_an_omm_error() {
        assert!(matches!(parse_omm("[1, 2"), Err(Error::Omm { .. })));
        assert!(matches!(parse_omm("hello world"), Err(Error::Omm { .. })));
        assert!(matches!(parse_omm(""), Err(Error::Omm { .. })));
        let bad_number = ISS_JSON.replace("0.0007417", "\"abc\"");
        assert!(matches!(
            parse_omm(&bad_number),
            Err(Error::Omm { record: 0, .. })
        ));
        let hyperbolic = ISS_JSON.replace("0.0007417", "1.5");
        assert!(matches!(parse_omm(&hyperbolic), Err(Error::Omm { .. })));
    }

    /// Found by fuzzing: a NaN derivative was accepted, then serialised as null.
    #[test]
    fn non_finite_mean_motion_derivatives_are_refused() {
        let kvn = format!("{ISS_KVN}MEAN_MOTION_DOT = nan\n");
        let json = ISS_JSON.replace("\"MEAN_MOTION_DDOT\":0", "\"MEAN_MOTION_DDOT\":\"inf\"");
        assert_ne!(json, ISS_JSON);
        for text in [kvn.as_str(), json.as_str()] {
            match parse_omm(text) {
                Err(Error::Omm { reason, .. }) => assert!(reason.contains("finite"), "{reason}"),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}
