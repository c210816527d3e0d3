"""The report of a Python simulation: its title, its wall time, its numbers
for spacecraft that never pass a station."""

import datetime as dt
import json

import orbitedge as oe

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
LEO = oe.Satellite.from_elements(START, 6928.0, 0.0, 97.6, 10.0, 0.0, 0.0, name="leo")
# In the equatorial plane at 550 km: never above 5° at Kiruna (67.9° N).
EQUATORIAL = oe.Satellite.from_elements(START, 6928.0, 0.0, 0.0, 0.0, 0.0, 0.0, name="eq")
KIRUNA = oe.GroundStation("Kiruna", 67.86, 20.96, 0.4, 5.0)
RADIO = [{"name": "s-band", "rate": {"model": "fixed", "rate_bps": 2e6}}]


def simulation(**kwargs):
    fleet = [oe.Spacecraft("leo", orbit=LEO, radios=RADIO), oe.Spacecraft("eq", orbit=EQUATORIAL, radios=RADIO)]
    return oe.Simulation(START, spacecraft=fleet, stations=[KIRUNA], **kwargs)


def test_a_report_is_titled_by_the_name_given_or_by_what_the_run_is(tmp_path):
    sim = simulation(name="Polar vs equatorial")
    sim.run(START + dt.timedelta(hours=3))
    sim.report(tmp_path / "named", plots=False)
    assert (tmp_path / "named" / "summary.md").read_text().startswith("# Polar vs equatorial\n")
    assert json.loads((tmp_path / "named" / "summary.json").read_text())["run"]["scenario"] == "Polar vs equatorial"
    unnamed = simulation()
    unnamed.run(START + dt.timedelta(hours=1))
    unnamed.report(tmp_path / "unnamed", plots=False)
    title = (tmp_path / "unnamed" / "summary.md").read_text().splitlines()[0]
    assert title == "# 2 spacecraft from 2024-03-01 00:00:00 UTC"


def test_the_report_counts_the_wall_time_spent_advancing(tmp_path):
    import time

    sim = simulation()
    spent = 0.0
    for hours in (4, 8, 12):  # several run calls, and the flight verbs in between
        t0 = time.perf_counter()
        sim.run(START + dt.timedelta(hours=hours), step_s=10.0)
        sim.wait(60.0)
        spent += time.perf_counter() - t0
    sim.report(tmp_path, plots=False)
    wall_s = json.loads((tmp_path / "summary.json").read_text())["run"]["wall_s"]
    assert 0.0 < wall_s <= spent
    assert wall_s > 0.5 * spent, (wall_s, spent)  # the engine's time, not only the last call's
    assert f"run in {wall_s:.1f} s" in (tmp_path / "summary.md").read_text()


def test_a_spacecraft_that_never_passes_reads_zero_contact_time(tmp_path):
    sim = simulation()
    sim.run(START + dt.timedelta(hours=6))
    per = {s["name"]: s for s in sim.summary()["spacecraft"]}
    assert sum(per["eq"]["contact_s"].values()) == 0.0 and sum(per["leo"]["contact_s"].values()) > 0.0
    sim.report(tmp_path, plots=False)
    text = (tmp_path / "summary.md").read_text()
    assert "-0.00" not in text
    assert "inf–" not in text and "–-inf" not in text  # no thermal model: the range reads –
    row = next(line for line in text.splitlines() if line.startswith("| eq |"))
    assert "| 0.00 h |" in row, row
