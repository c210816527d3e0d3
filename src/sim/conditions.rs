//! May this work run now? One answer for the activities, the onboard computer
//! and a rehearsal's flight application.
//!
//! [`Conditions`] are the facts of one spacecraft at one instant (working or
//! not, the charge, the temperature, the light); [`Demands`] are what one
//! piece of work needs (a charge floor, a temperature range, sunlight);
//! [`unmet`] compares them and names each shortfall with one typed
//! [`Unmet`], which renders in one wording wherever it is shown: the event
//! log, Python, the rehearsal's HTTP answers.

use std::fmt;

use crate::compute::ComputerConfig;
use crate::environment::eclipse::Light;
use crate::sim::onboard::DeferReason;
use crate::sim::EPS;

/// The facts of one spacecraft at one instant that gate work.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conditions {
    /// Not permanently failed.
    pub alive: bool,
    /// The battery is empty and loads go unserved.
    pub browned_out: bool,
    /// The onboard computer reboots after a restart.
    pub rebooting: bool,
    /// State of charge (`None` without a power model).
    pub soc: Option<f64>,
    /// Temperature, K (NaN without a thermal model: no limit applies).
    pub temperature_k: f64,
    /// Light.
    pub light: Light,
}

/// What one piece of work needs to run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Demands {
    /// The lowest state of charge it may run at.
    pub soc_floor: Option<f64>,
    /// Added to the floor when starting (a hysteresis against restarting
    /// right after a stop at the floor); negative for a tolerance.
    pub soc_margin: f64,
    /// Coldest temperature, K.
    pub min_temperature_k: Option<f64>,
    /// Hottest temperature, K.
    pub max_temperature_k: Option<f64>,
    /// `Some(true)`: only in full sunlight; `Some(false)`: only in shadow.
    pub sunlit: Option<bool>,
    /// Runs on the onboard computer (which cannot while it reboots).
    pub on_computer: bool,
}

impl Demands {
    /// What the onboard computer needs (its floor with the battery's own,
    /// `battery_min_soc`), without a start margin.
    pub fn of_computer(computer: &ComputerConfig, battery_min_soc: Option<f64>) -> Self {
        let d = &computer.device;
        Demands {
            soc_floor: battery_min_soc.map(|b| computer.min_soc.max(b)),
            soc_margin: -EPS,
            min_temperature_k: Some(d.min_temperature_k.value),
            max_temperature_k: Some(d.max_temperature_k.value),
            sunlit: computer.sunlit_only.then_some(true),
            on_computer: true,
        }
    }
}

impl Demands {
    /// What any load needs on a spacecraft without a computer: the battery's
    /// own floor (`None` without a power model).
    pub fn of_battery(battery_min_soc: Option<f64>) -> Self {
        Demands {
            soc_floor: battery_min_soc,
            soc_margin: -EPS,
            ..Demands::default()
        }
    }
}

/// Why work may not run now: the one reason type of the crate (activities,
/// the onboard computer, a flight application), rendered in the same words in
/// the event log, Python and the rehearsal's HTTP answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Unmet {
    /// The spacecraft failed permanently.
    Failed,
    /// The battery is empty.
    BrownOut,
    /// The computer reboots after a restart.
    Rebooting,
    /// The charge is below the floor.
    StateOfCharge {
        /// State of charge.
        soc: f64,
        /// The floor.
        floor: f64,
    },
    /// Colder than allowed.
    TooCold {
        /// Temperature, K.
        temperature_k: f64,
        /// Limit, K.
        min_k: f64,
    },
    /// Hotter than allowed.
    TooHot {
        /// Temperature, K.
        temperature_k: f64,
        /// Limit, K.
        max_k: f64,
    },
    /// Not in full sunlight.
    NotSunlit,
    /// Not in shadow.
    NotInShadow,
    /// The energy-aware policy waits for sunlight below its charge threshold.
    DeferredToSunlight {
        /// State of charge.
        soc: f64,
        /// The policy's threshold.
        threshold: f64,
    },
    /// The activity needs a ground contact and there is none.
    NoContact,
    /// The activity must not run in a ground contact, and one is under way.
    InContact,
    /// Less free storage than the activity asks for before it starts.
    StorageLow {
        /// The partition it writes to.
        partition: String,
        /// Bytes free there.
        free_bytes: f64,
        /// Bytes it asks for.
        need_bytes: f64,
    },
    /// The partition the activity writes to is full.
    PartitionFull {
        /// The partition.
        partition: String,
    },
    /// The partition the activity reads from is empty.
    NoInput {
        /// The partition.
        partition: String,
    },
    /// A user constraint said no.
    Constraint {
        /// Its name.
        name: String,
    },
    /// Another declared activity is running (one at a time).
    Busy,
    /// The flight application's activity of this name is already running.
    AlreadyRunning {
        /// Its name.
        activity: String,
    },
}

