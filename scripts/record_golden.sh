#!/usr/bin/env bash
# Re-records tests/data/golden/default/ (the default scenario's outputs with the
# real model) after a deliberate change of behaviour; say why in CHANGELOG.md.
# tests/golden.rs then replays the recorded inferences and compares byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${ORBITEDGE_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --bin orbitedge
    bin=${CARGO_TARGET_DIR:-target}/release/orbitedge
fi
out=$(mktemp -d)
"$bin" run --quiet --out "$out"
mkdir -p tests/data/golden/default
for file in summary.json events.jsonl timeline.csv inferences.jsonl; do
    cp "$out/$file" tests/data/golden/default/
done
rm -rf "$out"
echo "recorded tests/data/golden/default/"
