//! Advancing one spacecraft over a span: breakpoints, the decisions taken at
//! them, radiation events, and the integration of the sub-steps between them.

use super::{Context, Light, Log, Resume, SpacecraftState, Span, EPS};
use crate::error::Result;
use crate::sim::events::{EventKind, FailureCause};
use crate::sim::hooks::{SpacecraftHooks, Surroundings};
use crate::sim::plan::{find_from, Plan};
use crate::sim::step::Inputs;
use crate::spacecraft::radiation::RadiationProcess;
use crate::spacecraft::Spacecraft;

impl SpacecraftState {
    /// Advances over `span`. Decisions are taken at breakpoints only; a span
    /// that ends between two (a cut) leaves a [`Resume`] for the next call.
    pub(crate) fn advance(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        plan: &Plan,
        ctx: &Context<'_>,
        span: Span,
        log: &mut Log,
    ) -> Result<()> {
        if span.to_s - span.from_s <= EPS && span.to_s < span.sync_s {
            return Ok(()); // nothing to integrate and nothing to decide
        }
        let mut t = span.from_s;
        let mut decide = true;
        if let Some(resume) = self.resume.take() {
            // Continue the cut sub-step from its start, as an uncut run does.
            t = resume.at_s;
            self.resume(*resume);
            decide = false;
        }
        let mut stalled = 0;
        while t < span.to_s - EPS {
            if decide {
                self.discrete_updates(sc, hooks, plan, ctx, t, log)?;
            }
            decide = true;
            let next = self.next_breakpoint(sc, plan, ctx, t, span.sync_s);
            let (reached, cut) = self.integrate(sc, hooks, plan, ctx, (t, next, span.to_s.min(next)), log)?;
            if cut {
                return Ok(());
            }
            // The restart rule (`last_stop_s`) bounds how often a step can end
            // where it began; a long run of those would be a bug, reported
            // rather than looped on.
            stalled = if reached > t + EPS { 0 } else { stalled + 1 };
            if stalled > 1_000 {
                return Err(crate::Error::Internal {
                    context: format!("the engine at {}", ctx.axis.epoch(t)),
                    message: format!("no progress for {}", sc.name),
                });
            }
            t = reached;
        }
        // Settle what happens exactly at the end (edges, ends) so the state at
        // `to_s` is the state just after it.
        self.discrete_updates(sc, hooks, plan, ctx, span.to_s, log)?;
        Ok(())
    }

    pub(super) fn is_decision_point(ctx: &Context<'_>, t: f64) -> bool {
        match ctx.step_s {
            None => true,
            Some(step) => {
                let k = (t / step).round();
                (t - k * step).abs() < 1e-6
            }
        }
    }

    pub(super) fn discrete_updates(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        plan: &Plan,
        ctx: &Context<'_>,
        t: f64,
        log: &mut Log,
    ) -> Result<()> {
        // Radiation events due now.
        self.radiation_events(sc, t, log);
        self.edges(plan, ctx, t, log);
        self.completions(sc, t, log);
        let decide = Self::is_decision_point(ctx, t);
        self.onboard_updates(sc, hooks, plan, t, decide, log)?;
        if !decide {
            return Ok(());
        }
        // User constraints see the Sun as it is (the conical fraction in
        // penumbra), as property hooks do; computed only when there are any.
        let around = if hooks.has_constraints() {
            Surroundings {
                sunlit_fraction: self.environment(sc, plan, ctx, self.light, t)?.2,
                peers_in_view: plan.peer_names_at(t, ctx.spacecraft_names),
            }
        } else {
            Surroundings::unknown()
        };
        // A running activity must keep meeting its preconditions.
        self.check_running(sc, hooks, (t, &around), log);
        self.release_holds(sc);
        self.scheduled_starts(sc, hooks, plan, ctx, (t, &around), log);
        self.automatic_starts(sc, hooks, (t, &around), log);
        Ok(())
    }

