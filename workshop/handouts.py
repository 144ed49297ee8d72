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
import html
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import content
from .content import ContentError, Theme
from .guide import STYLE as GUIDE_STYLE
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
SIDE_MARGIN_MM = 18

STYLE = (
    GUIDE_STYLE
    + f"@page {{ margin: 15mm {SIDE_MARGIN_MM}mm 16mm; }}\n"
    + """
/* handouts: the guide's page, plus boxes to tick, numbers to circle and lines to write on */
* { box-sizing: border-box; }
body { max-width: 44rem; overflow-wrap: break-word; }
.kicker { font-size: 0.82rem; letter-spacing: 0.04em; text-transform: uppercase; color: #5b6b70; margin: 0 0 0.2rem; }
h1 { margin-bottom: 0.6rem; }
.intro { margin-bottom: 0.6rem; }
.intro p { margin: 0.45rem 0; }
.question { font-weight: 600; font-size: 1.08rem; margin: 0.8rem 0 0.4rem; color: #1f3d44; }
.hint { color: #4f6166; font-size: 0.92rem; margin: 0.15rem 0 0.4rem; }
.field { margin: 0.7rem 0 0.8rem; break-inside: avoid; page-break-inside: avoid; }
.field-label { font-weight: 600; margin: 0 0 0.15rem; }
.write-line { height: 2.1em; border-bottom: 1px solid #7d8d92; }
td.write-cell { height: 2.6em; }
.sentence .blank { min-width: 8em; }
.blank { display: inline-block; min-width: 5em; max-width: 100%; border-bottom: 1px solid #7d8d92; height: 1.1em; vertical-align: baseline; }
.box { flex: none; display: inline-block; width: 0.95em; height: 0.95em; border: 1.5px solid #1f2d33; border-radius: 2px;
       background: #fff; position: relative; top: 0.14em; }
ul.ticks { list-style: none; padding: 0; margin: 0.4rem 0 0.8rem; columns: 2; column-gap: 1.6rem; }
ul.ticks.three { columns: 3; }
ul.ticks.four { columns: 4; column-gap: 1rem; }
ul.ticks.one { columns: 1; }
ul.ticks li { display: flex; gap: 0.5rem; align-items: flex-start; margin: 0 0 0.28rem; break-inside: avoid; page-break-inside: avoid; }
.scale { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0.2rem; margin: 0.5rem 0 0.2rem; padding: 0; list-style: none; }
.scale li { width: 2.1em; height: 2.1em; line-height: 1.85em; text-align: center; border: 1.5px solid #1f2d33; border-radius: 50%; font-weight: 600; }
.ends { display: flex; justify-content: space-between; gap: 1rem; font-size: 0.88rem; color: #4f6166; margin: 0 0 0.5rem; }
dl.anchors { display: grid; grid-template-columns: 2.2em 1fr; gap: 0 0.6rem; margin: 0.3rem 0 0; font-size: 0.9rem; }
dt { font-weight: 600; }
dd { margin: 0 0 0.4rem 1.2rem; }
dl.anchors dt { text-align: right; }
dl.anchors dd { margin: 0; }
table.rating { table-layout: fixed; width: 100%; }
table.rating th { font-weight: 600; font-size: 0.78rem; text-align: center; vertical-align: bottom; }
table.rating th:first-child, table.rating td:first-child { width: 40%; text-align: left; font-size: 0.95rem; }
table.rating td { text-align: center; vertical-align: middle; }
table.rating tbody th { font-weight: normal; background: none; }
table.rating .box { width: 1.1em; height: 1.1em; }
ol.stories { padding-left: 1.4rem; }
ol.stories > li { margin: 0 0 0.9rem; break-inside: avoid; page-break-inside: avoid; }
ol.stories p { margin: 0 0 0.35rem; }
.choices { display: flex; flex-wrap: wrap; gap: 0.3rem 1.2rem; font-size: 0.92rem; }
.choices span.choice { display: inline-flex; gap: 0.4rem; align-items: flex-start; }
.worry { margin: 0 0 0.8rem; break-inside: avoid; page-break-inside: avoid; }
.worry > .choice-line { display: flex; gap: 0.5rem; align-items: flex-start; font-weight: 600; }
.worry ul.ticks { margin: 0.25rem 0 0 1.5rem; columns: 1; font-size: 0.95rem; }
.later { break-before: page; page-break-before: always; }
.loop { position: relative; display: grid; grid-template-columns: 1fr 1fr; grid-template-areas: "when feel" "they do";
        gap: 2.2rem; margin: 0.8rem 0 1rem; }
.loop-step { border: 1.5px solid #2d6a6a; border-radius: 10px; min-height: 9rem; padding: 0.4rem 0.6rem; }
.loop-when { grid-area: when; } .loop-feel { grid-area: feel; } .loop-do { grid-area: do; } .loop-they { grid-area: they; }
.loop-arrow { position: absolute; left: 50%; top: 50%; transform: translate(-50%, -50%); font-size: 2rem; color: #2d6a6a; }
.sentence { border-left: 4px solid #2d6a6a; background: #eef5f3; padding: 0.6rem 1rem; line-height: 2.3; }
.card { border: 2px solid #2d6a6a; border-radius: 10px; padding: 0.4rem 1rem 0.6rem; }
.note { border-left: 4px solid #b0873b; background: #fbf5e8; padding: 0.5rem 0.9rem; margin: 0.6rem 0; }
ul.ideas { margin: 0.1rem 0 0.3rem; padding-left: 1.1rem; font-size: 0.86rem; color: #4f6166; }
ul.ideas li { margin: 0; }
ol.steps li { margin: 0 0 0.5rem; }
section.resources { margin-top: 1.5rem; border-top: 2px solid #2d6a6a; }  /* may split between groups: a long list
   kept whole pushed the safety plan onto a third page */
section.resources h3 { break-after: avoid; page-break-after: avoid; }
section.resources ul { padding-left: 1.1rem; }
section.resources li { margin: 0 0 0.4rem; break-inside: avoid; page-break-inside: avoid; }
footer.handout-footer { margin-top: 1.6rem; padding-top: 0.5rem; border-top: 1px solid #cfc6b8; font-size: 0.82rem; color: #4f6166;
                        break-inside: avoid; page-break-inside: avoid; }
footer.handout-footer p { margin: 0.15rem 0; }
footer.handout-footer .help { color: #1f2d33; font-weight: 600; }
nav.handouts li { margin: 0.3rem 0; }
nav.handouts .where { color: #5b6b70; font-size: 0.9rem; }
@media print {
  body { max-width: none; }
  body.one-page { line-height: 1.4; }
  body.one-page main { font-size: 0.92rem; }
  body.one-page h1 { font-size: 1.45rem; }
  body.one-page h2 { font-size: 1.12rem; margin: 0.8rem 0 0.3rem; }
  body.one-page p, body.one-page ul, body.one-page ol { margin: 0.3rem 0; }
  body.one-page li { margin: 0; }
  body.one-page th, body.one-page td { padding: 0.2rem 0.4rem; }
  body.one-page footer.handout-footer { margin-top: 0.6rem; }
  .intro, .question { break-after: avoid; page-break-after: avoid; }
  .sentence, .note { background: none; }
}
"""
)


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


