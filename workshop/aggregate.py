"""Group pictures from shared answers, with the minimum group size applied.

Nothing is shown for an exercise until at least ``k`` different participants shared an answer
to it; couple and one-to-one sessions never show anything. Counts only: never who, never when.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for annotations only: every participant kernel imports this module, and the
    # store would load SQLAlchemy (12 MiB) in kernels that never join a session
    from .store import Session, Share


@dataclass
class Chart:
    """A bar chart of counts, with its text alternative."""

    title: str
    bars: list[tuple[str, int]]
    respondents: int

    def summary(self) -> str:
        """The chart in words, for screen readers and for people who prefer reading."""
        if not self.bars:
            return f"{self.title}: nothing chosen yet."
        ranked = sorted(self.bars, key=lambda bar: -bar[1])
        parts = [f"{label}: {count}" for label, count in ranked if count]
        return f"{self.title} ({self.respondents} people): " + "; ".join(parts) + "."


@dataclass
class Texts:
    """Shared free-text answers (shown as text, never as markup)."""

    title: str
    items: list[Share] = field(default_factory=list)


@dataclass
class Gate:
    """Whether a group picture may be shown, and if not, how many more answers it needs."""

    respondents: int
    k: int
    allowed: bool

    @property
    def open(self) -> bool:
        return self.allowed and self.respondents >= self.k

    @property
    def needed(self) -> int:
        return max(0, self.k - self.respondents)


def respondents(shares: Iterable[Share]) -> int:
    """How many different participants shared something."""
    return len({share.pseudonym for share in shares})


def gate(session: Session, shares: Sequence[Share]) -> Gate:
    """Apply the minimum group size (and the couple/one-to-one rule) to one exercise's shares."""
    return Gate(respondents=respondents(shares), k=session.k, allowed=session.aggregates_allowed)


def shown(pictures: Iterable, k: int) -> tuple[list, int]:
    """The parts of an open picture a group may see, and how many are held back.

    The gate opens an exercise once ``k`` people shared anything in it; one chart of it (or its
    shared words) can still rest on fewer: five share their feelings, one their rating. Each chart
    is shown only with ``k`` respondents, and a list of texts only with texts from ``k`` people."""
    keep, held = [], 0
    for picture in pictures:
        enough = (picture.respondents if isinstance(picture, Chart) else respondents(picture.items)) >= k
        if enough:
            keep.append(picture)
        else:
            held += 1
    return keep, held


def count(shares: Iterable[Share], field_name: str, order: Sequence[str], labels: dict[str, str] | None = None) -> list[tuple[str, int]]:
    """Counts of each value of ``field_name`` in ``order`` (values not in ``order`` are ignored)."""
    counts = Counter(share.value for share in shares if share.field == field_name)
    labels = labels or {}
    return [(labels.get(value, value), counts.get(value, 0)) for value in order]
