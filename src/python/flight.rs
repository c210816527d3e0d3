//! A flight application's verbs on an in-process `Simulation`: the same
//! names, arguments, return types and error classes as the rehearsal
//! `Client`, acting at the simulation's current time. An application written
//! as `def app(link): ...` runs on either.

use std::collections::BTreeSet;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use super::errors::{guard, input_error, IntoPy};
use super::sim::{to_python, PyEvent, PySimulation};
use super::time;
use crate::sim::{Event, EventKind, Stepping};

/// How long `wait_for` waits without a `timeout_s`: one year of simulated time.
const WAIT_FOR_DEFAULT_S: f64 = 366.0 * 86_400.0;

/// The keyword arguments of `rehearsal.SpacecraftState` for `view`, built
/// directly (a JSON round trip cost more than the engine's part of a read).
fn state_kwargs(py: Python<'_>, view: crate::sim::StateView) -> PyResult<Bound<'_, PyDict>> {
    // Destructured so that a new field cannot be forgotten here.
    let crate::sim::StateView {
        spacecraft,
        time,
        elapsed_s,
        state_of_charge,
        battery_wh,
        power_in_w,
        power_out_w,
        power_available_w,
        temperature_k,
        sunlit_fraction,
        in_window,
        window_ends,
        next_window,
        storage_free_bytes,
        activities,
        alive,
        in_view,
    } = view;
    let d = PyDict::new(py);
    d.set_item("spacecraft", spacecraft)?;
    d.set_item("time", time)?;
    d.set_item("elapsed_s", elapsed_s)?;
    d.set_item("state_of_charge", state_of_charge)?;
    d.set_item("battery_wh", battery_wh)?;
    d.set_item("power_in_w", power_in_w)?;
    d.set_item("power_out_w", power_out_w)?;
    d.set_item("power_available_w", power_available_w)?;
    d.set_item("temperature_k", temperature_k)?;
    d.set_item("sunlit_fraction", sunlit_fraction)?;
    d.set_item("in_window", in_window)?;
    d.set_item("window_ends", window_ends)?;
    d.set_item("next_window", next_window)?;
    d.set_item("storage_free_bytes", storage_free_bytes)?;
    d.set_item("activities", activities)?;
    d.set_item("alive", alive)?;
    d.set_item("in_view", in_view)?;
    Ok(d)
}

/// `orbitedge.rehearsal.SpacecraftState` (shared with the Client), looked up
/// once: a decision loop reads states thousands of times.
fn state_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    CLASS.import(py, "orbitedge.rehearsal", "SpacecraftState")
}

/// `orbitedge.rehearsal.Decision`, looked up once.
fn decision_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    CLASS.import(py, "orbitedge.rehearsal", "Decision")
}

