"""A dependency-free progress bar for long runs (stderr, redrawn in place on a
terminal, plain lines otherwise)."""

from __future__ import annotations

import sys
import time


def bar(width: int = 40):
    """A callable taking the fraction done (0..1)."""
    started = time.monotonic()
    interactive = sys.stderr.isatty()
    last_printed = [-1.0]

    def report(fraction: float) -> None:
        elapsed = time.monotonic() - started
        filled = int(width * fraction)
        eta = elapsed / fraction * (1 - fraction) if fraction > 0 else float("nan")
        line = f"[{'#' * filled}{'.' * (width - filled)}] {100 * fraction:5.1f}%  {elapsed:6.1f} s elapsed, ~{eta:5.1f} s left"
        if interactive:
            sys.stderr.write("\r" + line + ("\n" if fraction >= 1 else ""))
            sys.stderr.flush()
        elif fraction - last_printed[0] >= 0.1 or fraction >= 1:
            last_printed[0] = fraction
            sys.stderr.write(line + "\n")

    return report