def _e(text: Any) -> str:
    return html.escape(str(text))


BLANK = "\u2063BLANK\u2063"  # stands for a blank in a sentence until the sentence is escaped


def _with_blanks(text: str) -> str:
    return _e(text).replace(_e(BLANK), '<span class="blank"></span>')


def _lines(n: int) -> str:
    return '<div class="write-line"></div>' * n


def _label(text: str) -> str:
    return f'<p class="field-label">{_e(text)}</p>' if text else ""


def _hint(text: str) -> str:
    return f'<p class="hint">{_e(text)}</p>' if text else ""


def _box() -> str:
    return '<span class="box" aria-hidden="true"></span>'


def _ticks(items: list[str] | tuple[str, ...], columns: str = "") -> str:
    css = f"ticks {columns}".strip()
    return f'<ul class="{css}">' + "".join(f"<li>{_box()}<span>{_e(item)}</span></li>" for item in items) + "</ul>"


def _field(label: str, lines: int, hint: str = "", extra: str = "") -> str:
    return f'<div class="field">{_label(label)}{_hint(hint)}{extra}{_lines(lines)}</div>'


def _scale(low: int, high: int, left: str, right: str) -> str:
    numbers = "".join(f"<li>{n}</li>" for n in range(low, high + 1))
    return (
        f'<ul class="scale" aria-label="{low}–{high}">{numbers}</ul>'
        f'<div class="ends"><span>{low} · {_e(left)}</span><span>{_e(right)} · {high}</span></div>'
    )