impl Unmet {
    /// The class of the reason, as the onboard computer's deferrals count it
    /// (`None` for reasons that only concern declared or application
    /// activities: contact, storage, constraints, one at a time).
    pub fn kind(&self) -> Option<DeferReason> {
        match self {
            Unmet::Failed | Unmet::Rebooting => Some(DeferReason::Fault),
            Unmet::BrownOut | Unmet::StateOfCharge { .. } => Some(DeferReason::Power),
            Unmet::TooCold { .. } | Unmet::TooHot { .. } => Some(DeferReason::Thermal),
            Unmet::NotSunlit | Unmet::NotInShadow | Unmet::DeferredToSunlight { .. } => {
                Some(DeferReason::Eclipse)
            }
            Unmet::NoContact
            | Unmet::InContact
            | Unmet::StorageLow { .. }
            | Unmet::PartitionFull { .. }
            | Unmet::NoInput { .. }
            | Unmet::Constraint { .. }
            | Unmet::Busy
            | Unmet::AlreadyRunning { .. } => None,
        }
    }
}

impl fmt::Display for Unmet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unmet::Failed => f.write_str("spacecraft has failed"),
            Unmet::BrownOut => f.write_str("battery empty (brown-out)"),
            Unmet::Rebooting => f.write_str("rebooting after a restart"),
            Unmet::StateOfCharge { soc, floor } => write!(f, "state of charge {soc:.3} < {floor:.3}"),
            Unmet::TooCold { temperature_k, min_k } => {
                write!(f, "temperature {temperature_k:.2} K < {min_k} K")
            }
            Unmet::TooHot { temperature_k, max_k } => {
                write!(f, "temperature {temperature_k:.2} K > {max_k} K")
            }
            Unmet::NotSunlit => f.write_str("not sunlit"),
            Unmet::NotInShadow => f.write_str("not in shadow"),
            Unmet::DeferredToSunlight { soc, threshold } => {
                write!(
                    f,
                    "energy-aware: deferred to sunlight (state of charge {soc:.3} < {threshold:.3})"
                )
            }
            Unmet::NoContact => f.write_str("no ground contact"),
            Unmet::InContact => f.write_str("in ground contact"),
            Unmet::StorageLow {
                partition,
                free_bytes,
                need_bytes,
            } => write!(f, "{free_bytes:.0} bytes free in {partition} < {need_bytes:.0}"),
            Unmet::PartitionFull { partition } => write!(f, "storage partition {partition} is full"),
            Unmet::NoInput { partition } => write!(f, "no input data in {partition}"),
            Unmet::Constraint { name } => write!(f, "constraint {name:?} not met"),
            Unmet::Busy => f.write_str("another activity is running"),
            Unmet::AlreadyRunning { activity } => write!(f, "activity {activity:?} is already running"),
        }
    }
}

/// The reasons in their words, in order.
pub fn words(reasons: &[Unmet]) -> Vec<String> {
    reasons.iter().map(ToString::to_string).collect()
}

/// Every demand the conditions do not meet, in a fixed order (empty: the work
/// may run).
pub fn unmet(conditions: &Conditions, demands: &Demands) -> Vec<Unmet> {
    let c = conditions;
    let mut reasons = Vec::new();
    if !c.alive {
        reasons.push(Unmet::Failed);
    }
    if c.browned_out {
        reasons.push(Unmet::BrownOut);
    }
    if demands.on_computer && c.rebooting {
        reasons.push(Unmet::Rebooting);
    }
    if let (Some(soc), Some(floor)) = (c.soc, demands.soc_floor) {
        if soc < floor + demands.soc_margin {
            reasons.push(Unmet::StateOfCharge { soc, floor });
        }
    }
    if let Some(min_k) = demands.min_temperature_k.filter(|min| c.temperature_k < *min) {
        reasons.push(Unmet::TooCold {
            temperature_k: c.temperature_k,
            min_k,
        });
    }
    if let Some(max_k) = demands.max_temperature_k.filter(|max| c.temperature_k > *max) {
        reasons.push(Unmet::TooHot {
            temperature_k: c.temperature_k,
            max_k,
        });
    }
    match demands.sunlit {
        Some(true) if c.light != Light::Sunlit => reasons.push(Unmet::NotSunlit),
        Some(false) if c.light == Light::Sunlit => reasons.push(Unmet::NotInShadow),
        _ => {}
    }
    reasons
}
