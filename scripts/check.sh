#!/usr/bin/env bash
# The test command: formatting, lints, Rust tests (with doc-tests), then the
# Python extension built into a project-local virtualenv and pytest.
# Works on a fresh machine with the Rust toolchain and Python 3.11; installs
# its Python dependencies from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
# A one-shot build gains nothing from incremental state, which costs gigabytes.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

# Each step prints the seconds the previous one took (CI's budget is watched).
step_started=
step() {
    [ -z "$step_started" ] || printf '   (%d s)\n' "$((SECONDS - step_started))"
    printf '\n== %s\n' "$*"
    step_started=$SECONDS
}

step "cargo fmt --check"
cargo fmt --all -- --check

step "python virtualenv (.venv) and dependencies"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "maturin>=1.9,<2" "numpy>=1.22" "pytest>=7" "mypy>=1.10" "onnxruntime>=1.17" "dask[distributed]>=2024.1" "matplotlib>=3.7" "pandas>=1.5"

# Before the Rust tests: they run the real model too (the main job's end-to-end test).
step "real model: ukis-csmask from PyPI and its float32 conversion (models/, git-ignored)"
scripts/prepare_cloud_model.sh .venv/bin/python

step "cargo clippy (all targets, with the python feature)"
cargo clippy --all-targets --features python -- -D warnings

# Module boundaries stay honest: the library builds with no optional feature
# and with each one alone; every target builds with none (a test or bench that
# needs a feature declares it). With the default features (`cli` brings the
# other three) every target is built by `cargo test` below.
step "cargo check: no default features (all targets); serve, plots, onnx alone (library)"
cargo check --quiet --all-targets --no-default-features
for features in serve plots onnx; do
    cargo check --quiet --lib --no-default-features --features "$features"
done

step "cargo test (unit, integration, doc-tests; the CLI's end-to-end run)"
ORBITEDGE_PYTHON="$PWD/.venv/bin/python" cargo test

step "build the extension into .venv"
VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH" maturin develop --quiet

step "stub check (mypy.stubtest)"
.venv/bin/python -m mypy.stubtest orbitedge._orbitedge --ignore-missing-stub

# The rehearsal tests and example drive the `orbitedge` command cargo test built.
export ORBITEDGE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/orbitedge"

step "pytest"
.venv/bin/python -m pytest tests/python

step "python examples (rehearsal against \`orbitedge serve\` in its own process; decentralised learning in process and served; a small Monte-Carlo on Dask; PASEOS's constellation study)"
.venv/bin/python examples/constellation_day.py > /dev/null
rehearsal_out=$(mktemp -d)
.venv/bin/python examples/rehearsal_inference.py --tiles 3 --multiplier 60 --out "$rehearsal_out" > /dev/null
rm -rf "$rehearsal_out"
learning_out=$(mktemp -d)
.venv/bin/python examples/decentralised_learning.py --out "$learning_out" > /dev/null
.venv/bin/python examples/decentralised_learning.py --serve --hours 1 --out "$learning_out" > /dev/null
rm -rf "$learning_out"
sweep_out=$(mktemp -d)
.venv/bin/python examples/monte_carlo_dask.py --runs 8 --out "$sweep_out" > /dev/null
rm -rf "$sweep_out"
constellation_out=$(mktemp -d)
.venv/bin/python examples/paseos_constellation.py --out "$constellation_out" > /dev/null
rm -rf "$constellation_out"

printf '   (%d s)\n' "$((SECONDS - step_started))"
printf '\nall checks passed in %d s (target/: %s)\n' "$SECONDS" "$(du -sh "${CARGO_TARGET_DIR:-target}" 2>/dev/null | cut -f1)"
