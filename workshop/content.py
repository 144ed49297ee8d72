"""Read the kit's editable content: the YAML files in ``workshop/content/`` and the theme notebooks.

Therapists edit these files, so every loader checks what it reads and raises
:class:`ContentError` with a message that names the file and says what to fix. Nothing here
imports ipywidgets.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .paths import content_dir, notebooks_dir

try:  # the C loader is several times faster; participant kernels read these at start-up
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

THEME_FILE = re.compile(r"^(?P<number>\d\d)_(?P<slug>[a-z0-9_]+)\.ipynb$")
MAX_WORD = 40


class ContentError(ValueError):
    """A content file is missing or does not have the expected shape."""


def _content_dir(folder: Path | None) -> Path:
    return Path(folder) if folder is not None else content_dir()


def load_yaml(name: str, folder: Path | None = None) -> Any:
    """Load ``<folder>/<name>`` (default folder: ``workshop/content``) as YAML."""
    path = _content_dir(folder) / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(f"{path}: the file is missing") from None
    except UnicodeDecodeError:
        raise ContentError(f"{path}: save the file as UTF-8 text") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ContentError(f"{path}{where}: this is not valid YAML: {getattr(error, 'problem', error)}") from None


def _words(value: Any, path: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ContentError(f"{path}: '{key}' must be a list with at least one entry")
    words: list[str] = []
    for item in value:
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            raise ContentError(f"{path}: every entry of '{key}' must be a short text, not {item!r}")
        word = " ".join(str(item).split())
        if not word:
            raise ContentError(f"{path}: '{key}' has an empty entry")
        if len(word) > MAX_WORD:
            raise ContentError(f"{path}: '{word[:20]}…' is longer than {MAX_WORD} characters")
        if word.casefold() in (w.casefold() for w in words):
            raise ContentError(f"{path}: '{word}' appears twice in '{key}'")
        words.append(word)
    return tuple(words)


def feelings(folder: Path | None = None) -> tuple[str, ...]:
    """The feeling words offered at check-in and check-out, in file order."""
    data = load_yaml("feelings.yaml", folder)
    path = str(_content_dir(folder) / "feelings.yaml")
    if not isinstance(data, dict) or "feelings" not in data:
        raise ContentError(f"{path}: expected a 'feelings:' list")
    return _words(data["feelings"], path, "feelings")


@dataclass(frozen=True)
class IntensityScale:
    """The kit's own 0–10 intensity rating: a question, end labels and anchors."""

    question: str
    min_label: str
    max_label: str
    anchors: dict[int, str]
    low: int = 0
    high: int = 10

    def anchor_for(self, value: int) -> str:
        """The anchor text at or below ``value`` (the nearest lower anchor)."""
        below = [key for key in self.anchors if key <= value]
        return self.anchors[max(below)] if below else ""


