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
from typing import Any, Callable
from urllib.parse import quote, urlsplit

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
    #: from this rating up, the participant sees a gentle note offering a moment and a quiet word
    care_from: int = 8

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
    care_from = data.get("care_from", 8)
    if isinstance(care_from, bool) or not isinstance(care_from, int) or not 0 <= care_from <= 10:
        raise ContentError(f"{path}: 'care_from' must be a whole number from 0 to 10 (the rating that brings the gentle note)")
    return IntensityScale(anchors=dict(sorted(parsed.items())), care_from=care_from, **texts)


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
    """One cell of a theme notebook: ``kind`` is ``"markdown"`` or ``"code"``; ``id`` is the cell's
    nbformat 4.5 id, which names an exercise for good (its answers and shares are kept under it,
    so inserting, removing or reordering cells never moves an answer)."""

    kind: str
    source: str
    id: str = ""


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
    """Read one theme notebook. Raises :class:`ContentError` if it cannot be read.

    Every participant kernel reads the notebooks at start-up, so this reads their JSON directly
    (cell ids included): importing ``nbformat`` costs a kernel 2.8 s and 33 MiB, most of it
    jsonschema's format checker. ``make check`` validates each notebook with ``nbformat`` and
    its cell ids with :func:`check_cell_ids`.
    """
    path = Path(path)
    match = THEME_FILE.match(path.name)
    if not match:
        raise ContentError(f"{path}: theme notebooks are named like 03_space_as_care.ipynb")
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ContentError(f"{path}: the notebook cannot be read ({error.__class__.__name__})") from None
    cells = tuple(
        Cell(kind=cell.get("cell_type", ""), source=_cell_source(cell), id=str(cell.get("id") or ""))
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

#: how a person reaches a service: a phone call, a text message, a web chat, a website
CONTACT_KINDS = ("call", "text", "chat", "web")
#: the groups of the Help panel, in the order a participant sees them
SERVICE_GROUPS = ("crisis", "domestic_abuse", "text_only", "lgbtq", "own_behaviour")
_NUMBER = re.compile(r"^\+?[0-9][0-9 .\-]*$")  # as a person would dial it: digits, spaces, dots, hyphens
_KEYWORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,29}$")
_MONTH = re.compile(r"^20\d\d-(0[1-9]|1[0-2])$")
_URL_BAD = re.compile(r"[\s<>\"'`\\]")


@dataclass(frozen=True)
class Contact:
    """One way to reach a service: ``kind`` is ``call``, ``text``, ``chat`` or ``web``.

    ``value`` is the number as a person dials it (call, text) or an https address (chat, web);
    ``keyword`` is the word to text, ``note`` a short instruction (e.g. "press 55 when asked").
    """

    kind: str
    value: str
    keyword: str = ""
    note: str = ""

    @property
    def digits(self) -> str:
        """The number as it is dialled: digits only, with a leading + if it has one."""
        if self.kind not in ("call", "text"):
            return ""
        return ("+" if self.value.startswith("+") else "") + re.sub(r"\D", "", self.value)

    @property
    def href(self) -> str:
        """The link that does it when tapped: ``tel:``, ``sms:`` or the https address.

        A text line's keyword goes in the message body as ``sms:85258?&body=SHOUT``: Android reads
        the body from the query (RFC 5724), iOS from ``&body=``, so one link serves both.
        """
        if self.kind == "call":
            return f"tel:{self.digits}"
        if self.kind == "text":
            body = f"?&body={quote(self.keyword, safe='')}" if self.keyword else ""
            return f"sms:{self.digits}{body}"
        return self.value

    def label(self, words: Callable[..., str]) -> str:
        """What the link says, in ``words`` (the app's ``t`` or the handouts' reader of ui.yaml):
        "Call 116 123", "Text SHOUT to 85258", "Chat online", "Website"."""
        if self.kind == "call":
            return words("help_call", number=self.value)
        if self.kind == "text":
            if self.keyword:
                return words("help_text_keyword", keyword=self.keyword, number=self.value)
            return words("help_text", number=self.value)
        return words("help_chat") if self.kind == "chat" else words("help_web")


@dataclass(frozen=True)
class Service:
    """One helpline or service: its name, who it is for, how to reach it, and when it was checked."""

    name: str
    what: str
    contacts: tuple[Contact, ...]
    group: str = ""
    source: str = ""
    checked: str = ""

    @property
    def url(self) -> str:
        """The service's website, if it lists one (the first ``web`` contact)."""
        return next((c.value for c in self.contacts if c.kind == "web"), "")