    /// Light and contact edges at `t`.
    pub(super) fn edges(&mut self, plan: &Plan, ctx: &Context<'_>, t: f64, log: &mut Log) {
        let light = find_from(&plan.light, t, &mut self.cursors.light).unwrap_or(Light::Sunlit);
        if light != self.light {
            log.push((
                t,
                EventKind::LightChanged {
                    from: self.light,
                    to: light,
                },
            ));
            self.light = light;
        }
        // A contact in progress goes on while its station's interval lasts, even
        // when another station's interval overlaps (they start together when a
        // run begins mid-pass).
        let ongoing = self
            .data
            .contact
            .filter(|current| plan.contacts.iter().any(|c| c.what == *current && c.contains(t)));
        let contact = if self.radiation.alive {
            let next = find_from(&plan.contacts, t, &mut self.cursors.contact);
            ongoing.or(next)
        } else {
            None
        };
        if contact != self.data.contact {
            if let Some(old) = self.data.contact {
                log.push((
                    t,
                    EventKind::ContactEnded {
                        station: ctx.station_names[old].clone(),
                        bytes_downlinked: self.data.contact_bytes,
                    },
                ));
            }
            if let Some(new) = contact {
                log.push((
                    t,
                    EventKind::ContactStarted {
                        station: ctx.station_names[new].clone(),
                    },
                ));
            }
            self.data.contact = contact;
            self.data.contact_bytes = 0.0;
        }
    }

    /// How far back a scheduled start still counts at a decision point: one step
    /// in fixed-step mode (requests between grid points wait for the next one).
    pub(super) fn window(&self, ctx: &Context<'_>) -> f64 {
        ctx.step_s.map_or(EPS * 2.0, |s| s - EPS)
    }

    pub(super) fn radiation_events(&mut self, sc: &Spacecraft, t: f64, log: &mut Log) {
        loop {
            let (k, due) = self
                .radiation
                .streams
                .iter()
                .enumerate()
                .map(|(k, s)| (k, s.next_s))
                .fold((0, f64::INFINITY), |best, x| if x.1 < best.1 { x } else { best });
            if due > t + EPS {
                break;
            }
            let at = due.max(0.0);
            match RadiationProcess::ALL[k] {
                RadiationProcess::DataCorruption => {
                    let u = self.radiation.streams[k].uniform();
                    if let Some((partition, bytes)) = self
                        .data
                        .storage
                        .corrupt(sc.radiation.corruption_bytes_per_event, u)
                    {
                        log.push((
                            at,
                            EventKind::DataCorrupted {
                                partition: sc.storage.partitions[partition].name.clone(),
                                bytes,
                            },
                        ));
                    }
                }
                RadiationProcess::Restart => {
                    if self.radiation.alive {
                        log.push((at, EventKind::Restart));
                        self.stop(sc, at, false, "radiation restart", log);
                        self.onboard_restart(sc, at, log);
                    }
                }
                RadiationProcess::Failure => {
                    if self.radiation.alive {
                        self.fail(sc, at, FailureCause::Radiation, log);
                    }
                }
            }
            self.radiation.streams[k].advance();
        }
    }

    pub(crate) fn fail(&mut self, sc: &Spacecraft, t: f64, cause: FailureCause, log: &mut Log) {
        self.stop(sc, t, false, "permanent failure", log);
        if let Some(computer) = &sc.computer {
            self.preempt_job(computer, t, "permanent failure", false, log);
        }
        self.radiation.alive = false;
        log.push((t, EventKind::PermanentFailure { cause }));
    }

    pub(super) fn next_breakpoint(
        &mut self,
        sc: &Spacecraft,
        plan: &Plan,
        ctx: &Context<'_>,
        t: f64,
        to_s: f64,
    ) -> f64 {
        let cursor = &mut self.cursors.edge;
        if *cursor > 0 && *cursor <= plan.edges.len() && plan.edges[*cursor - 1] > t + EPS {
            *cursor = plan.edges.partition_point(|x| *x <= t + EPS);
        }
        while *cursor < plan.edges.len() && plan.edges[*cursor] <= t + EPS {
            *cursor += 1;
        }
        let next_edge = plan.edges.get(*cursor).copied();
        let mut next = to_s;
        let mut consider = |x: f64| {
            if x > t + EPS && x < next {
                next = x;
            }
        };
        if let Some(edge) = next_edge {
            consider(edge);
        }
        for stream in &self.radiation.streams {
            consider(stream.next_s);
        }
        if let Some(running) = self.activities.running {
            consider(running.ends_s);
            // The end of the minimum on-time, where soft preconditions apply
            // again (fixed steps decide on their grid only).
            let min_on_s = sc.activities[running.activity].min_on_s;
            if min_on_s > 0.0 && ctx.step_s.is_none() {
                consider(running.started_s + min_on_s);
            }
        }
        for end_s in self.activities.external_load_ends.values() {
            consider(*end_s);
        }
        if let Some(onboard) = &self.onboard {
            if let Some(job) = &onboard.running {
                consider(job.ends_s);
            }
            consider(onboard.booting_until_s);
        }
        if let Some(step) = ctx.step_s {
            consider(((t + EPS) / step).floor() * step + step);
        }
        next
    }