def _duration(words: _Words, minutes: int) -> str:
    """As the agreement builder says it: "20 minutes", "1 hour", "1 h 30 min", "24 hours"."""
    return content.duration_text(minutes, words)


# ---------------------------------------------------------------- one builder per exercise
#
# Each takes the words, the content folder and the cell's options, and returns the page's body
# below its heading and instructions. The question (``prompt``) is printed by the page.


def _checkin(words: _Words, folder: Path | None, options: dict) -> str:
    scale = content.intensity(folder)
    anchors = "".join(f"<dt>{n}</dt><dd>{_e(text)}</dd>" for n, text in scale.anchors.items())
    return (
        f'<div class="field">{_hint(words("checkin_feelings_label"))}{_ticks(content.feelings(folder), "four")}</div>'
        + _field(words("checkin_other_label"), 1)
        + f'<div class="field">{_label(scale.question)}{_hint(words("handout_circle"))}'
        + _scale(scale.low, scale.high, scale.min_label, scale.max_label)
        + f'<dl class="anchors">{anchors}</dl></div>'
        + _care(words, scale)
    )


def _care(words: _Words, scale: content.IntensityScale) -> str:
    """From a high rating up, how to take a break and reach the facilitator, as the app's note says.
    (The note's first words speak to one person on a screen; on a sheet everyone reads it.)"""
    care_from = getattr(scale, "care_from", None)
    if care_from is None or not words.has("care_reach"):
        return ""
    return f'<p class="note"><strong>{_e(words("handout_care_from", n=care_from))}</strong> {_e(words("care_reach"))}</p>'


def _stirs_up(words: _Words, folder: Path | None, options: dict) -> str:
    items = [item["text"] for item in content.stirs_up(folder)]
    return f'<div class="field">{_hint(words("choose_any"))}{_ticks(items)}</div>' + _field(
        words("stirs_own_label"), LINES_SHORT
    )


def _beliefs(words: _Words, folder: Path | None, options: dict) -> str:
    scale, beliefs = content.beliefs(folder)
    head = "<tr><th></th>" + "".join(f'<th scope="col">{_e(label)}</th>' for label in scale) + "</tr>"
    rows = "".join(
        f'<tr><th scope="row">{_e(b["text"])}</th>' + f"<td>{_box()}</td>" * len(scale) + "</tr>" for b in beliefs
    )
    later = "".join(f"<li><strong>{_e(b['text'])}</strong><br>{_e(b['reflection'])}</li>" for b in beliefs)
    return (
        f'<table class="rating"><thead>{head}</thead><tbody>{rows}</tbody></table>'
        f'<h2 class="later">{_e(words("handout_beliefs_after"))}</h2><ul>{later}</ul>'
    )


def _private(label_key: str, lines: int, more: tuple[tuple[str, str], ...] = ()) -> Callable[[_Words, Path | None, dict], str]:
    """A box to write in, then each further box (label key, hint key) whose label is in ``ui.yaml``."""

    def build(words: _Words, folder: Path | None, options: dict) -> str:
        body = _field(words(label_key), lines)
        for key, hint_key in more:
            if words.has(key):
                body += _field(words(key), lines, words.optional(hint_key))
        return body

    return build


# "The story I tell myself" asks "what else could be true?" in a second box, with a hint
STORY_MORE = (("story_else_label", "story_else_hint"),)


