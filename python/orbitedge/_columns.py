"""Lists of results as columns: a dict of numpy arrays that ``pandas.DataFrame``
takes as is (pandas is not a dependency)."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ._time import to_datetime64


def to_columns(items: Iterable[Any]) -> dict[str, np.ndarray]:
    """Turn a list of ``AccessWindow``, ``EclipseInterval`` or ``LinkWindow`` into columns.

    Times become ``datetime64[ns]`` columns, names string columns, numbers
    float/int/bool columns. An empty list gives an empty dict.

    >>> import orbitedge as oe
    >>> oe.to_columns([])
    {}
    """
    items = list(items)
    if not items:
        return {}
    kinds = type(items[0])._time_fields
    if any(type(item) is not type(items[0]) for item in items):
        raise TypeError("to_columns needs items of one type")
    rows = [item._row() for item in items]
    columns: dict[str, np.ndarray] = {}
    for key in rows[0]:
        values = [row[key] for row in rows]
        if key in kinds:
            columns[key] = to_datetime64(np.array(values, dtype=np.int64))
        else:
            columns[key] = np.array(values)
    return columns


def nanoseconds_to_datetime64(nanoseconds: np.ndarray) -> np.ndarray:
    """Unix nanoseconds as a ``datetime64[ns]`` column."""
    return to_datetime64(nanoseconds)


def labels(names: list, codes: np.ndarray) -> np.ndarray:
    """A string column from a label table and integer codes."""
    table = np.asarray(names, dtype=str) if names else np.asarray([""], dtype=str)
    return table[np.asarray(codes, dtype=np.int64)]