def intensity(folder: Path | None = None) -> IntensityScale:
    """The 0–10 intensity scale from ``intensity.yaml``."""
    data = load_yaml("intensity.yaml", folder)
    path = str(_content_dir(folder) / "intensity.yaml")
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected keys question, min_label, max_label, anchors")
    texts = {}
    for key in ("question", "min_label", "max_label"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{path}: '{key}' must be a non-empty text")
        texts[key] = value.strip()
    anchors = data.get("anchors")
    if not isinstance(anchors, dict) or not anchors:
        raise ContentError(f"{path}: 'anchors' must map numbers 0–10 to short texts")
    parsed: dict[int, str] = {}
    for key, value in anchors.items():
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= 10:
            raise ContentError(f"{path}: anchor key {key!r} must be a whole number from 0 to 10")
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{path}: anchor {key} must be a non-empty text")
        parsed[key] = value.strip()
    return IntensityScale(anchors=dict(sorted(parsed.items())), **texts)


def ui_text(folder: Path | None = None) -> dict[str, str]:
    """Every label, button and message a participant reads that is not theme content."""
    data = load_yaml("ui.yaml", folder)
    path = str(_content_dir(folder) / "ui.yaml")
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected 'key: text' lines")
    bad = [key for key, value in data.items() if not isinstance(value, str)]
    if bad:
        raise ContentError(f"{path}: these keys need a text value: {', '.join(map(str, bad))}")
    return {str(key): value.strip() for key, value in data.items()}


# ---------------------------------------------------------------- theme notebooks


@dataclass(frozen=True)
class Cell:
    """One cell of a theme notebook: ``kind`` is ``"markdown"`` or ``"code"``."""

    kind: str
    source: str


@dataclass(frozen=True)
class Theme:
    """A theme notebook, read as content: its number, slug, title and cells in order."""

    number: int
    slug: str
    title: str
    path: Path
    cells: tuple[Cell, ...]

    @property
    def key(self) -> str:
        """A stable key for answers and navigation, e.g. ``"01_the_pain_behind_the_request"``."""
        return self.path.stem


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _title(cells: tuple[Cell, ...], slug: str) -> str:
    for cell in cells:
        if cell.kind == "markdown":
            for line in cell.source.splitlines():
                match = re.match(r"^#\s+(.+?)\s*#*\s*$", line)
                if match:
                    return match.group(1)
            break
    return slug.replace("_", " ").capitalize()


def load_theme(path: Path) -> Theme:
    """Read one theme notebook. Raises :class:`ContentError` if it cannot be read."""
    path = Path(path)
    match = THEME_FILE.match(path.name)
    if not match:
        raise ContentError(f"{path}: theme notebooks are named like 03_space_as_care.ipynb")
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ContentError(f"{path}: the notebook cannot be read ({error.__class__.__name__})") from None
    cells = tuple(
        Cell(kind=cell.get("cell_type", ""), source=_cell_source(cell))
        for cell in notebook.get("cells", [])
        if cell.get("cell_type") in ("markdown", "code") and _cell_source(cell).strip()
    )
    slug = match.group("slug")
    return Theme(int(match.group("number")), slug, _title(cells, slug), path, cells)


def load_themes(folder: Path | None = None) -> list[Theme]:
    """Every theme notebook in ``folder`` (default: the kit's notebooks), in number order."""
    folder = Path(folder) if folder is not None else notebooks_dir()
    paths = sorted(p for p in folder.glob("*.ipynb") if THEME_FILE.match(p.name))
    if not paths:
        raise ContentError(f"{folder}: no theme notebooks (00_welcome.ipynb, …) were found")
    themes = [load_theme(p) for p in paths]
    numbers = [t.number for t in themes]
    if len(set(numbers)) != len(numbers):
        raise ContentError(f"{folder}: two theme notebooks share a number: {numbers}")
    return themes


def fingerprint(folder: Path | None = None, content_folder: Path | None = None) -> tuple:
    """What changes when a therapist edits content: name, size and time of every content file.

    A preheated participant kernel built its pages before anyone arrived; comparing this value
    at the visit tells it whether a notebook or content file was edited since.
    """
    folder = Path(folder) if folder is not None else notebooks_dir()
    files = [p for p in folder.glob("*.ipynb") if THEME_FILE.match(p.name)]
    files += list(_content_dir(content_folder).glob("*.yaml"))
    files += list(_content_dir(content_folder).glob("*.md"))  # grounding.md, the "I need a moment" page
    result = []
    for path in sorted(files):
        try:
            stat = path.stat()
        except OSError:
            continue
        result.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(result)


# ---------------------------------------------------------------- crisis resources


@dataclass(frozen=True)
class Service:
    """One helpline or service: what it is called, how to reach it, who it is for."""

    name: str
    what: str
    contact: str = ""
    url: str = ""


@dataclass(frozen=True)
class Resources:
    """The crisis and domestic-abuse resources for the facilitator's country."""

    country: str
    country_name: str
    emergency: str
    emergency_note: str
    services: tuple[Service, ...]
    international: tuple[Service, ...]
    last_checked: str


def _service(item: Any, path: str, where: str) -> Service:
    if not isinstance(item, dict):
        raise ContentError(f"{path}: each entry under {where} needs name and what")
    fields = {}
    for key in ("name", "what", "contact", "url"):
        value = item.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, (str, int)):
            raise ContentError(f"{path}: '{key}' of an entry under {where} must be text")
        fields[key] = str(value).strip()
    if not fields["name"] or not fields["what"]:
        raise ContentError(f"{path}: an entry under {where} is missing its name or what")
    if fields["url"] and not fields["url"].startswith("https://"):
        raise ContentError(f"{path}: the link of '{fields['name']}' must start with https://")
    return Service(**fields)


