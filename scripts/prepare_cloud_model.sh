#!/usr/bin/env bash
# Make the real cloud model for tests and benches, from the package registry only:
#   models/ukis-csmask-4b-l1c-fp16.onnx  copied out of the ukis-csmask 1.0.0 wheel (PyPI)
#   models/ukis-csmask-4b-l1c-fp32.onnx  its float32 conversion, checked against the original
# (each with a .json sidecar: sha256, provenance, licence, preprocessing). models/ is
# git-ignored: the weights are never committed. No model hub, no network at run time.
#
# Usage: scripts/prepare_cloud_model.sh [PYTHON]      (default: .venv/bin/python)
# Installs into PYTHON's environment, if missing: ukis-csmask==1.0.0 with --no-deps (only its
# files are used, never imported), onnx, onnxruntime and numpy. Fast when everything is
# already there: the float32 file is only remade if it no longer matches its sidecar's sha256.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${1:-.venv/bin/python}
UKIS_VERSION=1.0.0
FP16=models/ukis-csmask-4b-l1c-fp16.onnx
FP32=models/ukis-csmask-4b-l1c-fp32.onnx
# sha256 of ukis_csmask/model_4b_l1c.onnx in the ukis-csmask 1.0.0 wheel.
FP16_SHA256=81611f290adc315b86bb7e7c69b0f2496b3abe0390c2a5c8e9e9da9622e8a0c8

pip_install() { "$PY" -m pip install --quiet --disable-pip-version-check "$@"; }

if ! "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('ukis-csmask') != '$UKIS_VERSION')" 2>/dev/null; then
    pip_install --no-deps "ukis-csmask==$UKIS_VERSION"
fi
if ! "$PY" -c "import onnx, onnxruntime, numpy" 2>/dev/null; then
    pip_install "onnx>=1.16" "onnxruntime>=1.17" "numpy>=1.22"
fi

"$PY" scripts/fetch_cloud_model.py
"$PY" - "$FP16" "$FP16_SHA256" <<'EOF'
import hashlib, sys
path, expected = sys.argv[1], sys.argv[2]
h = hashlib.sha256(open(path, "rb").read()).hexdigest()
if h != expected:
    sys.exit(f"error: {path} has sha256 {h}, expected {expected} (ukis-csmask {path!r} changed?)")
EOF
"$PY" scripts/convert_fp16_to_fp32.py --skip-if-current "$FP16" "$FP32"
