"""The solar constant and PASEOS's fixed irradiance, from Python and from scenario files
(issue 16): both reach power and thermal, checked against the Earth–Sun distance."""

import datetime as dt

import pytest

import orbitedge as oe

# 2023-01-04 (PASEOS's constellation study's date): Earth at perihelion, 0.98330 AU
# (perihelion 2023-01-04 16:17 UTC at 0.983296 AU: the Astronomical Almanac 2023).
START = dt.datetime(2023, 1, 4, 4, 0, tzinfo=dt.timezone.utc)
PERIHELION_AU = 0.983296


def generated_wh_and_mean_k(**kwargs):
    sat = oe.Satellite.from_elements(START, 6928.137, 0.0, 97.6, 0.0, 0.0, 0.0, propagator="kepler")
    sc = oe.Spacecraft(
        "sat", orbit=sat,
        power={"solar_array": {"area_m2": 0.1, "efficiency": 0.3},
               "battery": {"capacity_wh": 1e6, "initial_soc": 0.5}, "bus_load_w": 0.0},
        thermal={"mass_kg": 12.0, "area_sun_m2": 0.1, "area_earth_m2": 0.1, "area_radiating_m2": 0.6},
    )
    sim = oe.Simulation(START, [sc], **kwargs)
    sim.run(START + dt.timedelta(hours=24))
    return sim.states()[0]["energy"]["generated_wh"], float(sim.telemetry()["temperature_k"].mean())


def test_generation_scales_with_the_solar_constant_and_paseos_holds_it_fixed():
    default, t_default = generated_wh_and_mean_k()
    dimmer, t_dimmer = generated_wh_and_mean_k(solar_constant_w_m2=1000.0)
    # Shadows do not depend on the constant: the energy is exactly proportional.
    assert dimmer / default == pytest.approx(1000.0 / 1361.0, rel=1e-9)
    assert t_dimmer < t_default
    # PASEOS's 1 360 W/m² at any distance against 1 361 W/m² × (1 AU / r)² near perihelion.
    paseos, _ = generated_wh_and_mean_k(solar_constant_w_m2=1360.0, paseos_compatible=True)
    assert paseos / default == pytest.approx(1360.0 / 1361.0 * PERIHELION_AU**2, rel=3e-4)


@pytest.mark.parametrize("bad", [0.0, -5.0, float("nan"), float("inf"), 1e9])
def test_absurd_solar_constants_are_input_errors(bad):
    with pytest.raises(ValueError, match="solar_constant_w_m2"):
        generated_wh_and_mean_k(solar_constant_w_m2=bad)


def test_scenario_files_take_both_keys():
    text = oe.Scenario.default().to_toml()
    assert "solar_constant_w_m2" not in text and "paseos_compatible" not in text  # defaults stay quiet
    short = text.replace("duration_h = 24.0", "duration_h = 1.0")
    # Modeled latency and perfect detection: no model run is needed to compare energies.
    short = short.replace('latency = { mode = "measured" }', 'latency = { mode = "modeled" }')
    header = short.index("[[satellites]]")

    def generated(extra: str) -> float:
        scenario = oe.Scenario.from_toml(short[:header] + extra + short[header:])
        return sum(s["energy"]["generated_wh"] for s in scenario.run().states())

    base = generated("")
    assert generated("solar_constant_w_m2 = 680.5\n") == pytest.approx(base / 2, rel=1e-9)
    fixed = generated("solar_constant_w_m2 = 1361.0\npaseos_compatible = true\n")
    assert fixed != base
    with pytest.raises(ValueError, match="solar_constant_w_m2"):
        oe.Scenario.from_toml(short[:header] + "solar_constant_w_m2 = -1\n" + short[header:]).run()