def _reframe(words: _Words, folder: Path | None, options: dict) -> str:
    worries = []
    for worry in content.reframes(folder):
        worries.append(
            f'<div class="worry"><div class="choice-line">{_box()}<span>{_e(worry["thought"])}</span></div>'
            + _ticks(worry["readings"], "one")
            + "</div>"
        )
    return (
        _hint(words("reframe_readings_label"))
        + "".join(worries)
        + _field(words("reframe_own_label"), LINES_MEDIUM - 1)
    )


def _space_or_not(words: _Words, folder: Path | None, options: dict) -> str:
    kinds, scenarios = content.scenarios(folder)
    choices = "".join(f'<span class="choice">{_box()}<span>{_e(kind["label"])}</span></span>' for kind in kinds.values())
    stories = "".join(f'<li><p>{_e(s["text"])}</p><div class="choices">{choices}</div></li>' for s in scenarios)
    explained = "".join(f"<dt>{_e(k['label'])}</dt><dd>{_e(k['explain'])}</dd>" for k in kinds.values())
    reading = "".join(
        f"<li><strong>{_e(kinds[s['answer']]['label'])}.</strong> {_e(s['feedback'])}</li>" for s in scenarios
    )
    return (
        f'<ol class="stories">{stories}</ol>'
        f'<h2 class="later">{_e(words("scenarios_title"))}</h2><dl>{explained}</dl>'
        f'<h2>{_e(words("handout_scenarios_reading"))}</h2><ol>{reading}</ol>'
    )


def _closeness(words: _Words, folder: Path | None, options: dict) -> str:
    line = _scale(0, 10, words("line_left"), words("line_right"))
    return (
        f'<div class="field">{_label(words("line_me"))}{_hint(words("handout_circle"))}{line}</div>'
        f'<div class="field">{_label(words("line_partner"))}{_hint(words("handout_circle"))}{line}</div>'
    )


def _loop(words: _Words, folder: Path | None, options: dict) -> str:
    steps = ("when", "feel", "do", "they")
    boxes = "".join(f'<div class="loop-step loop-{s}">{_label(words(f"loop_{s}"))}</div>' for s in steps)
    sentence = words("loop_sentence", **{s: BLANK for s in steps})
    return (
        f'<div class="loop">{boxes}<div class="loop-arrow" aria-hidden="true">↻</div></div>'
        f'<p class="sentence">{_with_blanks(sentence)}</p>'
    )


def _istatement(words: _Words, folder: Path | None, options: dict) -> str:
    parts = ("happened", "feel", "need", "ask")
    fields = "".join(
        _field(words(f"istatement_{p}"), LINES_SHORT, words("handout_example", text=words(f"istatement_{p}_example")))
        for p in parts
    )
    sentence = words("istatement_sentence", **{p: BLANK for p in parts})
    return fields + f'<div class="field">{_label(words("istatement_preview"))}<p class="sentence">{_with_blanks(sentence)}</p></div>'


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


def _agreement_guard(words: _Words) -> str:
    """The guardrails above the draft, as the take-home prints them (or as the builder shows them)."""
    parts = [words(f"agreement_guard_{p}") for p in ("proposal", "control", "safety") if words.has(f"agreement_guard_{p}")]
    if words.has("agreement_takehome_guard"):  # written for a page read away from the app
        parts = [words("agreement_takehome_guard")]
    if not parts:
        return ""
    title = f"<strong>{_e(words('agreement_guard_title'))}</strong><br>" if words.has("agreement_guard_title") else ""
    return f'<p class="note">{title}{"<br>".join(_e(p) for p in parts)}</p>'


