"""The exercise domain: which exercises a theme has, what each may share, how shares are counted.

Plain data and functions, without ipywidgets: the participant's widgets (``widgets/``) show an
exercise and hand its answer here as a dict; the facilitator console finds a theme's exercises by
reading its notebook's cells (never running them) and draws the group picture from the store's
rows and the content files alone.

An exercise is named for good by its theme and its notebook cell id (``"00_welcome/check-in"``):
a therapist may insert, remove or reorder cells and every saved answer and shared row stays with
its question.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import aggregate, content
from .text import t

if TYPE_CHECKING:  # annotations only: participant kernels outside a session never load the store
    from .content import Theme
    from .store import Share

#: the places of the closeness line (0 = "close", 10 = "room of my own")
LINE_PLACES = tuple(str(n) for n in range(11))
#: at most this many feeling words are drawn in the group picture (the most chosen)
TOP_FEELINGS = 10

Rows = list[tuple[str, str]]


def exercise_key(theme_key: str, cell_id: str) -> str:
    """The name an exercise's answers and shares are kept under."""
    return f"{theme_key}/{cell_id}"


def theme_of(key: str) -> str:
    """The theme part of an exercise key."""
    return key.split("/", 1)[0]


# ---------------------------------------------------------------------------- rules


class Rule:
    """What one kind of exercise shares, and how a group's shares are pictured.

    ``shareable`` is ``None`` (never shared), ``"choices"`` (counted, shown as bar charts) or
    ``"text"`` (short texts the facilitator may hide). :meth:`rows` reads an answer as the
    participant's widget reports it (:attr:`widgets.base.Exercise.answer`).
    """

    shareable: str | None = None

    def rows(self, answer: Mapping[str, Any]) -> Rows:
        """The rows this answer would share, before the participant's choice is applied."""
        return []

    def picture(self, shares: Sequence[Share]) -> list:
        """Charts (:class:`aggregate.Chart`) and texts (:class:`aggregate.Texts`) from the group's shares."""
        return []


class CheckInRule(Rule):
    """Feeling words and the 0–10 rating: the own word never leaves the participant."""

    shareable = "choices"

    def rows(self, answer):
        rows = [("feeling", str(word)) for word in answer.get("feelings") or ()]
        if answer.get("intensity") is not None:
            rows.append(("intensity", str(answer["intensity"])))
        return rows

    def picture(self, shares):
        scale = content.intensity()
        numbers = [str(n) for n in range(scale.low, scale.high + 1)]
        rated = [s for s in shares if s.field == "intensity"]
        felt = [s for s in shares if s.field == "feeling"]
        words = aggregate.count(felt, "feeling", list(content.feelings()))
        words = [bar for bar in sorted(words, key=lambda bar: -bar[1]) if bar[1]][:TOP_FEELINGS]
        return [
            aggregate.Chart(
                t("group_intensity", question=scale.question),
                aggregate.count(rated, "intensity", numbers),
                aggregate.respondents(rated),
            ),
            aggregate.Chart(t("group_feelings"), words, aggregate.respondents(felt)),
        ]


class StirsUpRule(Rule):
    """The chosen items of ``stirs_up.yaml``; the participant's own line stays private."""

    shareable = "choices"

    def rows(self, answer):
        return [("item", str(key)) for key in answer.get("chosen") or ()]

    def picture(self, shares):
        labels = {item.id: item.text for item in content.stirs_up()}
        return [aggregate.Chart(t("group_stirs"), aggregate.count(shares, "item", list(labels), labels), aggregate.respondents(shares))]


class BeliefRatingsRule(Rule):
    """Each belief's rating; the group sees how many rated each belief in the top two steps."""

    shareable = "choices"

    def rows(self, answer):
        return [(str(key), str(value)) for key, value in sorted((answer.get("ratings") or {}).items())]

    def picture(self, shares):
        scale, beliefs = content.beliefs()
        high = {str(n) for n in range(len(scale) - 2, len(scale))}
        bars = []
        for belief in beliefs:
            rated = [s for s in shares if s.field == belief.id]
            bars.append((belief.text, sum(1 for s in rated if s.value in high)))
        return [aggregate.Chart(t("group_beliefs", high=" / ".join(scale[-2:])), bars, aggregate.respondents(shares))]


class ClosenessLineRule(Rule):
    """Where "me" and "my partner" sit on the 0–10 line."""

    shareable = "choices"

    def rows(self, answer):
        return [(name, str(answer[name])) for name in ("me", "partner") if answer.get(name) is not None]

    def picture(self, shares):
        mine = [s for s in shares if s.field == "me"]
        theirs = [s for s in shares if s.field == "partner"]
        return [
            aggregate.Chart(t("group_line_me"), aggregate.count(mine, "me", LINE_PLACES), aggregate.respondents(mine)),
            aggregate.Chart(t("group_line_partner"), aggregate.count(theirs, "partner", LINE_PLACES), aggregate.respondents(theirs)),
        ]


@dataclass
class TextRule(Rule):
    """One short text (``answer[name]``, stripped), shown to the facilitator as text they may hide."""

    name: str = "text"
    title_key: str = ""
    shareable: str | None = "text"

    def rows(self, answer):
        text = str(answer.get(self.name) or "").strip()
        return [("text", text)] if text else []

    def picture(self, shares):
        return [aggregate.Texts(t(self.title_key), [s for s in shares if s.field == "text"])]


