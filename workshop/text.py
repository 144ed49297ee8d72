"""The kit's words from ``workshop/content/ui.yaml``, read once per process."""

from __future__ import annotations

from . import content

_cache: dict[str, str] | None = None


def t(key: str, **values: object) -> str:
    """The text for ``key``, with ``{name}`` fields filled from ``values``."""
    global _cache
    if _cache is None:
        _cache = content.ui_text()
    text = _cache.get(key)
    if text is None:
        raise content.ContentError(f"ui.yaml has no text for '{key}'")
    return text.format(**values) if values else text


def reload() -> None:
    """Read ``ui.yaml`` again; if it is broken, keep the texts already loaded and raise."""
    global _cache
    _cache = content.ui_text()
