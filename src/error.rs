//! The one error type of the crate.
//!
//! Every variant carries the offending value and where it came from, so a message
//! can be acted on without a debugger. Python maps each variant to an exception
//! class (see `src/python/errors.rs`): input problems become `ValueError`
//! subclasses, failures during computation become `RuntimeError` subclasses.

use hifitime::Epoch;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in orbitedge.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A two-line element set could not be parsed.
    #[error("malformed TLE{}: {reason} (line {line}, columns {first_column}-{last_column})", name_suffix(.name))]
    Tle {
        /// Satellite name, when one was given.
        name: Option<String>,
        /// 1 or 2 (0 when the problem spans both lines).
        line: u8,
        /// First column (1-based, inclusive) of the offending field.
        first_column: usize,
        /// Last column (1-based, inclusive) of the offending field.
        last_column: usize,
        /// What is wrong.
        reason: String,
    },
    /// An Orbit Mean-elements Message could not be parsed.
    #[error("malformed OMM (record {record}): {reason}")]
    Omm {
        /// Index (0-based) of the record in the message.
        record: usize,
        /// What is wrong.
        reason: String,
    },
    /// A numeric parameter is outside its valid range (or not finite).
    #[error("{name} must be {expected}, got {value}")]
    InvalidParameter {
        /// Parameter name, with its unit.
        name: &'static str,
        /// The value that was given.
        value: f64,
        /// The valid range, in words.
        expected: &'static str,
    },
    /// A parameter that must be greater than another one is not (e.g. an
    /// activity's `resume_soc` at or below the charge floor it resumes from).
    #[error("{name} must be greater than {bound_name} ({bound}) in {within}, got {value}")]
    ParameterOrder {
        /// Parameter name.
        name: &'static str,
        /// The value that was given.
        value: f64,
        /// The parameter it must exceed.
        bound_name: &'static str,
        /// That parameter's value.
        bound: f64,
        /// Where both were given.
        within: String,
    },
    /// A named option that is not one of the allowed values.
    #[error("unknown {name} {value:?}; expected {expected}")]
    InvalidChoice {
        /// What was being chosen.
        name: &'static str,
        /// The value that was given.
        value: String,
        /// The allowed values, in words.
        expected: &'static str,
    },
    /// A time interval whose end is not after its start.
    #[error("interval end ({end}) must be after its start ({start})")]
    InvalidInterval {
        /// Start of the interval.
        start: Epoch,
        /// End of the interval.
        end: Epoch,
    },
    /// A required collection was empty.
    #[error("{what} must not be empty")]
    EmptyInput {
        /// What was empty.
        what: &'static str,
    },
    /// A time could not be interpreted.
    #[error("invalid time {input:?}: {reason}")]
    InvalidTime {
        /// The input as given.
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// A tabulated ephemeris is unusable, or was asked for a time outside its span.
    #[error("ephemeris: {reason}")]
    Ephemeris {
        /// What is wrong.
        reason: String,
    },
    /// A model file could not be read or loaded.
    #[error("model {path}: {reason}")]
    ModelFile {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A model could not be loaded or run.
    #[error("model: {reason}")]
    Model {
        /// What is wrong.
        reason: String,
    },
    /// An input tensor does not have the shape the model was built for.
    #[error("input shape {given:?} does not match the model's {expected:?}")]
    ShapeMismatch {
        /// The shape the model expects.
        expected: Vec<usize>,
        /// The shape given.
        given: Vec<usize>,
    },
    /// A configuration file or text (device profile, scenario) could not be read.
    #[error("{origin}: {reason}")]
    Config {
        /// Where the text came from (a file path or a name).
        origin: String,
        /// What is wrong, with the key path when known.
        reason: String,
    },
    /// A request that the current state forbids, e.g. starting an activity that
    /// is already running or stopping one that is not.
    #[error("{0}")]
    Conflict(String),
    /// An orbit that would pass through the Earth (perigee below the surface plus
    /// [`crate::orbit::MIN_PERIGEE_ALTITUDE_KM`]).
    #[error("orbit{}: {reason}", name_suffix(.name))]
    InvalidOrbit {
        /// Satellite name, when known.
        name: Option<String>,
        /// What is wrong, with the numbers.
        reason: String,
    },
    /// A checkpoint could not be decoded, or decoded into an inconsistent state.
    #[error("checkpoint: {reason}")]
    Checkpoint {
        /// What is wrong, with where in the checkpoint.
        reason: String,
    },
    /// The work or memory a request needs exceeds what is allowed: refused before
    /// starting instead of aborting the process half-way.
    #[error("{what} needs {estimate}, more than the limit of {limit}; {hint}")]
    ResourceLimit {
        /// What was asked for.
        what: String,
        /// The estimate, with its unit.
        estimate: String,
        /// The limit, with its unit.
        limit: String,
        /// What to do instead.
        hint: String,
    },
    /// Writing or reading an output file or directory failed (not an input problem).
    #[error("{path}: {reason}")]
    Io {
        /// The file or directory.
        path: String,
        /// What the operating system said.
        reason: String,
    },
    /// A bug in orbitedge or in a library it uses (a caught panic): the message
    /// says where; please report it.
    #[error("internal error in {context}: {message} (please report this at https://github.com/orbitedge/orbitedge/issues)")]
    Internal {
        /// The operation that failed.
        context: String,
        /// The panic message.
        message: String,
    },
    /// The propagator could not produce a state (e.g. SGP4 decay, diverging solution).
    #[error("propagation failed at {epoch}: {reason}")]
    Propagation {
        /// Time at which propagation failed.
        epoch: Epoch,
        /// What the propagator reported.
        reason: String,
    },
    /// A model input holding NaN or infinite values: tract turns them into a
    /// confident-looking output (an all-NaN tile becomes a clear-sky mask), so
    /// they are refused before running.
    #[error("input has {count} non-finite value(s) (NaN or ±inf) among {total}, the first ({first_value}) at index {first_index:?}; replace them (e.g. masked or saturated pixels) before running the model")]
    NonFiniteInput {
        /// How many values are NaN or infinite.
        count: usize,
        /// Number of values in the input.
        total: usize,
        /// Index (one per dimension of the input shape) of the first one.
        first_index: Vec<usize>,
        /// That value: `NaN`, `inf` or `-inf`.
        first_value: String,
    },
    /// A model output holding NaN or infinite values from a finite input: the
    /// numbers would silently become a mask (an all-NaN output reads as clear
    /// sky), so the run fails instead. `cause` names the likely reason.
    #[error("output {output:?} has {count} non-finite value(s) (NaN or ±inf) among {total}, the first ({first_value}) at index {first_index:?}; {cause}")]
    NonFiniteOutput {
        /// The output's name in the model.
        output: String,
        /// How many values are NaN or infinite.
        count: usize,
        /// Number of values in the output.
        total: usize,
        /// Index (one per dimension of the output) of the first one.
        first_index: Vec<usize>,
        /// That value: `NaN`, `inf` or `-inf`.
        first_value: String,
        /// The likely cause and what to do, in words.
        cause: String,
    },
    /// A name that refers to nothing: a spacecraft, station, activity,
    /// partition or relay peer that is not there (HTTP 404 in rehearsals).
    #[error("unknown {kind} {name:?}; expected {expected}")]
    UnknownName {
        /// What the name should refer to.
        kind: &'static str,
        /// The name given.
        name: String,
        /// Where valid names come from, in words.
        expected: &'static str,
    },
    /// A name given twice where names must be unique.
    #[error("duplicate {kind} name {name:?}; names must be unique within {within}")]
    Duplicate {
        /// What is named.
        kind: &'static str,
        /// The name given twice.
        name: String,
        /// Where names must be unique.
        within: String,
    },
    /// One part of a configuration needs another that is missing (a
    /// computer without an imager, measured latencies without a detector).
    #[error("{what} needs {needs}")]
    MissingDependency {
        /// The part that cannot work alone, and where.
        what: String,
        /// What it needs, in words.
        needs: &'static str,
    },
}

fn name_suffix(name: &Option<String>) -> String {
    name.as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| format!(" {n:?}"))
        .unwrap_or_default()
}

