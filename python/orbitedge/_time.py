"""Conversions between Python's many time types and Unix nanoseconds (UTC).

Accepted for an instant: timezone-aware ``datetime`` (any zone), naive
``datetime`` (taken as UTC), ISO-8601 strings (``2024-03-01T12:00:00Z``, offsets
allowed, no offset means UTC), ``numpy.datetime64`` (UTC) and pandas
``Timestamp``. A series is a list/tuple of those, or a ``numpy.datetime64``
array, or a pandas ``DatetimeIndex``.

Returned: timezone-aware UTC ``datetime`` for one instant, ``datetime64[ns]``
arrays for series. Unix time has no leap seconds; the Rust side converts to
proper UTC with leap seconds (hifitime).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from .errors import InputError

_UNIX = _dt.datetime(1970, 1, 1)
_UTC = _dt.timezone.utc
# Times cross to Rust as Unix nanoseconds in 64 bits: 1677-09-21 to 2262-04-11.
_NS_MIN = -(2**63) + 1
_NS_MAX = 2**63 - 1
_RANGE = "1677-09-22 to 2262-04-11 UTC (Unix nanoseconds in 64 bits)"
_DT64_MIN = np.datetime64("1677-09-22", "D")
_DT64_MAX = np.datetime64("2262-04-11", "D")


def _out_of_range(value: Any) -> InputError:
    return InputError(f"time {value!s} is outside the supported range {_RANGE}")


def _check_datetime64(values: np.ndarray) -> None:
    """Refuses datetime64 values numpy would wrap around when cast to nanoseconds."""
    outside = (values < _DT64_MIN) | (values > _DT64_MAX)
    if np.any(outside):
        raise _out_of_range(np.asarray(values)[outside].flat[0])


def _scalar_to_ns(value: Any) -> int:
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise InputError("time is NaT (not a time)")
        _check_datetime64(np.asarray(value))
        return int(value.astype("datetime64[ns]").astype(np.int64))
    if isinstance(value, str):
        text = value.strip()
        try:
            value = _dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as error:
            raise InputError(
                f"invalid time {text!r}: expected ISO 8601 such as 2024-03-01T12:00:00Z"
            ) from error
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(_UTC).replace(tzinfo=None)
        delta = value - _UNIX
        nanos = getattr(value, "nanosecond", 0)  # pandas.Timestamp keeps nanoseconds
        ns = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000 + nanos
        if not _NS_MIN <= ns <= _NS_MAX:
            raise _out_of_range(value)
        return ns
    if isinstance(value, _dt.date):
        return _scalar_to_ns(_dt.datetime(value.year, value.month, value.day))
    raise InputError(
        f"cannot interpret {value!r} (type {type(value).__name__}) as a time; "
        "give a datetime, an ISO-8601 string or a numpy.datetime64"
    )


def is_scalar_time(value: Any) -> bool:
    """True for one instant, False for a series."""
    return isinstance(value, (str, _dt.date, np.datetime64))


def to_unix_ns(value: Any) -> int:
    """One instant as Unix nanoseconds (UTC)."""
    if not is_scalar_time(value):
        raise InputError(f"expected one time, got {type(value).__name__}")
    return _scalar_to_ns(value)


def to_unix_ns_array(values: Any) -> np.ndarray:
    """A series of instants (or one) as a 1-D int64 array of Unix nanoseconds (UTC)."""
    if is_scalar_time(values):
        return np.array([_scalar_to_ns(values)], dtype=np.int64)
    if hasattr(values, "tz") and getattr(values, "tz", None) is not None:
        values = values.tz_convert("UTC").tz_localize(None)  # pandas DatetimeIndex
    array = np.asarray(values)
    if array.ndim != 1:
        raise InputError(f"times must form a 1-D sequence, got shape {array.shape}")
    if np.issubdtype(array.dtype, np.datetime64):
        if np.isnat(array).any():
            raise InputError("times contain NaT (not a time)")
        _check_datetime64(array)
        return array.astype("datetime64[ns]").view(np.int64).copy()
    return np.fromiter((_scalar_to_ns(v) for v in values), dtype=np.int64, count=len(array))


def from_unix_ns(nanoseconds: int) -> _dt.datetime:
    """A timezone-aware UTC datetime (microsecond resolution)."""
    return _dt.datetime(1970, 1, 1, tzinfo=_UTC) + _dt.timedelta(microseconds=nanoseconds // 1_000)


def to_datetime64(nanoseconds: np.ndarray) -> np.ndarray:
    """Unix nanoseconds as ``datetime64[ns]``."""
    return np.asarray(nanoseconds, dtype=np.int64).view("datetime64[ns]")