#[pymethods]
impl PySimulation {
    /// What a flight application reads about ``spacecraft`` now: an
    /// ``orbitedge.rehearsal.SpacecraftState`` (state of charge, power budget,
    /// temperature, light, station windows, storage, the application's
    /// activities, and ``in_view``: stations and spacecraft in line of sight).
    fn state<'py>(&mut self, py: Python<'py>, spacecraft: &str) -> PyResult<Bound<'py, PyAny>> {
        guard("Simulation.state", || {
            // Without the GIL: it may plan a block on rayon threads, where a
            // satellite on a Python function takes the GIL (held here, a deadlock).
            let inner = &mut self.inner;
            let view = py.detach(|| inner.flight_state(spacecraft)).py_err()?;
            state_class(py)?.call((), Some(&state_kwargs(py, view)?))
        })
    }

    /// Whether ``activity`` drawing ``power_w`` for ``duration_s`` may start
    /// now (an ``orbitedge.rehearsal.Decision``: truthy when it may, with the
    /// reasons when not).
    #[pyo3(signature = (spacecraft, activity, power_w, duration_s = 0.0))]
    fn may_run<'py>(
        &self,
        py: Python<'py>,
        spacecraft: &str,
        activity: &str,
        power_w: f64,
        duration_s: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard("Simulation.may_run", || {
            let d = (self.inner.may_run(spacecraft, activity, power_w, duration_s)).py_err()?;
            decision_class(py)?.call1((d.allowed, d.reasons))
        })
    }

    /// Switches the application's load ``activity`` on now, drawing
    /// ``power_w``: until :meth:`stop`, or for ``duration_s`` simulated
    /// seconds (the engine ends it then, logging ``activity_ended``).
    #[pyo3(signature = (spacecraft, activity, power_w, duration_s = None))]
    fn start(
        &mut self,
        spacecraft: &str,
        activity: &str,
        power_w: f64,
        duration_s: Option<f64>,
    ) -> PyResult<()> {
        guard("Simulation.start", || {
            match duration_s {
                None => self.inner.start_external_load(spacecraft, activity, power_w),
                Some(d) => (self.inner).start_external_load_for(spacecraft, activity, power_w, d),
            }
            .py_err()
        })
    }

    /// Switches ``activity`` off now; returns the power it drew, W.
    fn stop(&mut self, spacecraft: &str, activity: &str) -> PyResult<f64> {
        guard("Simulation.stop", || {
            self.inner.stop_external_load(spacecraft, activity).py_err()
        })
    }

    /// Writes ``bytes`` of produced data to ``partition`` now; returns the
    /// bytes that fitted (a full partition logs ``storage_full``).
    #[pyo3(signature = (spacecraft, bytes, partition = "products"))]
    fn write_data(&mut self, spacecraft: &str, bytes: f64, partition: &str) -> PyResult<f64> {
        guard("Simulation.write_data", || {
            self.inner.store_data(spacecraft, partition, bytes).py_err()
        })
    }

    /// Sends ``bytes`` of ``partition`` from spacecraft ``src`` to ``dst`` (a
    /// spacecraft, over both ends' inter-satellite radios, into its partition
    /// of the same name; or a ground station, during ``src``'s contacts with
    /// it) at the link's rate while the two are in view, pausing outside
    /// windows. The bytes leave ``partition`` now; ``transfer_completed`` or
    /// ``transfer_incomplete`` (what was left goes back) ends it. ``radio``:
    /// the sender's radio by name (default: the first that fits);
    /// ``timeout_s``: no byte moves after that long. Returns the transfer id.
    #[pyo3(signature = (src, dst, bytes, partition = "products", radio = None, timeout_s = None))]
    fn send(
        &mut self,
        src: &str,
        dst: &str,
        bytes: f64,
        partition: &str,
        radio: Option<&str>,
        timeout_s: Option<f64>,
    ) -> PyResult<String> {
        guard("Simulation.send", || {
            self.inner
                .send(src, dst, bytes, partition, radio, timeout_s)
                .py_err()
        })
    }

    /// Every transfer so far, in the order sent: dicts with ``id``, ``from``,
    /// ``to``, ``bytes``, ``sent_bytes``, ``status`` (``active``,
    /// ``completed``, ``incomplete``), ``sent_at_s``, ``ended_at_s`` and
    /// ``reason``.
    fn transfers<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard("Simulation.transfers", || {
            let inner = &mut self.inner;
            let transfers = py.detach(|| inner.transfers()).py_err()?; // may plan (see `state`)
            to_python(py, &transfers)
        })
    }

    /// Events after a cursor: without ``since``, those logged since the
    /// previous call (the first call returns the whole log); ``since=0`` the
    /// whole log, ``since=k`` from the k-th event on. The same ``Event`` type
    /// as the rehearsal ``Client.events`` returns.
    #[pyo3(signature = (since = None))]
    fn events(&mut self, since: Option<i64>) -> PyResult<Vec<PyEvent>> {
        guard("Simulation.events", || {
            let log = self.inner.events();
            let from = match since {
                None => self.events_cursor,
                Some(k) if k >= 0 => usize::try_from(k).unwrap_or(usize::MAX),
                Some(k) => return Err(input_error(&format!("since must be >= 0, got {k}"))),
            }
            .min(log.len());
            self.events_cursor = log.len();
            Ok(log[from..].iter().map(|e| PyEvent { inner: e.clone() }).collect())
        })
    }

    /// Advances simulated time by ``seconds`` (event-driven).
    fn wait(&mut self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        guard("Simulation.wait", || {
            if !(seconds.is_finite() && seconds >= 0.0) {
                return Err(input_error(&format!(
                    "seconds must be a finite number >= 0, got {seconds}"
                )));
            }
            let to_s = self.inner.elapsed_s() + seconds;
            if to_s <= self.inner.elapsed_s() {
                return Ok(()); // 0 (or below the clock's resolution): nothing to do
            }
            self.drive(py, None, None, |sim, progress| {
                sim.run_to_s(to_s, Stepping::EventDriven, progress).map(|_| ())
            })
        })
    }

    /// Advances simulated time to ``t`` (a datetime, ISO string or
    /// ``numpy.datetime64``; event-driven).
    fn wait_until(&mut self, py: Python<'_>, t: &Bound<'_, PyAny>) -> PyResult<()> {
        guard("Simulation.wait_until", || {
            let until = time::epoch(t)?;
            if until == self.inner.now() {
                return Ok(()); // already there
            }
            self.drive(py, None, None, |sim, progress| {
                sim.run_with_progress(until, Stepping::EventDriven, progress)
                    .map(|_| ())
            })
        })
    }

    /// Advances to the next event of one of ``kinds`` (a kind name or a list
    /// of them, e.g. ``"contact_started"``), of ``spacecraft`` when given, at
    /// most ``timeout_s`` simulated seconds (default one year); stops at that
    /// event's instant and returns the events logged on the way, the match
    /// last (empty when the timeout passed first).
    #[pyo3(signature = (kinds, spacecraft = None, timeout_s = None))]
    fn wait_for(
        &mut self,
        py: Python<'_>,
        kinds: &Bound<'_, PyAny>,
        spacecraft: Option<String>,
        timeout_s: Option<f64>,
    ) -> PyResult<Vec<PyEvent>> {
        guard("Simulation.wait_for", || {
            let kinds = kind_names(kinds)?;
            if let Some(name) = &spacecraft {
                self.inner.snapshot(name).py_err()?; // an unknown name is an error, not a wait
            }
            let timeout_s = timeout_s.unwrap_or(WAIT_FOR_DEFAULT_S);
            if !(timeout_s.is_finite() && timeout_s > 0.0) {
                return Err(input_error(&format!(
                    "timeout_s must be a finite number > 0, got {timeout_s}"
                )));
            }
            let end_s = self.inner.elapsed_s() + timeout_s;
            let from = self.inner.events().len();
            if end_s <= self.inner.elapsed_s() {
                return Ok(Vec::new()); // a timeout below the clock's resolution
            }
            let matches = move |e: &Event| {
                kinds.contains(e.kind.name()) && spacecraft.as_ref().is_none_or(|s| *s == e.spacecraft)
            };
            let found = self.drive(py, None, None, |sim, progress| {
                sim.run_until_event_to_s(end_s, Stepping::EventDriven, matches, progress)
            })?;
            let log = self.inner.events();
            let to = found.map_or(from, |k| k + 1);
            Ok(log[from..to]
                .iter()
                .map(|e| PyEvent { inner: e.clone() })
                .collect())
        })
    }

    /// Whether ``a`` and ``b`` (spacecraft or station names) are in line of
    /// sight now.
    fn line_of_sight(&self, a: &str, b: &str) -> PyResult<bool> {
        guard("Simulation.line_of_sight", || {
            self.inner.line_of_sight(a, b).py_err()
        })
    }

    /// Runs a block as the application's activity: started before, stopped
    /// after (also on an exception).
    fn activity<'py>(
        slf: &Bound<'py, Self>,
        spacecraft: &str,
        activity: &str,
        power_w: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("orbitedge.rehearsal")?
            .getattr("_activity")?
            .call1((slf, spacecraft, activity, power_w))
    }
}

/// One kind name or a list of them.
fn kind_names(kinds: &Bound<'_, PyAny>) -> PyResult<BTreeSet<String>> {
    let names: Vec<String> = match kinds.extract::<String>() {
        Ok(one) => vec![one],
        Err(_) => kinds
            .extract()
            .map_err(|_| input_error("kinds must be an event kind name or a list of them"))?,
    };
    if names.is_empty() {
        return Err(input_error("kinds must name at least one event kind"));
    }
    if let Some(unknown) = names.iter().find(|n| !EventKind::NAMES.contains(&n.as_str())) {
        return Err(input_error(&format!(
            "unknown event kind {unknown:?}; expected one of {}",
            EventKind::NAMES.join(", ")
        )));
    }
    Ok(names.into_iter().collect())
}

#[pymethods]
impl PyEvent {
    /// The event's JSON form read like a dict (``event["kind"]["event"]``),
    /// as the rehearsal feed's items were: code written for either reads both.
    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        let value = to_python(py, &self.inner)?;
        value
            .get_item(key)
            .map_err(|_| pyo3::exceptions::PyKeyError::new_err(key.to_string()))
    }
}