impl Error {
    /// An [`Error::Internal`] from a caught panic's payload.
    pub fn from_panic(context: &str, payload: &(dyn std::any::Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        Error::Internal {
            context: context.to_string(),
            message,
        }
    }

    /// Shorthand for [`Error::InvalidParameter`].
    pub(crate) fn parameter(name: &'static str, value: f64, expected: &'static str) -> Self {
        Error::InvalidParameter {
            name,
            value,
            expected,
        }
    }
}

/// Checks that `value` is finite, returning a typed error naming it otherwise.
pub(crate) fn ensure_finite(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::parameter(name, value, "a finite number"))
    }
}

/// Checks that `value` is finite and strictly positive.
pub(crate) fn ensure_positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::parameter(name, value, "a finite number > 0"))
    }
}

/// Checks that `value` is finite and `>= 0`.
pub(crate) fn ensure_non_negative(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::parameter(name, value, "a finite number >= 0"))
    }
}

/// `value` when finite and within `[0, max]`; `expected` says the range in words.
pub(crate) fn ensure_within(name: &'static str, value: f64, max: f64, expected: &'static str) -> Result<f64> {
    if value.is_finite() && (0.0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::parameter(name, value, expected))
    }
}

/// Checks that `start < end`.
pub(crate) fn ensure_interval(start: Epoch, end: Epoch) -> Result<()> {
    if end > start {
        Ok(())
    } else {
        Err(Error::InvalidInterval { start, end })
    }
}

/// Runs `f`, turning a panic (a bug here or in a dependency such as tract) into
/// [`Error::Internal`]: a library must not take its caller down with it.
pub fn catch_panic<T>(context: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(Error::from_panic(context, payload.as_ref())))
}
