"""The one rule for converting times to whole numbers of integration steps."""

from __future__ import annotations

from .._validate import check_positive

__all__ = ["whole_steps", "STEP_TOLERANCE"]

#: Relative tolerance for "a whole number of steps" (float rounding of e.g. 0.3 / 0.1).
STEP_TOLERANCE = 1e-6


def whole_steps(value_ms, dt_ms, what, *, shown=None):
    """``value_ms / dt_ms`` as an int >= 1, or a ValueError naming ``what`` (never rounded silently).

    Parameters
    ----------
    value_ms : float
        A duration or period in ms.
    dt_ms : float
        Integration step in ms.
    what : str
        Argument name for the error message.
    shown : str | None
        How the value is shown in the message (default ``"<value> ms"``).
    """
    value_ms = check_positive(value_ms, what)
    ratio = value_ms / float(dt_ms)
    steps = int(round(ratio))
    if steps < 1 or abs(ratio - steps) > STEP_TOLERANCE * max(1.0, ratio):
        shown = f"{value_ms:g} ms" if shown is None else shown
        raise ValueError(f"{what} ({shown}) must be a whole multiple of the integration step dt ({float(dt_ms):g} ms); "
                         f"it is {ratio:.6g} steps. Choose dt so that it divides {what}.")
    return steps
