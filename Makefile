# Everyday targets. `make check` is the README's test command.
.PHONY: check run bench bench-python reference fmt

check:          ## everything CI runs
	./scripts/check.sh

run:            ## the main job
	cargo run --release --example constellation_day

bench:          ## criterion benches (Rust), each with an in-run baseline; the rehearsal load test
	cargo bench

bench-python:   ## Python API vs python-sgp4 and Skyfield (release build)
	.venv/bin/python -m pip install --quiet sgp4 skyfield skyfield-data
	VIRTUAL_ENV=$(CURDIR)/.venv PATH=$(CURDIR)/.venv/bin:$$PATH maturin develop --release --quiet
	.venv/bin/python benches/python/bench_core.py
	.venv/bin/python benches/python/bench_sweep.py

reference:      ## regenerate tests/data (needs sgp4, skyfield, skyfield-data)
	python3 scripts/gen_sgp4_vectors.py && python3 scripts/gen_sun_reference.py && python3 scripts/gen_access_reference.py

fmt:
	cargo fmt --all
