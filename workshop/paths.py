"""Where the kit's folders are.

The kit is installed editable from its checkout, so the package's parent folder is the kit's
root. Two environment variables move things for a facilitator or a test:

``HOLDING_SPACE_NOTEBOOKS``
    the folder of theme notebooks (default ``<kit>/notebooks``);
``HOLDING_SPACE_DATA``
    the data folder (default ``<kit>/data``). It must lie outside every served folder;
``HOLDING_SPACE_CONTENT``
    the folder of editable content files (default ``<kit>/workshop/content``), e.g. a
    facilitator's own translated or localised copy.
"""

from __future__ import annotations

import os
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = Path(__file__).resolve().parent / "content"
SERVING_DIR = Path(__file__).resolve().parent / "serving"


def content_dir() -> Path:
    """The folder of editable content files (feelings, resources, ui texts, …)."""
    return Path(os.environ.get("HOLDING_SPACE_CONTENT", CONTENT_DIR)).resolve()


def notebooks_dir() -> Path:
    """The folder holding the theme notebooks, ``app.ipynb`` and ``facilitator.ipynb``."""
    return Path(os.environ.get("HOLDING_SPACE_NOTEBOOKS", KIT_ROOT / "notebooks")).resolve()


def data_dir(create: bool = False) -> Path:
    """The data folder (logs, later the session store).

    Raises
    ------
    ValueError
        if the folder lies inside the served notebooks folder, where Voila could serve it.
    """
    path = Path(os.environ.get("HOLDING_SPACE_DATA", KIT_ROOT / "data")).resolve()
    served = notebooks_dir()
    if path == served or served in path.parents:
        raise ValueError(f"the data folder {path} must not lie inside the served folder {served}")
    if create:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
