"""Printed handouts from the kit's own content files, built offline (``make handouts``).

    python -m workshop.handouts [OUT]        # default: build/handouts/

Writes one HTML page per handout and an ``index.html`` that lists them:

* **a paper version of every exercise** in the theme notebooks. Each exercise cell, such as
  ``CheckIn(prompt="…", moment="check-in")``, is read with :mod:`ast` and never run. The page
  takes its heading and instructions from the markdown cell just above the exercise, its
  question from the cell, and every other word from ``ui.yaml`` and the exercise's content file
  (``feelings.yaml``, ``scenarios.yaml``, …), as the app does. An exercise class it does not
  know stops the build with a message naming the notebook and the cell;
* **every Markdown file in** ``workshop/content/handouts/`` (screening script, consent form, …).
  A line of underscores becomes a line to write on; a run of underscores inside a sentence
  becomes a blank. The safety plan ends with the crisis services of ``resources.yaml``.

Every page ends with a short footer: a "Help now" line (the emergency number and the first
services) and the kit's name with the month of its content. The builder reads content only: its
functions take content folders and nothing else, so no participant's answer can reach a page.
Pages load nothing (no script, no font, no image; the stylesheet is inside each page) and print
on A4 and Letter.
"""

from __future__ import annotations

import ast
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from . import content, templating
from .content import ContentError, Theme
from .exercises import RECOMMEND
from .markdown import to_html
from .paths import KIT_ROOT, content_dir

DEFAULT_OUT = KIT_ROOT / "build" / "handouts"
TEXT_FOLDER = "handouts"  # inside the content folder
SAFETY_PLAN = "safety_plan"  # the text handout that ends with the full list of services
ONE_PAGE = frozenset({"run_sheet"})  # text handouts set closer, so that they print on one sheet
HELP_SERVICES = 3  # how many services the one-line "Help now" footer names

# The app's participant download, not an exercise: there is nothing on paper to fill in.
SKIP = frozenset({"TakeHome"})
# A positional argument means the first parameter of the class (``Pause("breathing")``).
FIRST_PARAMETER = {"Pause": "kind"}

# lines to write on, per box: layout, not words
LINES_LONG, LINES_MEDIUM, LINES_SHORT = 8, 5, 2

# The page's side margin: A4 (210 mm wide) and Letter (215.9 mm) both keep about 174 mm of text
# (templates/handouts.css, the guide's stylesheet with the handouts' rules after it)
SIDE_MARGIN_MM = 18


class HandoutError(ContentError):
    """A notebook cell or content file the handouts cannot be built from."""


# ---------------------------------------------------------------- reading the notebooks


@dataclass(frozen=True)
class ExerciseCell:
    """One exercise of a theme notebook, as written in its code cell (never run)."""

    theme: Theme
    number: int  # the cell's place among the theme's code cells, from 1
    name: str  # the exercise class, e.g. "CheckIn"
    options: dict[str, Any]  # its keyword arguments, e.g. {"prompt": "…", "moment": "check-in"}
    intro: str = ""  # the markdown cell just above it: the instructions participants read

    @property
    def where(self) -> str:
        return f"notebooks/{self.theme.path.name}, code cell {self.number}"


def _call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # widgets.CheckIn(…)
        return node.attr
    return None


