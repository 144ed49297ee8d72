"""The participant-facing words from ``workshop/content/ui.yaml`` (kept in :mod:`workshop.text`,
which the exercise rules of :mod:`workshop.exercises` use too)."""

from workshop.text import reload, t

__all__ = ["reload", "t"]