@dataclass(frozen=True)
class Resources:
    """The crisis and domestic-abuse resources for one country, and the international directories."""

    country: str
    country_name: str
    emergency_contacts: tuple[Contact, ...]
    emergency_note: str
    services: tuple[Service, ...]
    international: tuple[Service, ...]
    emergency_source: str = ""
    emergency_checked: str = ""

    @property
    def emergency(self) -> str:
        """The emergency number(s) as text, e.g. ``"112, 999"``."""
        return ", ".join(c.value for c in self.emergency_contacts)

    def grouped(self) -> list[tuple[str, tuple[Service, ...]]]:
        """The services by group, in panel order, leaving out empty groups."""
        out = [(g, tuple(s for s in self.services if s.group == g)) for g in SERVICE_GROUPS]
        return [(g, items) for g, items in out if items]


def _https(value: str) -> bool:
    """Whether ``value`` is a plain https address a phone can open (no spaces, quotes or user part)."""
    if not value.startswith("https://") or _URL_BAD.search(value) or len(value) > 300:
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and "." in parts.netloc and "@" not in parts.netloc


def _contact(item: Any, where: str) -> Contact:
    if isinstance(item, str):
        raise ContentError(f"{where}: write each contact as a kind and its value, e.g. call: \"116 123\" (not {item!r})")
    if not isinstance(item, dict):
        raise ContentError(f"{where}: each contact is one line such as call: \"116 123\" or web: \"https://…\"")
    kinds = [k for k in item if k in CONTACT_KINDS]
    unknown = [str(k) for k in item if k not in CONTACT_KINDS and k not in ("keyword", "note")]
    if unknown:
        raise ContentError(f"{where}: '{unknown[0]}' is not a kind of contact; use {', '.join(CONTACT_KINDS)}")
    if len(kinds) != 1:
        raise ContentError(f"{where}: each contact needs exactly one of {', '.join(CONTACT_KINDS)}")
    kind = kinds[0]
    raw = item[kind]
    if not isinstance(raw, str) or not raw.strip():
        # unquoted, YAML reads 000 as the number 0: ask for quotes rather than dial the wrong thing
        raise ContentError(f"{where}: write the {kind} contact in quotes, exactly as it is dialled or typed, like {kind}: \"000\"")
    value = " ".join(str(raw).split())
    keyword = " ".join(str(item.get("keyword") or "").split())
    note = " ".join(str(item.get("note") or "").split())
    if len(note) > 200:
        raise ContentError(f"{where}: the note of the {kind} contact is longer than 200 characters")
    if keyword and kind != "text":
        raise ContentError(f"{where}: only a text contact has a keyword")
    if kind in ("call", "text"):
        digits = re.sub(r"\D", "", value)
        if not _NUMBER.match(value) or not 3 <= len(digits) <= 15:
            raise ContentError(
                f"{where}: '{value}' is not a number to {kind}; write digits only, with spaces or hyphens if you like "
                "(an instruction such as 'then press 55' goes in a note:)"
            )
        if keyword and not _KEYWORD.match(keyword):
            raise ContentError(f"{where}: the keyword '{keyword}' must be a short word of letters and digits")
    elif not _https(value):
        raise ContentError(f"{where}: the {kind} address '{value[:60]}' must be a plain https:// link")
    return Contact(kind, value, keyword, note)


def _contacts(value: Any, where: str) -> tuple[Contact, ...]:
    if not isinstance(value, list) or not value:
        raise ContentError(f"{where}: list at least one contact under 'contacts:' (call, text, chat or web)")
    return tuple(_contact(item, where) for item in value)


def _checked(item: dict, where: str) -> tuple[str, str]:
    """The ``source:`` address and ``checked:`` month every service and emergency entry records."""
    source = str(item.get("source") or "").strip()
    if not (source.startswith(("https://", "http://")) and "." in urlsplit(source).netloc) or _URL_BAD.search(source):
        raise ContentError(f"{where}: add 'source:', the address of the page where you checked it")
    checked = str(item.get("checked") or "").strip()
    if not _MONTH.match(checked):
        raise ContentError(f"{where}: add 'checked:', the month you checked it, like \"2026-12\"")
    return source, checked


def _service(item: Any, path: str, where: str, grouped: bool) -> Service:
    if not isinstance(item, dict):
        raise ContentError(f"{path}: {where}: each entry needs a name, what, contacts, source and checked")
    name = " ".join(str(item.get("name") or "").split())
    here = f"{path}: {where}, '{name or '(no name)'}'"
    if not name:
        raise ContentError(f"{here}: the entry has no name")
    what = " ".join(str(item.get("what") or "").split())
    if not what:
        raise ContentError(f"{here}: add 'what:', one short line on who it is for")
    group = str(item.get("group") or "").strip()
    if grouped and group not in SERVICE_GROUPS:
        raise ContentError(f"{here}: 'group:' must be one of {', '.join(SERVICE_GROUPS)}")
    contacts = _contacts(item.get("contacts"), here)
    source, checked = _checked(item, here)
    return Service(name, what, contacts, group, source, checked)