def _agreement(words: _Words, folder: Path | None, options: dict) -> str:
    ideas = content.rituals(folder)  # both kinds' lists, checked as the app checks them
    kinds = [(kind, fields) for kind, fields in AGREEMENT_KINDS if kind == "break" or words.has(f"agreement_kind_{kind}")]
    parts = [_agreement_guard(words)]
    if len(kinds) > 1:
        choices = [f"<strong>{_e(words(f'agreement_kind_{k}'))}</strong>" + (
            f"<br><span class=\"hint\">{_e(words(f'agreement_kind_{k}_hint'))}</span>" if words.has(f"agreement_kind_{k}_hint") else ""
        ) for k, _ in kinds]
        parts.append(
            f'<div class="field">{_label(words("agreement_kind_question"))}<ul class="ticks one">'
            + "".join(f"<li>{_box()}<span>{c}</span></li>" for c in choices)
            + "</ul></div>"
        )
    for n, (kind, fields) in enumerate(kinds):
        if len(kinds) > 1:  # each kind on its own page, to copy only the one that fits
            parts.append(f'<h2 class="kind{" later" if n else ""}">{_e(words(f"agreement_kind_{kind}"))}</h2>')
        for label_key, list_key, example_key in fields:
            hint, extra = "", ""
            if label_key == "agreement_length":
                low, high = _duration(words, ideas["min_minutes"]), _duration(words, ideas["max_minutes"])
                hint = words("agreement_length_hint", low=low, high=high)
            if example_key:
                hint = words("handout_example", text=words(example_key))
            if ideas.get(list_key):
                extra = (
                    _hint(words("handout_ideas"))
                    + '<ul class="ideas">'
                    + "".join(f"<li>{_e(idea)}</li>" for idea in ideas[list_key])
                    + "</ul>"
                )
            lines = 1 if label_key == "agreement_length" else LINES_SHORT
            parts.append(_field(words(label_key), lines, hint, extra))
    return f'<div class="card">{"".join(parts)}</div>'


def _pause(words: _Words, folder: Path | None, options: dict) -> str:
    kind = options.get("kind", "breathing")
    pauses = content.pauses(folder)
    if kind not in pauses:
        raise HandoutError(f"Pause(kind={kind!r}) is not one of the pauses in pauses.yaml: {', '.join(pauses)}")
    spec = pauses[kind]
    if kind == "breathing":
        seconds = (spec["in_seconds"] + spec["out_seconds"]) * spec["rounds"]
        body = _hint(spec["intro"])
    else:
        seconds = sum(step["seconds"] for step in spec["steps"])
        body = _hint(spec.get("credit", "")) + '<ol class="steps">' + "".join(
            f"<li>{_e(step['text'])}</li>" for step in spec["steps"]
        ) + "</ol>"
    minutes = max(1, round(seconds / 60))
    return f'<p class="question">{_e(spec["title"])}</p>{body}{_hint(words("pause_length", minutes=minutes))}'


EXERCISES: dict[str, Callable[[_Words, Path | None, dict], str]] = {
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


def _resources_section(words: _Words, res: content.Resources) -> str:
    """The services of ``resources.yaml`` in full, by group, as the Help panel lists them."""

    def entry(service: content.Service) -> str:
        line = f"<strong>{_e(service.name)}</strong>"
        how = [_contact_words(words, c) for c in service.contacts]
        if how:
            line += " · " + _e(", ".join(how))
        return f"<li>{line}<br>{_e(service.what)}</li>"

    parts = [f"<h2>{_e(words('help_title'))}</h2>", f"<p>{_e(words('help_intro'))}</p>"]
    if res.emergency:
        notes = [c.note for c in res.emergency_contacts if c.note]  # e.g. "then press 55"
        notes += [res.emergency_note] if res.emergency_note else []
        parts.append(
            f"<p><strong>{_e(words('help_emergency', country=res.country_name, number=res.emergency))}</strong>"
            + "".join(f"<br>{_e(n)}" for n in notes)
            + "</p>"
        )
    for group, items in res.grouped():
        parts.append(f"<h3>{_e(words(f'help_group_{group}'))}</h3><ul>" + "".join(entry(s) for s in items) + "</ul>")
    if res.international:
        parts.append(f"<h3>{_e(words('help_international'))}</h3><ul>" + "".join(entry(s) for s in res.international) + "</ul>")
    return '<section class="resources">' + "".join(parts) + "</section>"


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
        self.footer = (
            '<footer class="handout-footer">'
            f'<p class="help">{_e(help_line(self.words, self.resources))}</p>'
            f'<p>{_e(self.words("handout_footer", kit=self.words("app_title"), month=content_month(self.resources, folder)))}</p>'
            "</footer>"
        )

    def page(self, title: str, kicker: str, body: str, css: str = "") -> str:
        body_class = f' class="{css}"' if css else ""
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(self.words('app_title'))}: {_e(title)}</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body{body_class}>\n<main>\n"
            f'<p class="kicker">{_e(kicker)}</p>\n'
            f"{body}\n</main>\n{self.footer}\n</body>\n</html>\n"
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
        title = content.pauses(kit.folder).get(cell.options.get("kind", "breathing"), {}).get("title", "")
    else:
        title = words(TITLES[cell.name])
    try:
        body = builder(words, kit.folder, cell.options)
    except HandoutError as error:
        raise HandoutError(f"{cell.where}: {error}") from None
    prompt = cell.options.get("prompt", "")
    theme = words("handout_theme", number=cell.theme.number, title=cell.theme.title)
    page = (
        f"<h1>{_e(title)}</h1>\n"
        + (f'<div class="intro">{to_html(intro)}</div>\n' if intro else "")
        + (f'<p class="question">{_e(prompt)}</p>\n' if isinstance(prompt, str) and prompt.strip() else "")
        + body
    )
    return Handout(filename, title, theme, "exercise", kit.page(title, f"{words('app_title')} · {theme}", page))


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