    /// Integrates the continuous state from `t` towards the breakpoint `end`,
    /// stopping at `stop` (≤ `end`) when the run ends first. Returns where it
    /// stopped (earlier when a threshold was reached) and whether that is a cut:
    /// a stop between breakpoints, which leaves a [`Resume`].
    pub(super) fn integrate(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        plan: &Plan,
        ctx: &Context<'_>,
        (t, end, stop): (f64, f64, f64),
        log: &mut Log,
    ) -> Result<(f64, bool)> {
        let inputs = Inputs { sc, hooks, plan, ctx };
        if ctx.paseos {
            // One step, no split at eclipse edges: all-or-nothing charging as PASEOS.
            let sunlit = |x: f64| plan.light_at(x) == Light::Sunlit;
            let shade = |lit: bool| if lit { Light::Sunlit } else { Light::Umbra };
            let lights = (shade(sunlit(t) && sunlit(end - EPS)), shade(sunlit(t)));
            return self.cuttable_substep(inputs, lights, (t, end, stop), log);
        }
        // `discrete_updates` settled the light at `t` and no light edge lies
        // inside (t, end): it holds for the whole segment.
        let light = self.light;
        let substep = if light == Light::Penumbra {
            1.0
        } else {
            ctx.max_substep_s
        };
        // Sub-steps end on a grid fixed to the simulation start, so that runs with
        // different breakpoints (fixed steps, event-driven) integrate alike.
        let mut s0 = t;
        while s0 < end - EPS {
            let s1 = (((s0 + EPS) / substep).floor() * substep + substep).min(end);
            let (reached, cut) = self.cuttable_substep(inputs, (light, light), (s0, s1, stop), log)?;
            if cut || reached < s1 - EPS {
                return Ok((reached, cut));
            }
            s0 = s1;
            // Queued work that may now start (or must now wait) needs a decision.
            if self
                .onboard
                .as_ref()
                .is_some_and(|o| o.blocked != self.deferral(sc, s1).map(|d| d.0))
            {
                return Ok((s1, false));
            }
            if s1 >= stop - EPS && s1 < end - EPS {
                // The run ends on a sub-step boundary between breakpoints.
                self.resume = Some(Box::new(Resume {
                    at_s: s1,
                    state: self.resume_copy(),
                }));
                return Ok((s1, true));
            }
        }
        Ok((end, false))
    }

    /// A sub-step [s0, s1] that the run's end may cut at `stop`: the rates are
    /// always those of the whole sub-step, so the state up to `stop` and any
    /// threshold before it are exactly those of an uncut run.
    pub(super) fn cuttable_substep(
        &mut self,
        inputs: Inputs<'_>,
        lights: (Light, Light),
        (s0, s1, stop): (f64, f64, f64),
        log: &mut Log,
    ) -> Result<(f64, bool)> {
        if stop >= s1 - EPS {
            return Ok((self.substep(inputs, lights, (s0, s1, s1), log)?.0, false));
        }
        let resume = Resume {
            at_s: s0,
            state: self.resume_copy(),
        };
        let (reached, cut) = self.substep(inputs, lights, (s0, s1, stop), log)?;
        if cut {
            self.resume = Some(Box::new(resume));
        }
        // Otherwise a threshold came first: a real breakpoint, as in an uncut run.
        Ok((reached, cut))
    }
}
