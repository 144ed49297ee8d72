"""Before and after: how unsettled the group felt at the check-in and at the check-out.

Both moments ask the same 0–10 question (``intensity.yaml``) in a ``CheckIn`` exercise, named in
its notebook cell by ``moment="check-in"`` or ``moment="check-out"``. Each moment is pictured on its
own, as a distribution of the ratings shared then, with the number of people, the median and the
mean; never per person. Nothing pairs one person's rating before with their rating after, though
the store could (both rows carry the same pseudonym): the two moments are read separately and only
their counts leave this module.

Each moment is shown only in a group session and only once at least ``k`` people rated it, like
every group picture (:mod:`workshop.aggregate`); until then it says how many more are needed. A
moment that is closed carries no counts at all, so nothing drawn from it can leak them.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import aggregate, content, exercises
from .text import t

if TYPE_CHECKING:
    from .content import Theme
    from .store import Session, Store

CHECK_IN = "check-in"
CHECK_OUT = "check-out"
#: the exercise kind that asks the rating, and the share field that holds it
KIND = "CheckIn"
FIELD = "intensity"


@dataclass(frozen=True)
class Moment:
    """The group's ratings at one moment (``"check-in"`` or ``"check-out"``).

    ``counts`` (every rating of the scale with how many chose it), ``median`` and ``mean`` are
    there only when :attr:`open`; a closed moment holds the number of people who rated and no more.
    """

    name: str
    exercise: str | None  # the exercise key, None when no theme asks this moment
    respondents: int
    k: int
    allowed: bool
    counts: tuple[tuple[int, int], ...] = ()
    median: float | None = None
    mean: float | None = None

    @property
    def open(self) -> bool:
        return self.allowed and self.respondents >= self.k

    @property
    def needed(self) -> int:
        """How many more people would need to rate before it is shown."""
        return max(0, self.k - self.respondents)

    @property
    def label(self) -> str:
        """"At the check-in", in the words of ``ui.yaml``."""
        return t("report_check_in" if self.name == CHECK_IN else "report_check_out")

    @property
    def name_words(self) -> str:
        """"the check-in", inside a sentence."""
        return t("report_moment_check_in" if self.name == CHECK_IN else "report_moment_check_out")

    def chart(self, question: str) -> aggregate.Chart | None:
        """The distribution as a chart (with its text alternative), or None while closed."""
        if not self.open:
            return None
        return aggregate.Chart(
            t("report_ba_chart", moment=self.label, question=question),
            [(str(value), n) for value, n in self.counts],
            self.respondents,
        )


@dataclass(frozen=True)
class BeforeAfter:
    """The check-in and the check-out side by side, as the report and the console show them."""

    question: str
    low: int
    high: int
    before: Moment
    after: Moment

    @property
    def allowed(self) -> bool:
        return self.before.allowed

    @property
    def moments(self) -> tuple[Moment, Moment]:
        return (self.before, self.after)

    def charts(self) -> list[aggregate.Chart]:
        """A chart for each moment that is open (none in couple and one-to-one sessions)."""
        return [chart for chart in (moment.chart(self.question) for moment in self.moments) if chart is not None]

    def summary(self) -> str:
        """One sentence in words: the middle rating at each moment that is shown, and how many more
        ratings a closed moment needs."""
        if not self.allowed:
            return t("report_ba_private")
        before, after = self.before, self.after
        scale = {"question": self.question, "low": self.low, "high": self.high, "k": before.k}
        if before.open and after.open:
            return t("report_ba_both", before=number(before.median), n_before=before.respondents,
                     after=number(after.median), n_after=after.respondents, **scale)
        if before.open or after.open:
            shown, closed = (before, after) if before.open else (after, before)
            return t("report_ba_one", moment=shown.name_words, median=number(shown.median), n=shown.respondents,
                     other=closed.name_words, needed=closed.needed, **scale)
        return t("report_ba_neither", needed_before=before.needed, needed_after=after.needed, **scale)


def number(value: float | None) -> str:
    """A median or a mean as people read it: ``4``, ``4.5``, ``4.3`` (one decimal at most)."""
    if value is None:
        return ""
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.1f}"


def moment_exercise(themes: Sequence[Theme], moment: str) -> str | None:
    """The key of the ``CheckIn`` exercise declared with ``moment=…``: the first check-in, the
    last check-out across the themes (read from their cells with :func:`exercises.find`)."""
    found = [spec.key for theme in themes for spec in exercises.find(theme) if spec.kind == KIND and spec.params.get("moment") == moment]
    if not found:
        return None
    return found[0] if moment == CHECK_IN else found[-1]


def _moment(store: Store, session: Session, name: str, key: str | None, low: int, high: int) -> Moment:
    """One moment's ratings: counted as a distribution, never kept per person."""
    ratings: list[int] = []
    people: set[str] = set()
    if key is not None:
        for share in store.shares(session, key):
            if share.field != FIELD:
                continue
            try:
                value = int(share.value)
            except ValueError:
                continue
            if low <= value <= high:
                ratings.append(value)
                people.add(share.pseudonym)
    respondents = len(people)  # only the count leaves: never who rated
    shut = Moment(name, key, respondents, session.k, session.aggregates_allowed)
    if not shut.open:
        return shut
    counts = Counter(ratings)
    return Moment(
        name, key, respondents, session.k, session.aggregates_allowed,
        counts=tuple((value, counts.get(value, 0)) for value in range(low, high + 1)),
        median=float(statistics.median(ratings)),
        mean=float(statistics.fmean(ratings)),
    )


def before_after(store: Store, session: Session, themes: Sequence[Theme] | None = None) -> BeforeAfter | None:
    """The group's "how unsettled" rating at the check-in and at the check-out, each gated by
    ``k`` (and by the session's kind); None when no theme asks either moment."""
    themes = list(themes) if themes is not None else content.load_themes()
    keys = {name: moment_exercise(themes, name) for name in (CHECK_IN, CHECK_OUT)}
    if not any(keys.values()):
        return None
    scale = content.intensity()
    before, after = (_moment(store, session, name, keys[name], scale.low, scale.high) for name in (CHECK_IN, CHECK_OUT))
    return BeforeAfter(question=scale.question, low=scale.low, high=scale.high, before=before, after=after)
