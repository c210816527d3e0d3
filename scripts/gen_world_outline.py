"""Write data/world_outline.json: the outline of the land (country polygons of Natural
Earth 1:110m, public domain) as rings of [longitude, latitude] in degrees, rounded to
0.1 degree, for the report's ground-track plot.

Where the data comes from: the `naturalearth_lowres` shapefile shipped inside the
geopandas 0.14.4 wheel on PyPI (geopandas is BSD-3; Natural Earth data is public
domain). The script downloads that wheel with pip (no other network), reads the
shapefile's polygon records with `struct` (no GIS library), and writes the JSON.
Deterministic: rerunning rewrites the same file.

    python3 scripts/gen_world_outline.py
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WHEEL = "geopandas==0.14.4"
SHP = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp"


def rings_from_shp(data: bytes) -> list[list[list[float]]]:
    """Polygon rings from an ESRI shapefile (shape type 5), per the 1998 ESRI spec."""
    rings = []
    offset = 100  # file header
    while offset < len(data):
        _, length_words = struct.unpack(">ii", data[offset:offset + 8])
        record = data[offset + 8: offset + 8 + 2 * length_words]
        offset += 8 + 2 * length_words
        (shape_type,) = struct.unpack("<i", record[:4])
        if shape_type != 5:
            continue
        num_parts, num_points = struct.unpack("<ii", record[36:44])
        parts = list(struct.unpack(f"<{num_parts}i", record[44:44 + 4 * num_parts]))
        points_at = 44 + 4 * num_parts
        points = [struct.unpack("<dd", record[points_at + 16 * k: points_at + 16 * (k + 1)])
                  for k in range(num_points)]
        for start, end in zip(parts, parts[1:] + [num_points]):
            ring = [[round(x, 1), round(y, 1)] for x, y in points[start:end]]
            simplified = [p for k, p in enumerate(ring) if k == 0 or p != ring[k - 1]]
            if len(simplified) >= 4:
                rings.append(simplified)
    return rings


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary=:all:", "--dest", tmp, WHEEL], check=True)
        wheel = next(Path(tmp).glob("geopandas-*.whl"))
        data = zipfile.ZipFile(wheel).read(SHP)
    rings = rings_from_shp(data)
    out = REPO / "data" / "world_outline.json"
    out.parent.mkdir(exist_ok=True)
    payload = {
        "source": "Natural Earth 1:110m admin-0 countries (public domain), via the "
                  "naturalearth_lowres dataset in the geopandas 0.14.4 wheel (PyPI)",
        "units": "degrees: [longitude, latitude], rounded to 0.1",
        "rings": rings,
    }
    out.write_text(json.dumps(payload, separators=(",", ":")) + "\n")
    print(f"{out}: {len(rings)} rings, {sum(len(r) for r in rings)} points, {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
