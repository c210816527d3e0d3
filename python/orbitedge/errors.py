"""Exceptions raised by orbitedge.

Every error derives from :class:`OrbitEdgeError`. Problems with what was passed
in are also :class:`ValueError` (so ``except ValueError`` keeps working);
failures during a computation (an orbit that decays) are :class:`RuntimeError`.
:class:`LowPerigeeWarning` and :class:`Float16Warning` are warnings (``warnings.warn``), not errors.
"""


class OrbitEdgeError(Exception):
    """Base class of every orbitedge error."""


class InputError(OrbitEdgeError, ValueError):
    """An argument is invalid: out of range, not finite, empty, or of the wrong form."""


class TleError(InputError):
    """A two-line element set is malformed (the message names the line and columns)."""


class OmmError(InputError):
    """An Orbit Mean-elements Message (JSON or KVN) is malformed."""


class EphemerisError(InputError):
    """A tabulated ephemeris is unusable, or was asked for a time outside its span."""


class ModelError(InputError):
    """An ONNX model file is missing, unreadable or cannot be loaded (the message says why)."""


class ShapeError(InputError):
    """An input array does not have the shape the model was built for."""


class OrbitError(InputError):
    """An orbit that would pass through the Earth (perigee below the surface plus a margin)."""


class CheckpointError(InputError):
    """Checkpoint bytes that are corrupted, from another version, or inconsistent."""


class ResourceLimitError(InputError):
    """A request whose estimated work or memory exceeds the limit (the message gives both)."""


class NonFiniteInputError(InputError):
    """A model input holds NaN or infinite values (the message counts them and gives the first index)."""


class NonFiniteOutputError(ModelError):
    """A model run produced NaN or infinite values (the message names the output, counts them and gives
    the likely cause: a float16 overflow, or the model itself)."""


class PropagationError(OrbitEdgeError, RuntimeError):
    """A propagator could not produce a state (for example, the satellite decayed)."""


class OutputError(OrbitEdgeError, OSError):
    """Writing an output (a report, a file) failed; the message names the path."""


class InternalError(OrbitEdgeError, RuntimeError):
    """A bug in orbitedge or a library it uses, caught before it could crash Python."""


class LowPerigeeWarning(UserWarning):
    """An orbit accepted with a perigee below 100 km: drag (not modelled) would end it within days."""


class Float16Warning(UserWarning):
    """A model loaded with ``precision="float16"``: tract's float16 path is 100-300x slower than
    float32 on most hosts, and activations above 65504 overflow to inf."""


__all__ = [
    "OrbitEdgeError",
    "InputError",
    "TleError",
    "OmmError",
    "EphemerisError",
    "ModelError",
    "ShapeError",
    "OrbitError",
    "CheckpointError",
    "ResourceLimitError",
    "NonFiniteInputError",
    "NonFiniteOutputError",
    "PropagationError",
    "OutputError",
    "InternalError",
    "LowPerigeeWarning",
    "Float16Warning",
]
