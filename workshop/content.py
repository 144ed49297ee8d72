"""Read the kit's editable content: the YAML files in ``workshop/content/`` and the theme notebooks.

Therapists edit these files, so every loader checks what it reads and raises
:class:`ContentError` with a message that names the file and says what to fix. Nothing here
imports ipywidgets.

Each YAML file has a JSON Schema, ``workshop/content/schemas/<name>.schema.json``, which
:mod:`workshop.schemas` checks and turns into messages with the line to fix; the few rules a
schema cannot say (ids that must differ, a country that must be listed) are checked here.
"""

from __future__ import annotations

import copy
import json
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, NoReturn
from urllib.parse import quote

import yaml

from . import schemas
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


def _shown(path: Path) -> str:
    """A content file as a message names it: from the current folder when it lies inside it
    (``workshop/content/feelings.yaml`` for ``make check``), else in full."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read(name: str, folder: Path | None) -> tuple[Path, str, Any]:
    """``<folder>/<name>``: its path, its text and the data YAML reads from it."""
    path = _content_dir(folder) / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(f"{_shown(path)}: the file is missing") from None
    except UnicodeDecodeError:
        raise ContentError(f"{_shown(path)}: save the file as UTF-8 text") from None
    except OSError as error:
        raise ContentError(f"{_shown(path)}: the file cannot be read ({error.strerror or error.__class__.__name__})") from None
    try:
        return path, text, yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise ContentError(
            f"{_shown(path)}{where}: this is not valid YAML ({getattr(error, 'problem', None) or error}) — check the "
            "quotes, colons, indentation and any \\ escapes on this line and the line before"
        ) from None
    except ValueError:  # YAML reads a number of more than 4300 digits, and Python refuses to build it
        line = _long_number_line(text)
        raise ContentError(
            f"{_shown(path)}, line {line}: a number here is too long to read — put it in quotes if it is meant as text"
        ) from None


def _long_number_line(text: str) -> int:
    pending = [schemas.compose(text, _Loader)]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.tag.endswith(":int") and len(node.value) > 4000:
                return node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            pending.extend(part for pair in node.value for part in pair)
    return 1


def load_yaml(name: str, folder: Path | None = None) -> Any:
    """Load ``<folder>/<name>`` (default folder: ``workshop/content``) as YAML, unchecked."""
    return _read(name, folder)[2]


class _File(NamedTuple):
    """A content file read and checked: its path and text, the data as YAML read it (``raw``) and
    as its schema read it (``doc``: keys as text, each text's spaces and line breaks made one space)."""

    path: Path
    text: str
    raw: Any
    doc: Any


#: the content files the launcher checked against their schemas before starting the servers, as
#: JSON {path: sha256 of the text}; a kernel trusts a file whose text is still the one checked
CHECKED_ENV = "HOLDING_SPACE_CHECKED"
_checked: dict[str, str] | None = None


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _already_checked(path: Path, text: str) -> bool:
    """Whether the launcher checked this very text (a file edited since is checked again here).

    A participant kernel then loads no schema validator: fastjsonschema and the compiled schemas
    cost each kernel 1.6 MiB and about 70 ms at start-up, for files the launcher had just checked.
    """
    global _checked
    if _checked is None:
        try:
            _checked = json.loads(os.environ.get(CHECKED_ENV) or "{}")
        except ValueError:
            _checked = {}
        if not isinstance(_checked, dict):
            _checked = {}
    return _checked.get(str(path.resolve())) == _digest(text)


def vouch(folder: Path | None = None) -> str:
    """Check every content file against its schema now; the ones that pass, as :data:`CHECKED_ENV`
    holds them for the servers' kernels. A file that fails is left out: each kernel checks it again
    and says what is wrong."""
    checked = {}
    for path in sorted(_content_dir(folder).glob("*.yaml")):
        if not (schemas.SCHEMA_DIR / f"{path.stem}.schema.json").is_file():
            continue
        try:
            file = _load(path.stem, folder, trust=False)
        except ContentError:
            continue
        checked[str(file.path.resolve())] = _digest(file.text)
    return json.dumps(checked)


def _load(
    name: str, folder: Path | None, only: Callable[[Any], tuple[str, str] | None] | None = None, trust: bool = True
) -> _File:
    """Read ``<name>.yaml`` and check it against ``schemas/<name>.schema.json``, unless ``trust`` and the
    launcher checked this very text already (see :func:`vouch`).

    ``only(doc)`` may name one entry of one mapping, ``(key, entry)``: the other entries of
    ``doc[key]`` are then left unchecked (the Help panel reads only the country in use).
    """
    path, text, raw = _read(f"{name}.yaml", folder)
    try:
        doc, controls = schemas.plain(raw)
    except RecursionError:
        raise ContentError(f"{_shown(path)}: the file is nested too deeply to read") from None
    file = _File(path, text, raw, doc)
    checked = doc
    keep = only(doc) if only is not None else None
    if keep is not None:
        checked = {**doc, keep[0]: {keep[1]: doc[keep[0]][keep[1]]}}
        controls = [p for p in controls if p[:1] != keep[:1] or p[1:2] == keep[1:2]]
    found = [
        schemas.Problem(p, f"{schemas.where(raw, p)} holds an invisible control character",
                        "remove it (an escape such as \\x1b or \\0 between double quotes makes one)")
        for p in controls
    ]
    if not found and trust and _already_checked(path, text):
        return file
    if not schemas.valid(name, checked):
        found += schemas.problems(name, checked, raw, schemas.compose(text, _Loader))
    if found:
        _fail(file, found)
    return file


def _fail(file: _File, found: list[schemas.Problem]) -> NoReturn:
    """Raise :class:`ContentError` for ``found``: one line per problem, ``<file>, line <n>: …``."""
    raise ContentError(schemas.report(_shown(file.path), schemas.compose(file.text, _Loader), found))


def feelings(folder: Path | None = None) -> tuple[str, ...]:
    """The feeling words offered at check-in and check-out, in file order."""
    file = _load("feelings", folder)
    words = tuple(str(word) for word in file.doc["feelings"])
    # The same word twice, whatever its capitals: JSON Schema's uniqueItems compares texts exactly.
    first: dict[str, int] = {}
    found = []
    for n, word in enumerate(words):
        if word.casefold() in first:
            found.append(schemas.Problem(
                ("feelings", n), f"'feelings' item {n + 1} ('{word}') appears twice in the list (item {first[word.casefold()] + 1} too)",
                "remove one of them",
            ))
        first.setdefault(word.casefold(), n)
    if found:
        _fail(file, found)
    return words


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
    raw = _load("intensity", folder).raw
    anchors = {int(str(key)): value.strip() for key, value in raw["anchors"].items()}
    return IntensityScale(
        question=raw["question"].strip(),
        min_label=raw["min_label"].strip(),
        max_label=raw["max_label"].strip(),
        anchors=dict(sorted(anchors.items())),
        care_from=int(raw.get("care_from", 8)),
    )


def ui_text(folder: Path | None = None) -> dict[str, str]:
    """Every label, button and message a participant reads that is not theme content."""
    raw = _load("ui", folder).raw
    return {str(key): value.strip() for key, value in raw.items()}


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
    problems = _id_problems(path, cells)
    if problems:
        raise ContentError(problems[0])
    slug = match.group("slug")
    return Theme(int(match.group("number")), slug, _title(cells, slug), path, cells)


def _cell_name(cell: Cell) -> str:
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    return f"the {cell.kind} cell starting '{first[:60]}'"


def _id_problems(path: Path, cells: tuple[Cell, ...]) -> list[str]:
    """A code cell without an id, or two cells with one id: its exercise's answers would have no
    name of their own (keyed by position, an inserted cell once moved answers onto another question)."""
    problems, seen = [], set()
    for cell in cells:
        if cell.kind != "code":
            continue
        if not cell.id:
            problems.append(
                f"{path}: {_cell_name(cell)} has no cell id. Open the notebook in JupyterLab and save it "
                "(it gives every cell an id)."
            )
        elif cell.id in seen:
            problems.append(
                f"{path}: {_cell_name(cell)} has the id '{cell.id}', which another cell of this notebook has. "
                "Give one of them a new id (a cell copied outside JupyterLab keeps its old one): answers are kept under it."
            )
        seen.add(cell.id)
    return problems


def check_notebook(path: Path) -> list[str]:
    """Every problem of one theme notebook, for ``make check``: the notebook format (with ``nbformat``,
    which the participant kernels do not load) and its cells' ids."""
    import nbformat  # only `make check` and the tests pay for it

    path = Path(path)
    try:
        # the JSON as written: nbformat's reader "corrects" a repeated id in place, hiding it
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return [f"{path}: the notebook cannot be read ({error.__class__.__name__}: {error})"]
    if not isinstance(notebook, dict):
        return [f"{path}: this is not a notebook (no cells)"]
    problems = []
    if (notebook.get("nbformat"), notebook.get("nbformat_minor", 0)) < (4, 5):
        problems.append(
            f"{path}: the notebook is in an old format (nbformat {notebook.get('nbformat')}.{notebook.get('nbformat_minor')}) "
            "without cell ids. Open it in JupyterLab 4 and save it."
        )
    cells = tuple(
        Cell(kind=cell.get("cell_type", ""), source=_cell_source(cell), id=str(cell.get("id") or ""))
        for cell in notebook.get("cells", [])
        if isinstance(cell, dict) and cell.get("cell_type") in ("markdown", "code") and _cell_source(cell).strip()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # missing and repeated ids are reported below, in plain words
        try:
            nbformat.validate(nbformat.from_dict(copy.deepcopy(notebook)))
        except nbformat.ValidationError as error:
            problems.append(f"{path}: the notebook is not valid nbformat: {error.message}")
    return problems + _id_problems(path, cells)


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


def _contact(item: dict) -> Contact:
    kind = next(k for k in CONTACT_KINDS if k in item)  # the schema allows exactly one
    return Contact(kind, item[kind], str(item.get("keyword") or ""), str(item.get("note") or ""))


def _service(item: dict) -> Service:
    return Service(
        name=str(item["name"]),
        what=str(item["what"]),
        contacts=tuple(_contact(c) for c in item["contacts"]),
        group=str(item.get("group") or ""),
        source=item["source"],
        checked=item["checked"],
    )


def _country(code: str, entry: dict, doc: dict) -> Resources:
    emergency = entry["emergency"]
    return Resources(
        country=code,
        country_name=str(entry.get("name") or code),
        emergency_contacts=tuple(_contact(c) for c in emergency["contacts"]),
        emergency_note=str(doc.get("emergency_note") or ""),
        services=tuple(_service(s) for s in entry.get("services") or ()),
        international=tuple(_service(s) for s in doc.get("international") or ()),
        emergency_source=emergency["source"],
        emergency_checked=emergency["checked"],
    )


def _chosen(doc: Any, country: str | None) -> str:
    value = country if country is not None else doc.get("country", "") if isinstance(doc, dict) else ""
    return str(value).strip()


def _resources_file(folder: Path | None, country: str | None = None, strict: bool = True) -> tuple[_File, str]:
    """``resources.yaml``, checked, and the code of the country in use (``country``, or the file's own).

    With ``strict=False`` only that country and the international directories are checked.
    """

    def only(doc: Any) -> tuple[str, str] | None:
        countries = doc.get("countries") if isinstance(doc, dict) else None
        code = _chosen(doc, country)
        return ("countries", code) if not strict and isinstance(countries, dict) and code in countries else None

    file = _load("resources", folder, only)
    code, countries = _chosen(file.doc, country), file.doc["countries"]
    if code not in countries:
        # 'country:' must name a block of this same file: JSON Schema cannot compare a value with keys
        listed = ", ".join(countries)
        if country is None:
            problem = schemas.Problem(("country",), f"'country' is '{code}', which is not one of the countries of this file",
                                      f"write one of {listed}, or add a block for '{code}' under 'countries:'")
        else:
            problem = schemas.Problem(("countries",), f"the country '{code}' is not one of the countries of this file",
                                      f"choose one of {listed}, or add a block for '{code}' under 'countries:'")
        _fail(file, [problem])
    return file, code


def resources(folder: Path | None = None, country: str | None = None, strict: bool = True) -> Resources:
    """The resources of ``resources.yaml`` for the country it names (or for ``country``).

    ``strict`` (the start-up check and ``make check``) also reads every other country, so a slip
    anywhere in the file is reported before a workshop starts. The Help panel and the take-home
    read with ``strict=False``: an edit made during a session that breaks another country's block
    cannot empty the panel of the country in use.
    """
    file, code = _resources_file(folder, country, strict)
    return _country(code, file.doc["countries"][code], file.doc)


def all_resources(folder: Path | None = None) -> dict[str, Resources]:
    """Every country of ``resources.yaml``, read and checked: ``{"GB": Resources, …}``."""
    file, _code = _resources_file(folder)
    return {code: _country(code, entry, file.doc) for code, entry in file.doc["countries"].items()}


# ---------------------------------------------------------------- exercise content
# These loaders return frozen dataclasses (collections inside are tuples), built after each
# file's schema has checked it: typed, immutable content objects a widget cannot change by accident.


@dataclass(frozen=True)
class StirsUpItem:
    """A choice of "What a request for space stirs up" (theme 01)."""

    id: str
    text: str


@dataclass(frozen=True)
class Belief:
    """A belief about love (theme 02) and the reflection that loosens it."""

    id: str
    text: str
    reflection: str


@dataclass(frozen=True)
class Reframe:
    """A worry thought and its kinder readings (theme 03)."""

    id: str
    thought: str
    readings: tuple[str, ...]


@dataclass(frozen=True)
class ScenarioKind:
    """How one kind of distance is named and explained (theme 03)."""

    label: str
    explain: str


@dataclass(frozen=True)
class Scenario:
    """A short story, the kind of distance it shows, and the feedback (theme 03)."""

    id: str
    text: str
    answer: str
    feedback: str


@dataclass(frozen=True)
class PauseStep:
    """One step of the self-compassion pause: how long it lasts and what it says."""

    seconds: int
    text: str


@dataclass(frozen=True)
class SelfCompassionPause:
    """The self-compassion pause: its title, its credit line and its timed steps."""

    title: str
    credit: str
    steps: tuple[PauseStep, ...]


@dataclass(frozen=True)
class BreathingPause:
    """The paced breathing: its title, its introduction, and the seconds in and out for some rounds."""

    title: str
    intro: str
    in_seconds: int
    out_seconds: int
    rounds: int


@dataclass(frozen=True)
class Pauses:
    """The guided pauses of ``pauses.yaml`` (its key ``self-compassion`` is read as ``self_compassion``)."""

    self_compassion: SelfCompassionPause
    breathing: BreathingPause

    def by_kind(self) -> dict[str, SelfCompassionPause | BreathingPause]:
        """Each pause under its key in ``pauses.yaml``, the ``kind`` a :class:`~widgets.Pause` cell
        names: ``{"self-compassion": …, "breathing": …}``."""
        return {"self-compassion": self.self_compassion, "breathing": self.breathing}


@dataclass(frozen=True)
class Rituals:
    """The bounds of a break in minutes, and the ideas for both kinds of space agreement (theme 06)."""

    min_minutes: int
    max_minutes: int
    signals: tuple[str, ...]
    check_ins: tuple[str, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]
    while_waiting: tuple[str, ...]
    how_often: tuple[str, ...]
    longer_check_ins: tuple[str, ...]
    tell_others: tuple[str, ...]
    review: tuple[str, ...]
    self_care: tuple[str, ...]

    def ideas(self, key: str) -> tuple[str, ...]:
        """The list of ideas named ``key`` in ``rituals.yaml``, one of :data:`RITUAL_LISTS` or :data:`LONGER_LISTS`."""
        if key not in (*RITUAL_LISTS, *LONGER_LISTS):
            raise KeyError(key)
        return getattr(self, key)


def _entries(file: _File, key: str, fields: tuple[str, ...], lists: tuple[str, ...] = ()) -> tuple[dict[str, Any], ...]:
    """The entries of the list ``key`` (checked by the schema), each ``{"id", *fields, *lists}``
    as the keyword arguments of its dataclass.

    Each id must differ from the others': a rule across entries that JSON Schema cannot say
    (``uniqueItems`` compares whole entries), so it is checked here.
    """
    first: dict[str, int] = {}
    found = []
    for n, entry in enumerate(file.doc[key]):
        ident = str(entry["id"])
        if ident in first:
            found.append(schemas.Problem(
                (key, n, "id"), f"{schemas.where(file.raw, (key, n))} has the id '{ident}', which item {first[ident] + 1} has too",
                "give each entry an id of its own (lower-case letters, digits and _)",
            ))
        first.setdefault(ident, n)
    if found:
        _fail(file, found)
    out = []
    for entry in file.doc[key]:
        item: dict[str, Any] = {"id": str(entry["id"])}
        item.update({name: str(entry[name]) for name in fields})
        item.update({name: tuple(str(text) for text in entry[name]) for name in lists})
        out.append(item)
    return tuple(out)


def stirs_up(folder: Path | None = None) -> tuple[StirsUpItem, ...]:
    """What a request for space can stir up: ``(StirsUpItem(id, text), …)``."""
    return tuple(StirsUpItem(**item) for item in _entries(_load("stirs_up", folder), "items", ("text",)))


def beliefs(folder: Path | None = None) -> tuple[tuple[str, ...], tuple[Belief, ...]]:
    """The five-step agreement scale and the beliefs about love: ``(scale, (Belief(id, text, reflection), …))``."""
    file = _load("beliefs", folder)
    scale = tuple(str(label) for label in file.doc["scale"])
    return scale, tuple(Belief(**item) for item in _entries(file, "beliefs", ("text", "reflection")))


def reframes(folder: Path | None = None) -> tuple[Reframe, ...]:
    """Worry thoughts with kinder readings: ``(Reframe(id, thought, readings), …)``."""
    return tuple(Reframe(**item) for item in _entries(_load("reframes", folder), "worries", ("thought",), ("readings",)))


SCENARIO_KINDS = ("healthy", "stonewalling", "silent", "control")


def scenarios(folder: Path | None = None) -> tuple[dict[str, ScenarioKind], tuple[Scenario, ...]]:
    """The four kinds of distance and the short scenarios: ``(kinds, scenarios)``; ``kinds`` maps each
    of :data:`SCENARIO_KINDS`, in that order, to its :class:`ScenarioKind`."""
    file = _load("scenarios", folder)
    named = file.doc["kinds"]
    kinds = {key: ScenarioKind(label=str(named[key]["label"]), explain=str(named[key]["explain"])) for key in SCENARIO_KINDS}
    return kinds, tuple(Scenario(**item) for item in _entries(file, "scenarios", ("text", "answer", "feedback")))


def pauses(folder: Path | None = None) -> Pauses:
    """The guided pauses: ``Pauses(self_compassion=(title, credit, steps), breathing=(title, intro, …))``."""
    file = _load("pauses", folder)
    kind, breath = file.doc["self-compassion"], file.doc["breathing"]
    credit = file.raw["self-compassion"].get("credit")
    return Pauses(
        self_compassion=SelfCompassionPause(
            title=str(kind["title"]),
            credit="" if credit is None else credit.strip(),
            steps=tuple(PauseStep(seconds=int(step["seconds"]), text=str(step["text"])) for step in kind["steps"]),
        ),
        breathing=BreathingPause(
            title=str(breath["title"]),
            intro=str(breath["intro"]),
            in_seconds=int(breath["in_seconds"]),
            out_seconds=int(breath["out_seconds"]),
            rounds=int(breath["rounds"]),
        ),
    )


RITUAL_LISTS = ("signals", "check_ins", "before", "after", "while_waiting")
#: the ideas for a longer time apart (days or weeks), offered by the agreement's second kind
LONGER_LISTS = ("how_often", "longer_check_ins", "tell_others", "review", "self_care")
#: an idea is put into a text field of the agreement, which holds this many characters
IDEA_LIMIT = 120


def duration_text(minutes: int, words: Callable[..., str]) -> str:
    """A break's length as people say it ("20 minutes", "1 hour", "1 h 30 min", "24 hours"), in the
    words of ``words`` (the app's ``t`` or the handouts' reader of ui.yaml)."""
    if minutes < 60:
        return words("minutes", n=minutes)
    hours, rest = divmod(minutes, 60)
    if rest:
        return words("hours_minutes", h=hours, m=rest)
    return words("hour") if hours == 1 else words("hours", n=hours)


def rituals(folder: Path | None = None) -> Rituals:
    """Ideas for the space agreement, and its bounds in minutes."""
    file = _load("rituals", folder)
    low, high = (int(file.doc["agreement"][key]) for key in ("min_minutes", "max_minutes"))
    if not low < high:  # a rule between two values, which JSON Schema cannot say
        _fail(file, [schemas.Problem(
            ("agreement", "max_minutes"), f"'agreement' › 'max_minutes' is {high}, not more than 'min_minutes' ({low})",
            "make the longest break longer than the shortest, e.g. min_minutes: 20 and max_minutes: 1440",
        )])
    lists = {key: tuple(str(text) for text in file.doc[key]) for key in (*RITUAL_LISTS, *LONGER_LISTS)}
    return Rituals(min_minutes=low, max_minutes=high, **lists)


@dataclass(frozen=True)
class FeedbackItem:
    """One answer offered by the closing feedback: a stable id and its text."""

    id: str
    text: str


@dataclass(frozen=True)
class FeedbackLists:
    """The closing feedback's two lists: what helped, and what a participant would change."""

    helped: tuple[FeedbackItem, ...]
    change: tuple[FeedbackItem, ...]


#: the lists of ``feedback.yaml``, in the order the exercise asks them
FEEDBACK_LISTS = ("helped", "change")


def feedback(folder: Path | None = None) -> FeedbackLists:
    """The answers the closing feedback offers: ``FeedbackLists(helped=(FeedbackItem(id, text), …), change=…)``."""
    file = _load("feedback", folder)
    lists = {key: tuple(FeedbackItem(**item) for item in _entries(file, key, ("text",))) for key in FEEDBACK_LISTS}
    return FeedbackLists(**lists)


def grounding(folder: Path | None = None) -> str:
    """The "I need a moment" page, as markdown."""
    path = _content_dir(folder) / "grounding.md"
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        raise ContentError(f"{_shown(path)}: the file is missing or not UTF-8 text") from None
    if not text.strip():
        raise ContentError(f"{_shown(path)}: the page is empty")
    return text