def _options(call: ast.Call, name: str, where: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if len(call.args) > 1:
        raise HandoutError(f"{where}: {name}(…) takes one value without a name at most; name the others (prompt=\"…\")")
    pairs = [(FIRST_PARAMETER.get(name, "prompt"), arg) for arg in call.args]
    for keyword in call.keywords:
        if keyword.arg is None:
            raise HandoutError(f"{where}: {name}(**…) cannot be read; write each setting out, e.g. prompt=\"…\"")
        pairs.append((keyword.arg, keyword.value))
    for key, node in pairs:
        try:
            options[key] = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            raise HandoutError(f"{where}: the value of {key} in {name}(…) must be written out as text or a number") from None
    return options


def exercise_cells(notebooks: Path | None = None) -> list[ExerciseCell]:
    """Every exercise of every theme notebook in ``notebooks``, in workshop order.

    A call at the top level of a code cell is an exercise when its class was imported from
    ``widgets`` or its name starts with a capital letter; ``TakeHome`` is left out.
    """
    found = []
    for theme in content.load_themes(notebooks):
        imported: set[str] = set()
        intro = ""
        number = 0
        for cell in theme.cells:
            if cell.kind == "markdown":
                intro = cell.source
                continue
            number += 1
            where = f"notebooks/{theme.path.name}, code cell {number}"
            try:
                tree = ast.parse(cell.source)
            except SyntaxError as error:
                raise HandoutError(f"{where}: this is not valid Python ({error.msg}, line {error.lineno})") from None
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "widgets":
                    imported.update(alias.asname or alias.name for alias in node.names)
                value = node.value if isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
                if not isinstance(value, ast.Call):
                    continue
                name = _call_name(value.func)
                if name is None or not (name in imported or name[:1].isupper()) or name in SKIP:
                    continue
                found.append(ExerciseCell(theme, number, name, _options(value, name, where), intro))
                intro = ""  # a second exercise with no markdown of its own takes its title from ui.yaml
    return found


def _split_intro(markdown: str) -> tuple[str, str]:
    """``"## Title\\n\\ntext"`` → ``("Title", "text")``; no heading on the first line → ``("", markdown)``."""
    lines = markdown.strip().splitlines()
    if lines:
        match = re.match(r"^#{1,6}\s+(.+?)\s*#*\s*$", lines[0])
        if match:
            return match.group(1), "\n".join(lines[1:]).strip()
    return "", markdown.strip()


# ---------------------------------------------------------------- words


class _Words:
    """The words of ``ui.yaml``: a missing key stops the build and says which key to add."""

    def __init__(self, folder: Path | None) -> None:
        self.path = _folder(folder) / "ui.yaml"
        self.texts = content.ui_text(folder)

    def __call__(self, key: str, **values: Any) -> str:
        text = self.texts.get(key)
        if text is None:
            raise HandoutError(f"{self.path}: there is no text for '{key}'; the printed handouts need it")
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.texts

    def optional(self, key: str, **values: Any) -> str:
        """The text for ``key``, or ``""`` while that key is not in ``ui.yaml`` (an optional part)."""
        return self(key, **values) if key in self.texts else ""


def _folder(folder: Path | None) -> Path:
    return Path(folder) if folder is not None else content_dir()


def _parts() -> Any:
    """The macros of ``templates/handout_parts.html``: every part of a page, escaped as it is made."""
    return templating.macros("handout_parts.html")


BLANK = "\u2063BLANK\u2063"  # stands for a blank in a sentence until the sentence is cut at its blanks


def _pieces(sentence: str) -> list[str]:
    """The pieces of text between a sentence's blanks (the template puts a blank between each two)."""
    return sentence.split(BLANK)


def _duration(words: _Words, minutes: int) -> str:
    """As the agreement builder says it: "20 minutes", "1 hour", "1 h 30 min", "24 hours"."""
    return content.duration_text(minutes, words)


# ---------------------------------------------------------------- one builder per exercise
#
# Each takes the words, the content folder and the cell's options, gathers the texts of the
# page's body below its heading and instructions, and has its macro in handout_parts.html make
# the markup. The question (``prompt``) is printed by the page.


def _checkin(words: _Words, folder: Path | None, options: dict) -> Markup:
    scale = content.intensity(folder)
    return _parts().checkin(
        feelings_hint=words("checkin_feelings_label"),
        feelings=list(content.feelings(folder)),
        other_label=words("checkin_other_label"),
        question=scale.question,
        circle=words("handout_circle"),
        low=scale.low,
        high=scale.high,
        min_label=scale.min_label,
        max_label=scale.max_label,
        anchors=list(scale.anchors.items()),
        care=_care(words, scale),
    )


def _care(words: _Words, scale: content.IntensityScale) -> tuple[str, str] | None:
    """From a high rating up, how to take a break and reach the facilitator, as the app's note says.
    (The note's first words speak to one person on a screen; on a sheet everyone reads it.)"""
    care_from = getattr(scale, "care_from", None)
    if care_from is None or not words.has("care_reach"):
        return None
    return words("handout_care_from", n=care_from), words("care_reach")


def _stirs_up(words: _Words, folder: Path | None, options: dict) -> Markup:
    items = [item.text for item in content.stirs_up(folder)]
    return _parts().stirs_up(
        choose=words("choose_any"), items=items, own_label=words("stirs_own_label"), own_lines=LINES_SHORT
    )


def _beliefs(words: _Words, folder: Path | None, options: dict) -> Markup:
    scale, beliefs = content.beliefs(folder)
    return _parts().beliefs(scale_labels=list(scale), beliefs=beliefs, after=words("handout_beliefs_after"))


def _private(label_key: str, lines: int, more: tuple[tuple[str, str], ...] = ()) -> Callable[[_Words, Path | None, dict], Markup]:
    """A box to write in, then each further box (label key, hint key) whose label is in ``ui.yaml``."""

    def build(words: _Words, folder: Path | None, options: dict) -> Markup:
        boxes = [(words(label_key), lines, "")]
        boxes += [(words(key), lines, words.optional(hint_key)) for key, hint_key in more if words.has(key)]
        return _parts().fields(boxes)

    return build


# "The story I tell myself" asks "what else could be true?" in a second box, with a hint
STORY_MORE = (("story_else_label", "story_else_hint"),)


def _reframe(words: _Words, folder: Path | None, options: dict) -> Markup:
    return _parts().reframe(
        readings_hint=words("reframe_readings_label"),
        worries=content.reframes(folder),
        own_label=words("reframe_own_label"),
        own_lines=LINES_MEDIUM - 1,
    )


def _space_or_not(words: _Words, folder: Path | None, options: dict) -> Markup:
    kinds, scenarios = content.scenarios(folder)
    return _parts().space_or_not(
        kinds=kinds, scenarios=scenarios, title=words("scenarios_title"), reading_title=words("handout_scenarios_reading")
    )


def _closeness(words: _Words, folder: Path | None, options: dict) -> Markup:
    return _parts().closeness(
        me=words("line_me"),
        partner=words("line_partner"),
        circle=words("handout_circle"),
        left=words("line_left"),
        right=words("line_right"),
    )


def _loop(words: _Words, folder: Path | None, options: dict) -> Markup:
    steps = ("when", "feel", "do", "they")
    sentence = words("loop_sentence", **{s: BLANK for s in steps})
    return _parts().loop_map(steps=[(s, words(f"loop_{s}")) for s in steps], sentence=_pieces(sentence))


def _istatement(words: _Words, folder: Path | None, options: dict) -> Markup:
    parts = ("happened", "feel", "need", "ask")
    boxes = [
        (words(f"istatement_{p}"), LINES_SHORT, words("handout_example", text=words(f"istatement_{p}_example")))
        for p in parts
    ]
    sentence = words("istatement_sentence", **{p: BLANK for p in parts})
    return _parts().istatement(boxes=boxes, preview=words("istatement_preview"), sentence=_pieces(sentence))


# The draft agreement's two kinds, as the builder holds them: for each field, its label key and
# the rituals.yaml list (or the ui.yaml example) offered beside it. The longer time apart is
# printed when ui.yaml has its words.
AGREEMENT_KINDS = (
    (
        "break",
        (
            ("agreement_signal", "signals", ""),
            ("agreement_length", "", ""),
            ("agreement_check_in", "check_ins", ""),
            ("agreement_come_back", "", "agreement_come_back_example"),
            ("agreement_before", "before", ""),
            ("agreement_after", "after", ""),
            ("agreement_while_waiting", "while_waiting", ""),
        ),
    ),
    (
        "longer",
        (
            ("agreement_how_often", "how_often", ""),
            ("agreement_longer_check_in", "longer_check_ins", ""),
            ("agreement_tell_others", "tell_others", ""),
            ("agreement_review", "review", ""),
            ("agreement_self_care", "self_care", ""),
        ),
    ),
)


def _agreement_guard(words: _Words) -> tuple[str, list[str]] | None:
    """The guardrails above the draft, as the take-home prints them (or as the builder shows them):
    their title (or "") and their texts; ``None`` when ui.yaml has none."""
    parts = [words(f"agreement_guard_{p}") for p in ("proposal", "control", "safety") if words.has(f"agreement_guard_{p}")]
    if words.has("agreement_takehome_guard"):  # written for a page read away from the app
        parts = [words("agreement_takehome_guard")]
    if not parts:
        return None
    return words.optional("agreement_guard_title"), parts


def _agreement(words: _Words, folder: Path | None, options: dict) -> Markup:
    rituals = content.rituals(folder)  # both kinds' lists, checked as the app checks them
    kinds = [(kind, fields) for kind, fields in AGREEMENT_KINDS if kind == "break" or words.has(f"agreement_kind_{kind}")]
    several = len(kinds) > 1
    choices = [(words(f"agreement_kind_{k}"), words.optional(f"agreement_kind_{k}_hint")) for k, _ in kinds] if several else []
    shown = []
    for n, (kind, fields) in enumerate(kinds):
        boxes = []
        for label_key, list_key, example_key in fields:
            hint = ""
            if label_key == "agreement_length":
                low, high = _duration(words, rituals.min_minutes), _duration(words, rituals.max_minutes)
                hint = words("agreement_length_hint", low=low, high=high)
            if example_key:
                hint = words("handout_example", text=words(example_key))
            lines = 1 if label_key == "agreement_length" else LINES_SHORT
            boxes.append((words(label_key), lines, hint, list(rituals.ideas(list_key)) if list_key else []))
        # each kind on its own page when there are two, to copy only the one that fits
        shown.append((words(f"agreement_kind_{kind}") if several else "", n > 0, boxes))
    return _parts().agreement(
        guard=_agreement_guard(words),
        question=words("agreement_kind_question") if several else "",
        choices=choices,
        kinds=shown,
        ideas_hint=words("handout_ideas") if any(box[3] for _, _, boxes in shown for box in boxes) else "",
    )


def _pause(words: _Words, folder: Path | None, options: dict) -> Markup:
    kind = options.get("kind", "breathing")
    pauses = content.pauses(folder).by_kind()
    if kind not in pauses:
        raise HandoutError(f"Pause(kind={kind!r}) is not one of the pauses in pauses.yaml: {', '.join(pauses)}")
    spec = pauses[kind]
    if isinstance(spec, content.BreathingPause):
        seconds = (spec.in_seconds + spec.out_seconds) * spec.rounds
        intro, steps = spec.intro, None
    else:
        seconds = sum(step.seconds for step in spec.steps)
        intro, steps = spec.credit, [step.text for step in spec.steps]
    minutes = max(1, round(seconds / 60))
    return _parts().pause(title=spec.title, intro=intro, steps=steps, length=words("pause_length", minutes=minutes))


def _feedback(words: _Words, folder: Path | None, options: dict) -> Markup:
    lists = content.feedback(folder)
    return _parts().feedback(
        anonymous=words("handout_feedback_anonymous"),
        helped=(words("feedback_helped_label"), [item.text for item in lists.helped]),
        change=(words("feedback_change_label"), [item.text for item in lists.change]),
        recommend=(words("feedback_recommend_label"), words("handout_feedback_tick_one"),
                   [words(f"feedback_recommend_{key}") for key in RECOMMEND]),
        word_label=words("feedback_word_label"),
    )


EXERCISES: dict[str, Callable[[_Words, Path | None, dict], Markup]] = {
    "CheckIn": _checkin,
    "StirsUp": _stirs_up,
    "BeliefRatings": _beliefs,
    "StoryITellMyself": _private("story_label", LINES_MEDIUM, STORY_MORE),
    "PartnerNote": _private("partner_note_label", LINES_LONG),
    "Takeaway": _private("takeaway_label", LINES_MEDIUM - 1),
    "Reframe": _reframe,
    "SpaceOrNot": _space_or_not,
    "ClosenessLine": _closeness,
    "LoopMap": _loop,
    "IStatement": _istatement,
    "SpaceAgreement": _agreement,
    "Pause": _pause,
    "Feedback": _feedback,
}
# the exercise's own title in ui.yaml, used when no markdown heading sits above it
TITLES = {
    "StirsUp": "stirs_title",
    "BeliefRatings": "beliefs_title",
    "StoryITellMyself": "story_title",
    "PartnerNote": "partner_note_title",
    "Takeaway": "takeaway_title",
    "Reframe": "reframe_title",
    "SpaceOrNot": "scenarios_title",
    "ClosenessLine": "line_title",
    "LoopMap": "loop_title",
    "IStatement": "istatement_title",
    "SpaceAgreement": "agreement_title",
    "Feedback": "feedback_title",
}


# ---------------------------------------------------------------- crisis services


def _address(url: str) -> str:
    return url.removeprefix("https://").removeprefix("http://").removeprefix("www.").rstrip("/")


def _contact_words(words: _Words, contact: content.Contact) -> str:
    """A contact in the Help panel's words, with a chat or website's address written out for paper."""
    text = contact.label(words)
    if contact.kind in ("chat", "web"):
        text = words("help_print_address", label=text, address=_address(contact.value))
    return f"{text} ({contact.note})" if contact.note else text


def help_line(words: _Words, res: content.Resources) -> str:
    """One short line: the emergency number, then the first services that can be called or texted
    (the first of each group)."""
    parts = [words("help_emergency", country=res.country_name, number=res.emergency)] if res.emergency else []
    firsts = [items[0] for _, items in res.grouped() if items]
    services = firsts + [s for s in res.services if all(s is not f for f in firsts)]
    named = 0
    for service in services:
        dialled = [_contact_words(words, c) for c in service.contacts if c.kind in ("call", "text")]
        if dialled and named < HELP_SERVICES:
            parts.append(words("handout_help_service", name=service.name, how=", ".join(dialled)))
            named += 1
    return words("handout_help_line", services=" · ".join(parts))


def _services(words: _Words, res: content.Resources) -> dict[str, Any]:
    """The services of ``resources.yaml`` in full, by group, as the Help panel lists them (the end
    of the safety plan, ``templates/handout_text.html``)."""

    def entry(service: content.Service) -> dict[str, str]:
        how = ", ".join(_contact_words(words, c) for c in service.contacts)
        return {"name": service.name, "how": how, "what": service.what}

    groups = [(words(f"help_group_{group}"), [entry(s) for s in items]) for group, items in res.grouped()]
    if res.international:
        groups.append((words("help_international"), [entry(s) for s in res.international]))
    notes = [c.note for c in res.emergency_contacts if c.note]  # e.g. "then press 55"
    notes += [res.emergency_note] if res.emergency_note else []
    return {
        "title": words("help_title"),
        "intro": words("help_intro"),
        "emergency": words("help_emergency", country=res.country_name, number=res.emergency) if res.emergency else "",
        "notes": notes,
        "groups": groups,
    }


def content_month(res: content.Resources, folder: Path | None = None) -> str:
    """The month of the content: the newest month a service (or the emergency number) was checked,
    else the month of the newest content file."""
    months = [res.emergency_checked, *(s.checked for s in (*res.services, *res.international))]
    month = max((m for m in months if m), default="")
    if not month:
        files = [p for p in _folder(folder).rglob("*") if p.suffix in (".yaml", ".md")]
        newest = max((p.stat().st_mtime for p in files), default=time.time())
        month = time.strftime("%Y-%m", time.localtime(newest))
    return month


# ---------------------------------------------------------------- pages


@dataclass
class Handout:
    """One printed page: its file name, title, the line under it in the index, and its HTML."""

    filename: str
    title: str
    where: str
    kind: str  # "exercise" or "text"
    html: str = field(repr=False)


class _Kit:
    """What every page of one build shares: words, crisis services, the footer."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.words = _Words(folder)
        self.resources = content.resources(folder)
        self.footer = {
            "help": help_line(self.words, self.resources),
            "kit": self.words("handout_footer", kit=self.words("app_title"), month=content_month(self.resources, folder)),
        }

    def page(self, template: str, title: str, kicker: str, css: str = "", **context: Any) -> str:
        """A whole page: ``template`` (which extends handout.html) with the kit's head and footer."""
        return templating.render(
            template,
            app_title=self.words("app_title"),
            title=title,
            kicker=kicker,
            body_class=css,
            side_margin_mm=SIDE_MARGIN_MM,
            footer=self.footer,
            **context,
        )


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def _exercise_handout(kit: _Kit, cell: ExerciseCell, filename: str) -> Handout:
    builder = EXERCISES.get(cell.name)
    if builder is None:
        known = ", ".join(sorted(EXERCISES))
        raise HandoutError(
            f"{cell.where}: {cell.name}(…) is not an exercise the printed handouts know ({known}). "
            "Check the spelling, or add a paper version for it in workshop/handouts.py."
        )
    words = kit.words
    heading, intro = _split_intro(cell.intro)
    if heading:
        title = heading
    elif cell.name == "CheckIn":
        title = words("checkout_title" if cell.options.get("moment") == "check-out" else "checkin_title")
    elif cell.name == "Pause":
        spec = content.pauses(kit.folder).by_kind().get(cell.options.get("kind", "breathing"))
        title = spec.title if spec is not None else ""
    else:
        title = words(TITLES[cell.name])
    try:
        body = builder(words, kit.folder, cell.options)
    except HandoutError as error:
        raise HandoutError(f"{cell.where}: {error}") from None
    prompt = cell.options.get("prompt", "")
    theme = words("handout_theme", number=cell.theme.number, title=cell.theme.title)
    page = kit.page(
        "handout_exercise.html",
        title,
        f"{words('app_title')} · {theme}",
        heading=title,
        # Safe to mark: the notebook's markdown cell as workshop.markdown.to_html renders it, raw
        # HTML off and every character of the source escaped by markdown-it.
        intro=Markup(to_html(intro)) if intro else "",
        question=prompt if isinstance(prompt, str) and prompt.strip() else "",
        body=body,  # the exercise's macro: made, and escaped, by the template
    )
    return Handout(filename, title, theme, "exercise", page)


# -- text handouts

_FENCE = re.compile(r"^\s*(```|~~~)")
_UNDERSCORES = re.compile(r"_{3,}")
_ONLY_UNDERSCORES = re.compile(r"^\s*_{3,}(?:\s+_{3,})*\s*$")


def _escape_underscores(markdown: str) -> str:
    """Keep runs of underscores as text: Markdown would turn a line of ``___`` into a rule."""
    out: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced:
            spans = line.split("`")  # leave `code spans` as they are (odd pieces)
            line = "`".join(
                _UNDERSCORES.sub(lambda m: "\\_" * len(m.group(0)), piece) if i % 2 == 0 else piece
                for i, piece in enumerate(spans)
            )
        out.append(line)
    return "\n".join(out) + "\n"


_INNERMOST = re.compile(r"(<(p|li)>)((?:(?!<(?:p|li|ul|ol|div)\b).)*?)(</\2>)", re.DOTALL)
_UNDERSCORE_CELL = re.compile(r'<td(?: style="text-align:(left|right|center)")?>\s*_{3,}\s*</td>')
_TEXT = re.compile(r">[^<]+<")


def _writing_lines(rendered: str) -> str:
    """In a paragraph or list item, a line of underscores becomes a line to write on; a run of
    underscores inside a sentence becomes a blank to fill in.

    ``rendered`` is workshop.markdown.to_html's output; its own tags are kept as they are, cut
    where a line to write on comes, and every new part is a macro of handout_parts.html."""
    parts_of = _parts()

    def block(match: re.Match) -> str:
        opening, tag, inner, closing = match.groups()
        if not _UNDERSCORES.search(inner):
            return match.group(0)
        parts: list[str] = []
        text: list[str] = []

        def flush() -> None:
            if text:
                joined = "\n".join(text)
                parts.append(opening + joined + closing if tag == "p" else joined)
                text.clear()

        for line in inner.split("\n"):
            if _ONLY_UNDERSCORES.match(line):
                flush()
                parts.append(parts_of.write_line())
            else:
                text.append(line)
        flush()
        return "".join(parts) if tag == "p" else opening + "".join(parts) + closing

    rendered = _INNERMOST.sub(block, rendered)
    # a table cell of underscores: room to write in the cell itself
    rendered = _UNDERSCORE_CELL.sub(lambda cell: parts_of.write_cell(cell.group(1) or ""), rendered)

    def blanks(match: re.Match) -> str:
        return _UNDERSCORES.sub(lambda run: parts_of.blank(f"{min(len(run.group(0)), 60) * 0.45:.1f}em"), match.group(0))

    return _TEXT.sub(blanks, rendered)


def text_files(folder: Path | None = None) -> list[Path]:
    """The Markdown files of ``<content>/handouts/``, by name (none while the folder is empty)."""
    return sorted((_folder(folder) / TEXT_FOLDER).glob("*.md"))


def _text_handout(kit: _Kit, path: Path) -> Handout:
    try:
        markdown = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise HandoutError(f"{path}: save the file as UTF-8 text") from None
    if not markdown.strip():
        raise HandoutError(f"{path}: the handout is empty")
    heading, _ = _split_intro(markdown)
    title = heading or path.stem.replace("_", " ").capitalize()
    # Safe to mark: the file as workshop.markdown.to_html renders it (raw HTML off, every character
    # of the source escaped by markdown-it), with its underscores swapped for handout_parts.html's
    # lines to write on and blanks, which that template made and escaped.
    text = Markup(_writing_lines(to_html(_escape_underscores(markdown))))
    services = _services(kit.words, kit.resources) if path.stem == SAFETY_PLAN else None
    css = "one-page" if path.stem in ONE_PAGE else ""
    page = kit.page("handout_text.html", title, kit.words("app_title"), css, text=text, services=services)
    return Handout(f"{path.stem}.html", title, path.name, "text", page)


# -- everything


def handouts(notebooks: Path | None = None, folder: Path | None = None) -> list[Handout]:
    """Every handout, exercises in workshop order then text handouts by name (nothing written)."""
    kit = _Kit(folder)
    out: list[Handout] = []
    used: set[str] = {"index.html"}
    for cell in exercise_cells(notebooks):
        stem = f"{cell.theme.number:02d}-{_kebab(cell.name)}"
        filename, n = f"{stem}.html", 1
        while filename in used:
            n += 1
            filename = f"{stem}-{n}.html"
        used.add(filename)
        out.append(_exercise_handout(kit, cell, filename))
    for path in text_files(folder):
        handout = _text_handout(kit, path)
        if handout.filename in used:
            raise HandoutError(f"{path}: rename the file; {handout.filename} is already the name of another handout")
        used.add(handout.filename)
        out.append(handout)
    return out


def index_html(pages: list[Handout], folder: Path | None = None) -> str:
    """The page that lists every handout, with a link to each."""
    kit = _Kit(folder)
    words = kit.words
    texts = [h for h in pages if h.kind == "text"]
    return kit.page(
        "handout_index.html",
        words("handout_index_title"),
        words("app_title"),
        heading=words("handout_index_title"),
        intro=words("handout_index_intro"),
        exercises_title=words("handout_index_exercises"),
        exercises=[h for h in pages if h.kind == "exercise"],
        texts_title=words("handout_index_texts") if texts else "",
        texts=texts,
    )


def build(out: Path | None = None, notebooks: Path | None = None, folder: Path | None = None) -> list[Path]:
    """Write every handout and ``index.html`` into ``out`` (made as needed); return the paths written.

    Everything is built before anything is written, so a content error leaves ``out`` as it was."""
    out = Path(out) if out is not None else DEFAULT_OUT
    pages = handouts(notebooks, folder)
    index = index_html(pages, folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for handout in pages:
        path = out / handout.filename
        path.write_text(handout.html, encoding="utf-8")
        written.append(path)
    (out / "index.html").write_text(index, encoding="utf-8")
    return [out / "index.html", *written]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m workshop.handouts [OUT]   (default: build/handouts/)")
        return 0 if args and args[0] in ("-h", "--help") else 2
    try:
        written = build(Path(args[0]) if args else DEFAULT_OUT)
    except ContentError as error:
        print(f"The handouts were not built: {error}", file=sys.stderr)
        return 1
    print(f"{len(written) - 1} handouts are in {written[0].parent}. Open index.html in a browser to print them.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