def resources(folder: Path | None = None) -> Resources:
    """The resources of ``resources.yaml`` for the country it names."""
    data = load_yaml("resources.yaml", folder)
    path = str(_content_dir(folder) / "resources.yaml")
    if not isinstance(data, dict) or not isinstance(data.get("countries"), dict):
        raise ContentError(f"{path}: expected 'country:' and 'countries:'")
    code = str(data.get("country", "")).strip()
    countries = data["countries"]
    if code not in countries:
        raise ContentError(f"{path}: country '{code}' is not one of {', '.join(map(str, countries))}")
    entry = countries[code]
    if not isinstance(entry, dict):
        raise ContentError(f"{path}: the entry for {code} needs name, emergency and services")
    services = tuple(_service(s, path, code) for s in entry.get("services") or [])
    international = tuple(_service(s, path, "international") for s in data.get("international") or [])
    if not services and not international:
        raise ContentError(f"{path}: list at least one service for {code} or one international directory")
    return Resources(
        country=code,
        country_name=str(entry.get("name", code)),
        emergency=str(entry.get("emergency", "")),
        emergency_note=str(data.get("emergency_note", "")).strip(),
        services=services,
        international=international,
        last_checked=str(data.get("last_checked", "")),
    )


# ---------------------------------------------------------------- exercise content

_ID = re.compile(r"^[a-z0-9_]{1,40}$")


def _mapping(data: Any, path: str, what: str) -> dict:
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected {what}")
    return data


def _text(item: dict, key: str, path: str, where: str, limit: int = 600) -> str:
    value = item.get(key)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip():
        raise ContentError(f"{path}: '{key}' of {where} must be a non-empty text")
    value = " ".join(str(value).split())
    if len(value) > limit:
        raise ContentError(f"{path}: '{key}' of {where} is longer than {limit} characters")
    return value


def _items(data: Any, path: str, key: str, fields: tuple[str, ...], lists: tuple[str, ...] = ()) -> tuple[dict, ...]:
    """A list of entries with a unique ``id`` and the given text fields (and lists of texts)."""
    entries = _mapping(data, path, f"'{key}:'").get(key)
    if not isinstance(entries, list) or not entries:
        raise ContentError(f"{path}: '{key}' must be a list with at least one entry")
    seen: set[str] = set()
    out = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ContentError(f"{path}: entry {n} of '{key}' needs an id and {', '.join(fields)}")
        ident = str(entry.get("id", ""))
        if not _ID.match(ident):
            raise ContentError(f"{path}: entry {n} of '{key}' needs an id of lower-case letters, digits and _")
        if ident in seen:
            raise ContentError(f"{path}: the id '{ident}' is used twice")
        seen.add(ident)
        item = {"id": ident}
        for field_name in fields:
            item[field_name] = _text(entry, field_name, path, f"'{ident}'")
        for list_name in lists:
            item[list_name] = _words_long(entry.get(list_name), path, f"{list_name} of '{ident}'")
        out.append(item)
    return tuple(out)


