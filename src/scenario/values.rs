//! Setting values of a scenario by key path (`bus.power.battery.capacity_wh`,
//! `satellites.0.total`): how a sweep varies one scenario. A bus section the
//! scenario leaves to its preset is first written out with the preset's values.
//! The result is parsed as strictly as a file, so a misspelt key is an error
//! that names it.

use serde_json::Value;

use super::{Format, Scenario};
use crate::error::{Error, Result};
use crate::spacecraft::{RadiationConfig, Spacecraft, StorageConfig};

impl Scenario {
    /// A copy of this scenario with `values` set, each at a dotted key path
    /// (list items by index). A path must lead through sections the scenario
    /// has; a bus section left to the preset (`bus.power` unset) takes the
    /// preset's values first, so only the key named changes.
    ///
    /// ```
    /// use orbitedge::scenario::Scenario;
    /// use serde_json::json;
    ///
    /// let base = Scenario::default_scenario()?;
    /// let varied = base.with_values([("seed", json!(7)), ("satellites.0.altitude_km", json!(600.0))])?;
    /// assert_eq!(varied.seed, 7);
    /// assert_ne!(varied, base);
    /// let typo = base.with_values([("bus.storage.capacity_byte", json!(1e9))]).unwrap_err();
    /// assert!(typo.to_string().contains("capacity_bytes"), "{typo}"); // did you mean
    /// // The default scenario leaves power to the cubesat_6u preset: the rest of it stays.
    /// let lighter = base.with_values([("bus.power.bus_load_w", json!(5.0))])?;
    /// let power = lighter.bus.power.expect("written out");
    /// assert_eq!((power.bus_load_w, power.battery.capacity_wh), (5.0, 40.0));
    /// assert!(base.with_values([("imager.targets.9.name", json!("x"))]).is_err()); // no 10th target
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn with_values<'a>(&self, values: impl IntoIterator<Item = (&'a str, Value)>) -> Result<Self> {
        // JSON writes NaN and infinities as null, which would silently turn an
        // optional value such as `step_s = nan` into "not set".
        if let Some(key) = first_non_finite(
            &toml::Value::try_from(self).map_err(|e| self.error("values", e))?,
            "",
        ) {
            return Err(self.error(
                "values",
                format!("{key} is not a finite number (sweeps cannot carry NaN or infinities)"),
            ));
        }
        let mut tree = serde_json::to_value(self).map_err(|e| self.error("values", e))?;
        for (path, value) in values {
            write_out_preset_section(&mut tree, path);
            set(&mut tree, path, value)?;
        }
        Self::from_str(&tree.to_string(), Format::Json, "sweep values")
    }
}

/// The dotted key path of the first NaN or infinite number in `value`.
fn first_non_finite(value: &toml::Value, at: &str) -> Option<String> {
    let below = |key: &str| {
        if at.is_empty() {
            key.to_string()
        } else {
            format!("{at}.{key}")
        }
    };
    match value {
        toml::Value::Float(x) if !x.is_finite() => Some(at.to_string()),
        toml::Value::Table(table) => table.iter().find_map(|(k, v)| first_non_finite(v, &below(k))),
        toml::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(k, v)| first_non_finite(v, &below(&k.to_string()))),
        _ => None,
    }
}

/// When `path` leads into a bus section the scenario leaves unset, writes the
/// preset's section into `tree`, as `build` would apply it.
fn write_out_preset_section(tree: &mut Value, path: &str) {
    let mut keys = path.split('.');
    let (Some("bus"), Some(section), Some(_)) = (keys.next(), keys.next(), keys.next()) else {
        return;
    };
    let Some(bus) = tree.get_mut("bus") else {
        return;
    };
    // The preset as set so far (an earlier value of the same call may have changed it).
    let preset = bus
        .get("preset")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(slot) = bus.get_mut(section) else {
        return;
    };
    if !slot.is_null() {
        return;
    }
    let filled = match (preset.as_str(), section) {
        ("cubesat_6u", "power") => serde_json::to_value(Spacecraft::cubesat_6u_power()),
        ("cubesat_6u", "thermal") => serde_json::to_value(Spacecraft::cubesat_6u_thermal()),
        (_, "radiation") => serde_json::to_value(RadiationConfig::default()),
        (_, "storage") => serde_json::to_value(StorageConfig::default()),
        _ => return,
    };
    if let Ok(section) = filled {
        *slot = section;
    }
}

fn set(tree: &mut Value, path: &str, value: Value) -> Result<()> {
    let fail = |reason: String| Error::Config {
        origin: format!("key path {path:?}"),
        reason,
    };
    let keys: Vec<&str> = path.split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(fail(
            "empty key (paths look like bus.storage.capacity_bytes)".into(),
        ));
    }
    let (last, parents) = keys.split_last().ok_or_else(|| fail("empty path".into()))?;
    let mut node = tree;
    for (depth, key) in parents.iter().enumerate() {
        let here = keys[..=depth].join(".");
        node = match node {
            Value::Object(map) => map
                .get_mut(*key)
                .ok_or_else(|| fail(format!("the scenario has no section {here:?}")))?,
            Value::Array(items) => item(items, key, &here).map_err(fail)?,
            _ => return Err(fail(format!("{here:?} is a value, not a section"))),
        };
        if node.is_null() {
            return Err(fail(format!(
                "{here:?} is not set in this scenario and its preset has none: \
                 write the section out to vary its keys"
            )));
        }
    }
    match node {
        Value::Object(map) => {
            map.insert((*last).to_string(), value);
        }
        Value::Array(items) => *item(items, last, last).map_err(fail)? = value,
        _ => return Err(fail("the parent is a value, not a section".into())),
    }
    Ok(())
}

/// The list item an index key names, or why not (`here` names it in the message).
fn item<'a>(items: &'a mut [Value], key: &str, here: &str) -> std::result::Result<&'a mut Value, String> {
    let count = items.len();
    key.parse::<usize>()
        .ok()
        .and_then(|k| items.get_mut(k))
        .ok_or_else(|| format!("{here:?}: expected an index below {count}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: `step_s = nan` went through JSON as null and came
    /// back as "not set" (an event-driven run instead of an error).
    #[test]
    fn non_finite_values_are_refused_not_dropped() {
        let text = super::super::DEFAULT_SCENARIO_TOML
            .replace("duration_h = 24.0", "duration_h = 24.0\nstep_s = nan");
        let scenario = Scenario::from_str(&text, Format::Toml, "s.toml").unwrap();
        let err = scenario
            .with_values([("seed", Value::from(7))])
            .unwrap_err()
            .to_string();
        assert!(err.contains("step_s is not a finite number"), "{err}");
        let finite = Scenario::default_scenario().unwrap();
        assert_eq!(finite.with_values([]).unwrap(), finite);
    }
}
