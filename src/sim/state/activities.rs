//! Declared activities: may one run now (one typed reason per shortfall),
//! starts, stops, completions, scheduled and automatic starts, and the two
//! rules against chattering (see [`crate::spacecraft::activity`]): the
//! minimum on-time, during which only *hard* reasons ([`stops_at_once`]) stop
//! a running activity, and the charge hold, which keeps an activity stopped
//! for the charge from starting automatically until the charge is back at its
//! `resume_soc`.

use super::{Context, Log, Running, SpacecraftState, EPS};
use crate::sim::conditions::{self, Demands, Unmet};
use crate::sim::events::EventKind;
use crate::sim::hooks::{SpacecraftHooks, Surroundings};
use crate::sim::plan::{Mark, Plan};
use crate::spacecraft::Spacecraft;

impl SpacecraftState {
    /// Unmet preconditions of activity `k` now (empty: it may run); user
    /// constraints see `around`: the true visible fraction of the Sun, the
    /// peers in view.
    pub(crate) fn unmet(
        &self,
        sc: &Spacecraft,
        k: usize,
        hooks: &SpacecraftHooks,
        elapsed_s: f64,
        around: &Surroundings,
    ) -> Vec<Unmet> {
        let activity = &sc.activities[k];
        let p = &activity.preconditions;
        let demands = Demands {
            soc_floor: self
                .power
                .battery
                .filter(|_| activity.power_w > 0.0)
                .map(|b| p.min_soc.unwrap_or(0.0).max(b.config.min_soc)),
            soc_margin: -EPS,
            min_temperature_k: p.min_temperature_k,
            max_temperature_k: p.max_temperature_k,
            sunlit: p.sunlit,
            on_computer: false,
        };
        let mut reasons = conditions::unmet(&self.conditions(elapsed_s), &demands);
        match p.in_window {
            Some(true) if self.data.contact.is_none() => reasons.push(Unmet::NoContact),
            Some(false) if self.data.contact.is_some() => reasons.push(Unmet::InContact),
            _ => {}
        }
        reasons.extend(self.unmet_storage(sc, activity));
        for (name, constraint) in hooks.constraints_for(&activity.name) {
            if !constraint(&self.view(sc, elapsed_s, around)) {
                reasons.push(Unmet::Constraint {
                    name: name.to_string(),
                });
            }
        }
        reasons
    }

    /// Storage an activity needs: the free space it asks for, room in the
    /// partition it writes to, input in the one it reads from.
    pub(super) fn unmet_storage(
        &self,
        sc: &Spacecraft,
        activity: &crate::spacecraft::ActivityConfig,
    ) -> Vec<Unmet> {
        let mut reasons = Vec::new();
        let index = |name: &str| sc.storage.index(name).ok();
        if let Some(flow) = &activity.produces {
            if let Some(p) = index(&flow.partition) {
                let free_bytes = self.data.storage.free_bytes(p);
                let partition = flow.partition.clone();
                match activity.preconditions.min_free_bytes {
                    Some(need_bytes) if free_bytes < need_bytes => reasons.push(Unmet::StorageLow {
                        partition: partition.clone(),
                        free_bytes,
                        need_bytes,
                    }),
                    _ => {}
                }
                if flow.bytes_per_s > 0.0 && free_bytes < 1.0 {
                    reasons.push(Unmet::PartitionFull { partition });
                }
            }
        }
        if let Some(flow) = &activity.consumes {
            if index(&flow.partition).is_some_and(|p| self.data.storage.used_bytes[p] < 1.0) {
                reasons.push(Unmet::NoInput {
                    partition: flow.partition.clone(),
                });
            }
        }
        reasons
    }

    pub(super) fn start(&mut self, sc: &Spacecraft, k: usize, t: f64, log: &mut Log) {
        if let Some(held) = self.activities.charge_held.get_mut(k) {
            *held = false; // a start (scheduled or automatic) ends the hold
        }
        let ends_s = sc.activities[k].duration_s.map_or(f64::INFINITY, |d| t + d);
        self.activities.running = Some(Running {
            activity: k,
            started_s: t,
            ends_s,
        });
        log.push((
            t,
            EventKind::ActivityStarted {
                activity: sc.activities[k].name.clone(),
            },
        ));
    }

    pub(crate) fn stop(&mut self, sc: &Spacecraft, t: f64, completed: bool, reason: &str, log: &mut Log) {
        if let Some(running) = self.activities.running.take() {
            if let Some(stopped) = self.activities.last_stop_s.get_mut(running.activity) {
                *stopped = t;
            }
            let activity = sc.activities[running.activity].name.clone();
            let reason = reason.to_string();
            log.push((
                t,
                if completed {
                    EventKind::ActivityEnded { activity, reason }
                } else {
                    EventKind::ActivityInterrupted { activity, reason }
                },
            ));
        }
    }

