"""Holding Space's screens: exercise components, the participant app shell, console views.

A theme notebook builds an exercise in one line, e.g. ``CheckIn(prompt="…")``.
"""

from .checkin import CheckIn

__all__ = ["CheckIn"]