_INNERMOST = re.compile(r"<(p|li)>((?:(?!<(?:p|li|ul|ol|div)\b).)*?)</\1>", re.S)


def _writing_lines(rendered: str) -> str:
    """In a paragraph or list item, a line of underscores becomes a line to write on; a run of
    underscores inside a sentence becomes a blank to fill in."""

    def block(match: re.Match) -> str:
        tag, inner = match.group(1), match.group(2)
        if not _UNDERSCORES.search(inner):
            return match.group(0)
        parts: list[str] = []
        text: list[str] = []

        def flush() -> None:
            if text:
                joined = "\n".join(text)
                parts.append(f"<p>{joined}</p>" if tag == "p" else joined)
                text.clear()

        for line in inner.split("\n"):
            if _ONLY_UNDERSCORES.match(line):
                flush()
                parts.append('<div class="write-line"></div>')
            else:
                text.append(line)
        flush()
        return "".join(parts) if tag == "p" else f"<li>{''.join(parts)}</li>"

    rendered = _INNERMOST.sub(block, rendered)
    # a table cell of underscores: room to write in the cell itself
    rendered = re.sub(r"<td([^>]*)>\s*_{3,}\s*</td>", r'<td\1 class="write-cell"></td>', rendered)

    def blanks(match: re.Match) -> str:
        return _UNDERSCORES.sub(
            lambda run: f'<span class="blank" style="width: {min(len(run.group(0)), 60) * 0.45:.1f}em"></span>',
            match.group(0),
        )

    return re.sub(r">[^<]+<", blanks, rendered)


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
    body = _writing_lines(to_html(_escape_underscores(markdown)))
    if path.stem == SAFETY_PLAN:
        body += _resources_section(kit.words, kit.resources)
    css = "one-page" if path.stem in ONE_PAGE else ""
    return Handout(f"{path.stem}.html", title, path.name, "text", kit.page(title, kit.words("app_title"), body, css))


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

    def items(group: list[Handout]) -> str:
        return "".join(
            f'<li><a href="{_e(h.filename)}">{_e(h.title)}</a> <span class="where">· {_e(h.where)}</span></li>'
            for h in group
        )

    exercises = [h for h in pages if h.kind == "exercise"]
    texts = [h for h in pages if h.kind == "text"]
    body = (
        f"<h1>{_e(words('handout_index_title'))}</h1>\n<p>{_e(words('handout_index_intro'))}</p>\n"
        f'<nav class="handouts">\n<h2>{_e(words("handout_index_exercises"))}</h2>\n<ol>{items(exercises)}</ol>\n'
        + (f'<h2>{_e(words("handout_index_texts"))}</h2>\n<ul>{items(texts)}</ul>\n' if texts else "")
        + "</nav>"
    )
    return kit.page(words("handout_index_title"), words("app_title"), body)


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