def _country(code: str, entry: Any, data: dict, path: str) -> Resources:
    where = f"{path}: {code}"
    if not isinstance(entry, dict):
        raise ContentError(f"{where}: the entry needs name, emergency and services")
    emergency = entry.get("emergency")
    if not isinstance(emergency, dict):
        raise ContentError(f"{where}, emergency: give the emergency number as contacts with a source and checked month")
    emergency_contacts = _contacts(emergency.get("contacts"), f"{where}, emergency")
    if any(c.kind != "call" for c in emergency_contacts):
        raise ContentError(f"{where}, emergency: the emergency number is a call: contact")
    source, checked = _checked(emergency, f"{where}, emergency")
    services = entry.get("services") or []
    if not isinstance(services, list):
        raise ContentError(f"{where}: 'services:' must be a list of entries")
    international = data.get("international") or []
    if not isinstance(international, list):
        raise ContentError(f"{path}: 'international:' must be a list of entries")
    return Resources(
        country=code,
        country_name=" ".join(str(entry.get("name") or code).split()),
        emergency_contacts=emergency_contacts,
        emergency_note=" ".join(str(data.get("emergency_note") or "").split()),
        services=tuple(_service(s, path, code, grouped=True) for s in services),
        international=tuple(_service(s, path, "international", grouped=False) for s in international),
        emergency_source=source,
        emergency_checked=checked,
    )


def _resources_file(folder: Path | None) -> tuple[dict, str]:
    data = load_yaml("resources.yaml", folder)
    path = str(_content_dir(folder) / "resources.yaml")
    if not isinstance(data, dict) or not isinstance(data.get("countries"), dict) or not data["countries"]:
        raise ContentError(f"{path}: expected 'country:' and 'countries:'")
    return data, path


def resources(folder: Path | None = None, country: str | None = None, strict: bool = True) -> Resources:
    """The resources of ``resources.yaml`` for the country it names (or for ``country``).

    ``strict`` (the start-up check and ``make check``) also reads every other country, so a slip
    anywhere in the file is reported before a workshop starts. The Help panel and the take-home
    read with ``strict=False``: an edit made during a session that breaks another country's block
    cannot empty the panel of the country in use.
    """
    data, path = _resources_file(folder)
    code = str(country if country is not None else data.get("country", "")).strip()
    countries = data["countries"]
    if code not in countries:
        raise ContentError(f"{path}: country '{code}' is not one of {', '.join(map(str, countries))}")
    if strict:
        for other, entry in countries.items():
            if str(other) != code:
                _country(str(other), entry, data, path)
    return _country(code, countries[code], data, path)


def all_resources(folder: Path | None = None) -> dict[str, Resources]:
    """Every country of ``resources.yaml``, read and checked: ``{"GB": Resources, …}``."""
    data, path = _resources_file(folder)
    chosen = str(data.get("country", "")).strip()
    if chosen not in data["countries"]:
        raise ContentError(f"{path}: country '{chosen}' is not one of {', '.join(map(str, data['countries']))}")
    return {str(code): _country(str(code), entry, data, path) for code, entry in data["countries"].items()}


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
#: the ideas for a longer time apart (days or weeks), offered by the agreement's second kind
LONGER_LISTS = ("how_often", "longer_check_ins", "tell_others", "review", "self_care")
#: an idea is put into a text field of the agreement, which holds this many characters
IDEA_LIMIT = 120


def _short_texts(value: Any, path: str, where: str, limit: int = IDEA_LIMIT) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(
        isinstance(item, str) and item.strip() and len(item) <= limit for item in value
    ):
        raise ContentError(f"{path}: {where} must be a list of short texts (at most {limit} characters)")
    return tuple(" ".join(item.split()) for item in value)


def duration_text(minutes: int, words: Callable[..., str]) -> str:
    """A break's length as people say it ("20 minutes", "1 hour", "1 h 30 min", "24 hours"), in the
    words of ``words`` (the app's ``t`` or the handouts' reader of ui.yaml)."""
    if minutes < 60:
        return words("minutes", n=minutes)
    hours, rest = divmod(minutes, 60)
    if rest:
        return words("hours_minutes", h=hours, m=rest)
    return words("hour") if hours == 1 else words("hours", n=hours)


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
    for key in LONGER_LISTS:
        out[key] = _short_texts(data.get(key), path, f"'{key}'")
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