def _words_long(value: Any, path: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ContentError(f"{path}: {where} must be a list with at least one entry")
    texts = []
    for item in value:
        if not isinstance(item, (str, int, float)) or isinstance(item, bool) or not str(item).strip():
            raise ContentError(f"{path}: every entry of {where} must be a short text")
        texts.append(" ".join(str(item).split()))
    return tuple(texts)


def stirs_up(folder: Path | None = None) -> tuple[dict, ...]:
    """What a request for space can stir up: ``({"id", "text"}, …)``."""
    path = str(_content_dir(folder) / "stirs_up.yaml")
    return _items(load_yaml("stirs_up.yaml", folder), path, "items", ("text",))


def beliefs(folder: Path | None = None) -> tuple[tuple[str, ...], tuple[dict, ...]]:
    """The five-step agreement scale and the beliefs about love: ``(scale, ({"id", "text", "reflection"}, …))``."""
    path = str(_content_dir(folder) / "beliefs.yaml")
    data = load_yaml("beliefs.yaml", folder)
    scale = _words_long(_mapping(data, path, "'scale:' and 'beliefs:'").get("scale"), path, "'scale'")
    if len(scale) < 3 or len(scale) > 7:
        raise ContentError(f"{path}: 'scale' needs 3 to 7 labels, from least to most")
    return scale, _items(data, path, "beliefs", ("text", "reflection"))


def reframes(folder: Path | None = None) -> tuple[dict, ...]:
    """Worry thoughts with kinder readings: ``({"id", "thought", "readings"}, …)``."""
    path = str(_content_dir(folder) / "reframes.yaml")
    return _items(load_yaml("reframes.yaml", folder), path, "worries", ("thought",), ("readings",))


SCENARIO_KINDS = ("healthy", "stonewalling", "silent", "control")


def scenarios(folder: Path | None = None) -> tuple[dict[str, dict], tuple[dict, ...]]:
    """The four kinds of distance and the short scenarios: ``(kinds, scenarios)``."""
    path = str(_content_dir(folder) / "scenarios.yaml")
    data = _mapping(load_yaml("scenarios.yaml", folder), path, "'kinds:' and 'scenarios:'")
    kinds_data = _mapping(data.get("kinds"), path, f"'kinds:' with {', '.join(SCENARIO_KINDS)}")
    if set(kinds_data) != set(SCENARIO_KINDS):
        raise ContentError(f"{path}: 'kinds' must be exactly {', '.join(SCENARIO_KINDS)}")
    kinds = {
        key: {"label": _text(kinds_data[key], "label", path, key), "explain": _text(kinds_data[key], "explain", path, key)}
        for key in SCENARIO_KINDS
        if isinstance(kinds_data[key], dict) or _mapping(kinds_data[key], path, f"label and explain for {key}")
    }
    items = _items(data, path, "scenarios", ("text", "answer", "feedback"))
    for item in items:
        if item["answer"] not in SCENARIO_KINDS:
            raise ContentError(f"{path}: the answer of '{item['id']}' must be one of {', '.join(SCENARIO_KINDS)}")
    return kinds, items


def pauses(folder: Path | None = None) -> dict[str, dict]:
    """The guided pauses: ``{"self-compassion": {title, credit, steps}, "breathing": {title, intro, …}}``."""
    path = str(_content_dir(folder) / "pauses.yaml")
    data = _mapping(load_yaml("pauses.yaml", folder), path, "'self-compassion:' and 'breathing:'")
    out: dict[str, dict] = {}
    kind = _mapping(data.get("self-compassion"), path, "a 'self-compassion:' section")
    steps = kind.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ContentError(f"{path}: 'self-compassion' needs a list of steps")
    parsed = []
    for n, step in enumerate(steps, 1):
        step = _mapping(step, path, f"seconds and text for step {n}")
        seconds = step.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 3 <= seconds <= 600:
            raise ContentError(f"{path}: step {n} needs 'seconds' from 3 to 600")
        parsed.append({"seconds": seconds, "text": _text(step, "text", path, f"step {n}")})
    out["self-compassion"] = {
        "title": _text(kind, "title", path, "self-compassion"),
        "credit": str(kind.get("credit", "")).strip(),
        "steps": parsed,
    }
    breath = _mapping(data.get("breathing"), path, "a 'breathing:' section")
    numbers = {}
    for key, low, high in (("in_seconds", 2, 10), ("out_seconds", 2, 12), ("rounds", 1, 30)):
        value = breath.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ContentError(f"{path}: 'breathing' needs '{key}' from {low} to {high}")
        numbers[key] = value
    out["breathing"] = {
        "title": _text(breath, "title", path, "breathing"),
        "intro": _text(breath, "intro", path, "breathing"),
        **numbers,
    }
    return out


RITUAL_LISTS = ("signals", "check_ins", "before", "after", "while_waiting")


def rituals(folder: Path | None = None) -> dict[str, Any]:
    """Ideas for the space agreement, and its bounds in minutes."""
    path = str(_content_dir(folder) / "rituals.yaml")
    data = _mapping(load_yaml("rituals.yaml", folder), path, "'agreement:' and lists of ideas")
    agreement = _mapping(data.get("agreement"), path, "an 'agreement:' section with min_minutes and max_minutes")
    low, high = agreement.get("min_minutes"), agreement.get("max_minutes")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not 1 <= low < high <= 7 * 24 * 60:
        raise ContentError(f"{path}: 'agreement' needs whole minutes with min_minutes < max_minutes")
    out: dict[str, Any] = {"min_minutes": low, "max_minutes": high}
    for key in RITUAL_LISTS:
        out[key] = _words_long(data.get(key), path, f"'{key}'")
    return out


def grounding(folder: Path | None = None) -> str:
    """The "I need a moment" page, as markdown."""
    path = _content_dir(folder) / "grounding.md"
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        raise ContentError(f"{path}: the file is missing or not UTF-8 text") from None
    if not text.strip():
        raise ContentError(f"{path}: the page is empty")
    return text
