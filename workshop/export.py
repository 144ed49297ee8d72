"""What the facilitator may keep of a session: its shared answers as CSV."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .exercises import theme_of

if TYPE_CHECKING:
    from .content import Theme
    from .store import Session, Store

COLUMNS = ["session", "theme", "exercise", "field", "value", "hidden"]


def shares_csv(store: Store, session: Session, themes: Iterable[Theme]) -> str:
    """The session's shared answers as CSV, with no pseudonyms.

    Rows are sorted by exercise, field and value, never kept in the order they were shared: one
    person's answers to an exercise were written together and sat next to each other, so anyone
    holding the file could regroup them per person. Sorted, the file depends only on what was
    shared, not on who shared it or when.
    """
    import pandas as pd  # only the console needs pandas

    titles = {theme.key: theme.title for theme in themes}
    rows = [
        {
            "session": session.display_code,
            "theme": titles.get(theme_of(share.exercise), theme_of(share.exercise)),
            "exercise": share.exercise,
            "field": share.field,
            "value": share.value,
            "hidden": share.hidden,
        }
        for share in store.shares(session)
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame.sort_values(["exercise", "field", "value", "hidden"], kind="stable", ignore_index=True)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()
