"""The session report: one printable HTML page the facilitator downloads after a session.

It says when the session ran, its kind, ``k`` and how many took part; which themes were covered
and for how long; every group picture the console would show (through the same ``k`` gate and the
same rules, :func:`workshop.aggregate.gate` and ``Rule.picture``), each chart with its summary as
its text alternative; the check-in and check-out ratings side by side (:mod:`workshop.outcomes`);
and the shared texts the facilitator did not hide.

It is built from the store alone, so it can be made after a restart, until the session is purged.
Nothing in it identifies a participant: no pseudonym or id reaches the template (only counts,
labels and the shared texts), and shared texts are sorted, not kept in the order they were shared.
Every text is escaped by the template; the page loads nothing and runs nothing.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import aggregate, content, exercises, outcomes, templating
from .text import t

if TYPE_CHECKING:
    from .content import Theme
    from .store import Session, Share, Store


#: the page's left and right margins in print (``report.css``'s ``@page``), in millimetres
SIDE_MARGIN_MM = 15


class ReportError(LookupError):
    """No report can be made: the session is not in the store (purged, or a wrong code)."""


def report_filename(session: Session) -> str:
    """The name the report is downloaded under."""
    return f"holding-space-report-{session.code}.html"


def _date(at: float) -> str:
    moment = datetime.fromtimestamp(at)
    return f"{moment.day} {moment:%B %Y}"


def _clock(at: float) -> str:
    return f"{datetime.fromtimestamp(at):%H:%M}"


def _minutes(seconds: float) -> int:
    return round(max(0.0, seconds) / 60)


def _table(frame: Any, cls: str) -> Any:
    """A pandas table as HTML for the template. ``to_html(escape=True)`` escapes every cell and
    heading (``<``, ``>``, ``&``), so its output is marked as markup here; nothing else is."""
    from markupsafe import Markup

    return Markup(frame.to_html(index=False, escape=True, border=0, classes=cls, justify="left", na_rep=""))


def _took_part(store: Store, session: Session, shares: Sequence[Share]) -> int:
    """How many different people were in the session: seen by the store, or sharing (a count only)."""
    import sqlalchemy as sa

    from .store import participants

    with store.engine.connect() as db:
        seen = set(db.execute(sa.select(participants.c.pseudonym).where(participants.c.session_id == session.id)).scalars())
    return len(seen | {share.pseudonym for share in shares})


def _chart(chart: aggregate.Chart) -> dict:
    """A chart as the template draws it: one row per bar (label, count, length in % of the longest)."""
    top = max((n for _, n in chart.bars), default=0) or 1
    return {
        "kind": "chart",
        "title": chart.title,
        "rows": [(label, n, f"{100 * n / top:.1f}") for label, n in chart.bars],
        "summary": chart.summary(),
    }


def _texts(texts: aggregate.Texts) -> dict:
    """The texts not hidden, sorted (the order they were shared in would link one person's
    answers across exercises), and how many were hidden."""
    shown = sorted((share.value for share in texts.items if not share.hidden), key=lambda text: (text.casefold(), text))
    hidden = sum(1 for share in texts.items if share.hidden)
    return {"kind": "texts", "title": texts.title, "texts": shown, "hidden": t("report_texts_hidden", n=hidden) if hidden else ""}


def _exercise(session: Session, spec: exercises.ExerciseSpec, rule: exercises.Rule, rows: Sequence[Share]) -> dict:
    """One exercise as the console would show it: closed below ``k``, else its pictures."""
    gate = aggregate.gate(session, rows)
    if not gate.open:
        return {"title": spec.title, "closed": t("report_closed", k=gate.k, n=gate.respondents), "pictures": []}
    pictures = []
    parts, held = aggregate.shown(rule.picture(rows), gate.k)
    for picture in parts:
        if isinstance(picture, aggregate.Chart):
            pictures.append(_chart(picture))
        elif isinstance(picture, aggregate.Texts):
            pictures.append(_texts(picture))
    closed = t("console_held_back", n=held, k=gate.k) if held else ""
    return {"title": spec.title, "closed": closed, "pictures": pictures}


def _answers(session: Session, themes: Sequence[Theme], shares: Sequence[Share], covered: set[str]) -> list[dict]:
    """Each theme covered (or with shares), in notebook order, with its shareable exercises."""
    by_exercise: dict[str, list[Share]] = defaultdict(list)
    for share in shares:
        by_exercise[share.exercise].append(share)
    sections = []
    for theme in themes:
        found = []
        for spec in exercises.find(theme):
            rule = exercises.RULES.get(spec.kind)
            if rule is not None and rule.shareable:  # an unknown kind, or a private one: nothing to show
                found.append((spec, rule))
        if not found or (theme.key not in covered and not any(by_exercise.get(spec.key) for spec, _ in found)):
            continue
        sections.append({
            "number": theme.number,
            "title": theme.title,
            "exercises": [_exercise(session, spec, rule, by_exercise.get(spec.key, [])) for spec, rule in found],
        })
    return sections


def _themes_table(times: Sequence[tuple[str, float]], titles: dict[str, Theme]) -> Any:
    import pandas as pd

    rows = []
    for key, seconds in times:
        theme = titles.get(key)
        rows.append({
            t("report_col_number"): theme.number if theme is not None else "",
            t("report_col_theme"): theme.title if theme is not None else key,
            t("report_col_minutes"): _minutes(seconds),
        })
    rows.append({t("report_col_number"): "", t("report_col_theme"): t("report_total"),
                 t("report_col_minutes"): _minutes(sum(seconds for _, seconds in times))})
    return _table(pd.DataFrame(rows), "data themes")


def _before_after_view(found: outcomes.BeforeAfter | None) -> dict | None:
    """The sentence, then (in a group session) the two moments side by side: people, median and
    mean, and how many chose each rating at each moment that is shown."""
    if found is None:
        return None
    view: dict[str, Any] = {"summary": found.summary(), "table": None, "spread": None}
    if not found.allowed:
        return view
    import pandas as pd

    rows = []
    for moment in found.moments:
        rows.append({
            t("report_col_when"): moment.label,
            t("report_col_people"): moment.respondents,
            t("report_col_median"): outcomes.number(moment.median) if moment.open else t("report_not_shown", needed=moment.needed),
            t("report_col_mean"): outcomes.number(moment.mean) if moment.open else "",
        })
    view["table"] = _table(pd.DataFrame(rows), "data before-after")
    shown = [moment for moment in found.moments if moment.open]
    if shown:
        # one row a moment, one column a rating: short enough to sit under the sentence
        spread = pd.DataFrame([{t("report_col_rating"): moment.label, **{str(value): n for value, n in moment.counts}} for moment in shown])
        view["spread"] = _table(spread, "data spread")
    return view


def build_report(store: Store, session: Session | str, themes: Sequence[Theme] | None = None, now: float | None = None) -> str:
    """The session report as one HTML document (``templates/report.html``).

    ``session`` is a :class:`~workshop.store.Session` or its code; it is read again from the store,
    so the report holds what the store holds now. ``themes`` defaults to the kit's notebooks; ``now``
    (a timestamp) is when the report is made, and the end of a session that has not ended.
    Raises :class:`ReportError` if the session is no longer in the store.
    """
    code = session if isinstance(session, str) else session.code
    current = store.session(code)
    if current is None:
        shown = code if isinstance(session, str) else session.display_code
        raise ReportError(t("report_gone", code=shown))
    themes = list(themes) if themes is not None else content.load_themes()
    now = time.time() if now is None else now
    kit = t("app_title")
    shares = store.shares(current)
    try:
        times = store.theme_times(current, now=now)
    except ValueError:  # Store.theme_times on a session no theme was ever logged for (its zip(strict=True))
        times = []
    end = current.ended_at
    if end is not None:
        when = t("report_when", date=_date(current.created), start=_clock(current.created), end=_clock(end),
                 minutes=_minutes(end - current.created))
    elif current.ended:  # ended in a store made before sessions kept their end time
        when = t("report_when_ended", date=_date(current.created), start=_clock(current.created))
    else:
        when = t("report_when_running", date=_date(current.created), start=_clock(current.created))
    facts = [
        (t("report_when_label"), when),
        (t("report_code"), current.display_code),
        (t("report_kind"), t("kind_" + current.kind)),
        (t("report_k"), t("report_k_value", k=current.k) if current.aggregates_allowed else t("report_k_unused")),
        (t("report_took_part"), str(_took_part(store, current, shares))),
    ]
    allowed = current.aggregates_allowed
    return templating.render(
        "report.html",
        lang="en",
        side_margin_mm=SIDE_MARGIN_MM,
        document_title=t("report_document_title", kit=kit, date=_date(current.created)),
        kit=kit,
        title=t("report_title"),
        intro=t("report_intro"),
        facts_title=t("report_facts"),
        facts=facts,
        themes_title=t("report_themes"),
        themes_table=_themes_table(times, {theme.key: theme for theme in themes}) if times else None,
        themes_none=t("report_themes_none"),
        before_after_title=t("report_before_after"),
        before_after=_before_after_view(outcomes.before_after(store, current, themes)),
        before_after_none=t("report_no_before_after"),
        answers_title=t("report_answers"),
        allowed=allowed,
        not_allowed=t("console_no_aggregates"),
        answers=_answers(current, themes, shares, {key for key, _ in times}) if allowed else [],
        texts_none=t("report_texts_none"),
        footer=t("report_footer", kit=kit, made=f"{_date(now)}, {_clock(now)}"),
    )
