"""Model parameters given as plain dicts/lists → JSON for the Rust side, with
non-finite numbers reported by their key path (JSON cannot carry NaN)."""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import InputError


def _check(value: Any, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{path} must be a finite number, got {value}")
    if isinstance(value, dict):
        for key, item in value.items():
            _check(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")


def to_json(what: str, value: Any) -> str:
    """JSON text of ``value``; ``what`` names it in error messages."""
    _check(value, what)
    try:
        return json.dumps(value)
    except TypeError as error:
        raise InputError(f"{what}: {error}") from error