#: the answers to "would you suggest this workshop to someone in a similar place?"
RECOMMEND = ("yes", "maybe", "no")
#: the closing feedback's one word is at most this long
FEEDBACK_WORD_LIMIT = 40


class FeedbackRule(Rule):
    """The closing feedback: what helped, what to change and "would you suggest it" are shared as
    choices (counted); the one word is free text and leaves only with its own tick (``share_word``),
    on top of "share anonymously". The group sees charts and, for the words, texts the facilitator
    may hide."""

    shareable = "choices"

    def rows(self, answer):
        rows = [(name, str(key)) for name in content.FEEDBACK_LISTS for key in answer.get(name) or ()]
        if answer.get("recommend") in RECOMMEND:
            rows.append(("recommend", answer["recommend"]))
        word = str(answer.get("word") or "").strip()[:FEEDBACK_WORD_LIMIT]
        if word and answer.get("share_word") is True:
            rows.append(("word", word))
        return rows

    def picture(self, shares):
        lists = content.feedback()
        charts = []
        for name, title_key in (("helped", "group_feedback_helped"), ("change", "group_feedback_change")):
            labels = {item.id: item.text for item in getattr(lists, name)}
            chosen = [s for s in shares if s.field == name]
            charts.append(aggregate.Chart(t(title_key), aggregate.count(chosen, name, list(labels), labels), aggregate.respondents(chosen)))
        said = [s for s in shares if s.field == "recommend"]
        labels = {key: t(f"feedback_recommend_{key}") for key in RECOMMEND}
        charts.append(aggregate.Chart(
            t("group_feedback_recommend"), aggregate.count(said, "recommend", list(RECOMMEND), labels), aggregate.respondents(said)
        ))
        return [*charts, aggregate.Texts(t("group_feedback_words"), [s for s in shares if s.field == "word"])]


PRIVATE = Rule()

#: every exercise kind, by the name a theme notebook builds it with (``CheckIn(prompt=…)``)
RULES: dict[str, Rule] = {
    "CheckIn": CheckInRule(),
    "StirsUp": StirsUpRule(),
    "BeliefRatings": BeliefRatingsRule(),
    "ClosenessLine": ClosenessLineRule(),
    "Takeaway": TextRule(name="text", title_key="group_takeaways"),
    "Reframe": TextRule(name="own", title_key="group_reframes"),  # only their own kinder reading
    "StoryITellMyself": PRIVATE,
    "PartnerNote": PRIVATE,
    "SpaceOrNot": PRIVATE,
    "LoopMap": PRIVATE,
    "Pause": PRIVATE,
    "IStatement": PRIVATE,
    "SpaceAgreement": PRIVATE,
    "Feedback": FeedbackRule(),
}


def rule(kind: str) -> Rule:
    """The rule of an exercise kind; an unknown kind shares nothing."""
    return RULES.get(kind, PRIVATE)


def shared_rows(kind: str, answer: Mapping[str, Any], offered: bool) -> Rows:
    """What goes to the group store: nothing unless sharing is offered (a group session), the
    participant ticked "share anonymously" and did not pass."""
    found = rule(kind)
    if found.shareable is None or not offered or not answer.get("share") or answer.get("passed"):
        return []
    return found.rows(answer)


# ---------------------------------------------------------------------------- a theme's exercises


@dataclass(frozen=True)
class ExerciseSpec:
    """An exercise as its notebook cell declares it: ``CheckIn(prompt="…", moment="check-in")``."""

    theme: str
    cell_id: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return exercise_key(self.theme, self.cell_id)

    @property
    def rule(self) -> Rule:
        return rule(self.kind)

    @property
    def shareable(self) -> str | None:
        return self.rule.shareable

    @property
    def title(self) -> str:
        """The question the exercise asks, for the console's heading."""
        prompt = self.params.get("prompt")
        return str(prompt) if prompt else self.kind

    def picture(self, shares: Sequence[Share]) -> list:
        return self.rule.picture(shares)


def _declared(source: str) -> tuple[str, dict] | None:
    """The exercise a code cell's last line builds, read without running it: its kind and its
    literal keyword arguments (a value that is not a literal is left out)."""
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError:
        return None
    if not tree.body or not isinstance(tree.body[-1], ast.Expr) or not isinstance(tree.body[-1].value, ast.Call):
        return None
    call = tree.body[-1].value
    kind = call.func.id if isinstance(call.func, ast.Name) else call.func.attr if isinstance(call.func, ast.Attribute) else None
    if kind not in RULES:
        return None
    params = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            continue
        try:
            params[keyword.arg] = ast.literal_eval(keyword.value)
        except ValueError:
            continue
    return kind, params


def find(theme: Theme) -> list[ExerciseSpec]:
    """The exercises of a theme notebook, in page order, from its code cells."""
    found = []
    for cell in theme.cells:
        if cell.kind != "code":
            continue
        declared = _declared(cell.source)
        if declared is not None:
            found.append(ExerciseSpec(theme=theme.key, cell_id=cell.id, kind=declared[0], params=declared[1]))
    return found


def shareable(themes: Iterable[Theme]) -> dict[str, ExerciseSpec]:
    """Every exercise that can be shared, by key, across the given themes."""
    return {spec.key: spec for theme in themes for spec in find(theme) if spec.shareable}