    /// Stops the running activity for the charge (load shedding, brown-out):
    /// with a `resume_soc`, it is held until the charge is back there.
    pub(crate) fn stop_for_charge(&mut self, sc: &Spacecraft, t: f64, reason: &str, log: &mut Log) {
        if let Some(running) = self.activities.running {
            self.hold_for_charge(sc, running.activity);
        }
        self.stop(sc, t, false, reason, log);
    }

    fn hold_for_charge(&mut self, sc: &Spacecraft, k: usize) {
        if sc.activities[k].preconditions.resume_soc.is_some() {
            if let Some(held) = self.activities.charge_held.get_mut(k) {
                *held = true;
            }
        }
    }

    /// At a decision point: the running activity keeps meeting its
    /// preconditions or stops, except that within its minimum on-time
    /// (`min_on_s` from its start) only reasons that [stop it at
    /// once](stops_at_once) do; stopped for the charge, it is held.
    pub(super) fn check_running(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        (t, around): (f64, &Surroundings),
        log: &mut Log,
    ) {
        let Some(running) = self.activities.running else {
            return;
        };
        let reasons = self.unmet(sc, running.activity, hooks, t, around);
        if reasons.is_empty() {
            return;
        }
        let protected = t < running.started_s + sc.activities[running.activity].min_on_s - EPS;
        let battery_floor = self.power.battery.map(|b| b.config.min_soc);
        if protected && !reasons.iter().any(|r| stops_at_once(r, battery_floor)) {
            return; // soft reasons wait for the minimum on-time
        }
        if reasons
            .iter()
            .any(|r| matches!(r, Unmet::StateOfCharge { .. } | Unmet::BrownOut))
        {
            self.hold_for_charge(sc, running.activity);
        }
        self.stop(sc, t, false, &conditions::words(&reasons).join("; "), log);
    }

    /// At a decision point: held activities whose charge is back at their
    /// `resume_soc` may start automatically again.
    pub(super) fn release_holds(&mut self, sc: &Spacecraft) {
        let Some(soc) = self.power.battery.map(|b| b.soc()) else {
            return;
        };
        for (held, activity) in self.activities.charge_held.iter_mut().zip(&sc.activities) {
            if *held && activity.preconditions.resume_soc.is_some_and(|r| soc >= r - EPS) {
                *held = false;
            }
        }
    }

    /// An activity whose duration elapsed ends; a browned-out battery back at
    /// its floor recovers.
    pub(super) fn completions(&mut self, sc: &Spacecraft, t: f64, log: &mut Log) {
        // Activity completion.
        if let Some(running) = self.activities.running {
            if running.ends_s <= t + EPS {
                self.stop(sc, t, true, "duration elapsed", log);
            }
        }
        // The application's loads started for a duration.
        let due: Vec<String> = (self.activities.external_load_ends.iter())
            .filter(|(_, end_s)| **end_s <= t + EPS)
            .map(|(name, _)| name.clone())
            .collect();
        for activity in due {
            self.activities.external_load_ends.remove(&activity);
            self.activities.external_loads.remove(&activity);
            let reason = "duration elapsed".to_string();
            log.push((t, EventKind::ActivityEnded { activity, reason }));
        }
        // Brown-out recovery.
        if self.power.browned_out {
            if let Some(battery) = &self.power.battery {
                if battery.soc() >= battery.config.min_soc - EPS {
                    self.power.browned_out = false;
                    log.push((t, EventKind::BatteryRecovered));
                }
            }
        }
    }

    /// Scheduled starts due at `t` (at or just before it, not yet handled);
    /// `fraction` is the Sun's visible fraction the constraints see.
    pub(super) fn scheduled_starts(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        plan: &Plan,
        ctx: &Context<'_>,
        (t, around): (f64, &Surroundings),
        log: &mut Log,
    ) {
        let lookback = self.window(ctx);
        let handled = self.activities.scheduled_handled_s.unwrap_or(f64::NEG_INFINITY);
        let due: Vec<Mark<usize>> = plan
            .scheduled
            .iter()
            .filter(|m| m.at_s <= t + EPS && m.at_s > t - lookback && m.at_s > handled)
            .copied()
            .collect();
        if let Some(latest) = due.iter().map(|m| m.at_s).reduce(f64::max) {
            self.activities.scheduled_handled_s = Some(latest);
        }
        for Mark { what: k, .. } in due {
            if self.activities.running.is_some() {
                log.push((
                    t,
                    EventKind::ActivityRejected {
                        activity: sc.activities[k].name.clone(),
                        reasons: vec![Unmet::Busy.to_string()],
                    },
                ));
                continue;
            }
            let reasons = self.unmet(sc, k, hooks, t, around);
            if reasons.is_empty() {
                self.start(sc, k, t, log);
            } else {
                log.push((
                    t,
                    EventKind::ActivityRejected {
                        activity: sc.activities[k].name.clone(),
                        reasons: conditions::words(&reasons),
                    },
                ));
            }
        }
    }

    /// The first `auto` activity that may start at `t` starts (past its
    /// cooldown, not stopped at this very instant, not held for the charge).
    pub(super) fn automatic_starts(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        (t, around): (f64, &Surroundings),
        log: &mut Log,
    ) {
        if self.activities.running.is_none() && self.radiation.alive {
            for k in 0..sc.activities.len() {
                let activity = &sc.activities[k];
                if !activity.auto || t - self.activities.last_auto_start_s[k] < activity.cooldown_s - EPS {
                    continue;
                }
                if self
                    .activities
                    .last_stop_s
                    .get(k)
                    .is_some_and(|stopped| (t - stopped).abs() <= EPS)
                {
                    continue; // stopped at this very instant: wait for time to pass
                }
                if self.activities.charge_held.get(k).copied().unwrap_or(false) {
                    continue; // stopped for the charge: wait for its resume_soc
                }
                if self.unmet(sc, k, hooks, t, around).is_empty() {
                    self.activities.last_auto_start_s[k] = t;
                    self.start(sc, k, t, log);
                    break;
                }
            }
        }
    }
}

/// Whether `reason` stops a running activity even within its minimum
/// on-time: everything but its soft preconditions. Soft (they wait for
/// `min_on_s`): its own `min_soc` while the charge is at or above the
/// battery's own floor `battery_floor`, the temperature range, `sunlit`,
/// `in_window`, `min_free_bytes` and user constraints. Hard: a failure, a
/// brown-out, the charge below the battery's floor, a full output partition,
/// an empty input partition (and any reason not about this activity's own
/// preconditions).
fn stops_at_once(reason: &Unmet, battery_floor: Option<f64>) -> bool {
    match reason {
        Unmet::StateOfCharge { soc, .. } => battery_floor.is_some_and(|floor| *soc < floor - EPS),
        Unmet::TooCold { .. }
        | Unmet::TooHot { .. }
        | Unmet::NotSunlit
        | Unmet::NotInShadow
        | Unmet::NoContact
        | Unmet::InContact
        | Unmet::StorageLow { .. }
        | Unmet::Constraint { .. } => false,
        Unmet::Failed
        | Unmet::BrownOut
        | Unmet::Rebooting
        | Unmet::DeferredToSunlight { .. }
        | Unmet::PartitionFull { .. }
        | Unmet::NoInput { .. }
        | Unmet::Busy
        | Unmet::AlreadyRunning { .. } => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_soft_preconditions_wait_for_the_minimum_on_time() {
        let floor = Some(0.2);
        let soft = [
            Unmet::StateOfCharge {
                soc: 0.45,
                floor: 0.5,
            },
            Unmet::StateOfCharge { soc: 0.2, floor: 0.5 }, // at the battery's floor: still soft
            Unmet::TooCold {
                temperature_k: 250.0,
                min_k: 260.0,
            },
            Unmet::TooHot {
                temperature_k: 330.0,
                max_k: 320.0,
            },
            Unmet::NotSunlit,
            Unmet::NotInShadow,
            Unmet::NoContact,
            Unmet::InContact,
            Unmet::StorageLow {
                partition: "raw".into(),
                free_bytes: 1.0,
                need_bytes: 2.0,
            },
            Unmet::Constraint { name: "mine".into() },
        ];
        let hard = [
            Unmet::StateOfCharge {
                soc: 0.19,
                floor: 0.5,
            },
            Unmet::Failed,
            Unmet::BrownOut,
            Unmet::PartitionFull {
                partition: "raw".into(),
            },
            Unmet::NoInput {
                partition: "raw".into(),
            },
        ];
        for reason in &soft {
            assert!(!stops_at_once(reason, floor), "{reason}");
        }
        for reason in &hard {
            assert!(stops_at_once(reason, floor), "{reason}");
        }
        // Without a battery no charge reason arises; if one did, it would wait.
        assert!(!stops_at_once(
            &Unmet::StateOfCharge { soc: 0.0, floor: 0.5 },
            None
        ));
    }
}
