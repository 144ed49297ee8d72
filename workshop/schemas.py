"""Check a content file against its JSON Schema, and say what is wrong in words a therapist can act on.

Each YAML file of ``workshop/content/`` has a JSON Schema (draft 2020-12) in
``workshop/content/schemas/<name>.schema.json``. Besides the standard keywords, a schema may say:

``x-hint``
    what to write instead, in plain words: a text, or ``{keyword: text, "*": text}``. The hint of
    the innermost part of the schema that has one is used;
``x-problem``
    ``{keyword: template}``: what is wrong, when the general wording of :data:`PROBLEMS` would be
    unclear (``{where}``, ``{value}``, ``{key}``, ``{limit}`` and ``{count}`` are filled in).

Two validators read the same schemas, for a measured reason: every participant kernel reads the
content at start-up, and ``import jsonschema`` costs it 2.8 s and 33 MiB (its format checker
builds a grammar at import), where ``import fastjsonschema`` costs 0.02 s and 1.2 MiB. So
:func:`valid` answers yes or no with ``fastjsonschema`` (each schema compiled once per process,
when first needed); only when the answer is no does :func:`problems` import ``jsonschema`` to
collect every mistake with its place, and :func:`lines` find each place's line in the YAML.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

SCHEMA_DIR = Path(__file__).resolve().parent / "content" / "schemas"
#: at most this many problems are listed in one message; the rest are counted
MAX_PROBLEMS = 12
_SHOWN = 40  # characters of a value quoted in a message

# C0 and C1 control characters other than tab and line breaks. YAML refuses them typed into the file,
# but a double-quoted escape ("\x1b", "\0") still makes one; they are invisible on the page. A rule for
# every text of every file, so it is checked here once rather than as a pattern in every schema.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")

#: what is wrong, by JSON Schema keyword, when the schema gives no ``x-problem`` of its own
PROBLEMS = {
    "type": "{where} {described}",
    "minLength": "{where} is empty",
    "maxLength": "{where} is {count} characters long, longer than the {limit} that fit",
    "pattern": "{where} ('{value}') is not written the way this file expects",
    "enum": "{where} is '{value}', which is not one of {choices}",
    "const": "{where} is '{value}', not '{limit}'",
    "minimum": "{where} is {value}, less than {limit}",
    "maximum": "{where} is {value}, more than {limit}",
    "exclusiveMinimum": "{where} is {value}; it must be more than {limit}",
    "exclusiveMaximum": "{where} is {value}; it must be less than {limit}",
    "minItems": "{where} has {count} entries; it needs at least {entries}",
    "minItems:empty": "{where} is an empty list; it needs at least {entries}",
    "maxItems": "{where} has {count} entries, more than the {limit} it may have",
    "minProperties": "{where} is empty",
    "required": "{where} has no '{key}'",
    "additionalProperties": "{where} has '{key}', which is not one of its keys",
    "uniqueItems": "{where} lists the same entry twice",
    "*": "{where} is not filled in the way this file expects",
}


class Problem(NamedTuple):
    """One mistake: where it is (``path``, and ``key`` when the mistake is a key of the mapping at
    ``path``), what is wrong and what to write instead."""

    path: tuple
    what: str
    hint: str = ""
    key: str | None = None


# ---------------------------------------------------------------- the document a schema reads


def plain(data: Any) -> tuple[Any, list[tuple]]:
    """The YAML data as JSON Schema reads it: every mapping key as text (YAML reads ``5:`` as a
    number; JSON has only text keys) and every text with its runs of spaces and line breaks made
    one space, as the loaders use it (so a limit counts the characters a participant sees).

    Also returns the paths of texts holding an invisible control character. Lists and mappings
    that YAML shares (``&anchor``/``*alias``) are copied once, so the copy is never larger than
    what YAML built.
    """
    controls: list[tuple] = []
    seen: dict[int, Any] = {}

    def copy(value: Any, path: tuple) -> Any:
        if isinstance(value, str):
            if _CONTROL.search(value):
                controls.append(path)
            return " ".join(value.split())
        if isinstance(value, (dict, list)):
            if id(value) in seen:
                return seen[id(value)]
            if isinstance(value, dict):
                out: Any = seen.setdefault(id(value), {})
                for key, item in value.items():
                    out[_key(key)] = copy(item, (*path, _key(key)))
            else:
                out = seen.setdefault(id(value), [])
                out.extend(copy(item, (*path, n)) for n, item in enumerate(value))
            return out
        return value

    return copy(data, ()), controls


def _key(key: Any) -> str:
    return key if isinstance(key, str) else str(key)


# ---------------------------------------------------------------- the fast yes or no


@cache
def schema(name: str) -> dict:
    """The schema of ``<name>.yaml`` (e.g. ``"feelings"``), read once per process."""
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


@cache
def _compiled(name: str) -> Callable[[Any], Any]:
    import fastjsonschema

    # Only yes or no is needed here (jsonschema says where and why), and without detailed
    # exceptions the generated code is a third the size and compiles three times faster.
    return fastjsonschema.compile(schema(name), detailed_exceptions=False, use_formats=False)


def compile_all() -> int:
    """Compile every schema now (the seat template does, before it forks: each seat built them again,
    0.03 s of its warm-up). Returns how many."""
    names = sorted(path.name.removesuffix(".schema.json") for path in SCHEMA_DIR.glob("*.schema.json"))
    for name in names:
        _compiled(name)
    return len(names)


def valid(name: str, document: Any) -> bool:
    """Whether ``document`` (see :func:`plain`) fits the schema of ``<name>.yaml``."""
    import fastjsonschema

    try:
        _compiled(name)(document)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


# ---------------------------------------------------------------- what is wrong, and where


def problems(name: str, document: Any, raw: Any, root: Any = None) -> list[Problem]:
    """Every mistake in ``document`` (see :func:`plain`) against the schema of ``<name>.yaml``, in
    plain words. ``raw`` is the data as YAML read it, for the names shown in a place ("'services'
    item 2 ('Samaritans')"), and ``root`` its node tree (:func:`compose`), for what was typed where
    YAML read a word as yes/no or a number. Imports ``jsonschema``: only call it once :func:`valid`
    said no."""
    root_schema = schema(name)
    try:
        from jsonschema import Draft202012Validator
    except ImportError:  # pragma: no cover - jsonschema is a dependency; say something useful anyway
        return [Problem((), "the file does not fit its rules", f"compare it with {SCHEMA_DIR / (name + '.schema.json')}")]
    errors = list(Draft202012Validator(root_schema).iter_errors(document))
    found: list[Problem] = []
    by_path: dict[tuple, set[str]] = {}
    for error in errors:
        by_path.setdefault(tuple(error.absolute_path), set()).add(error.validator)
    for error in errors:
        path = tuple(error.absolute_path)
        # "needs exactly one of call, text, chat or web" says nothing new beside "'fax' is not a kind of contact"
        if error.validator in ("oneOf", "anyOf") and len(by_path[path]) > 1:
            continue
        found.extend(_explain(root_schema, error, path, raw, root))
    unique = list(dict.fromkeys(found))
    if not unique:  # the two validators disagree (they should not): still refuse, and say where to look
        unique = [Problem((), "the file does not fit its rules", f"compare it with {SCHEMA_DIR / (name + '.schema.json')}")]
    return unique


def _explain(root: dict, error: Any, path: tuple, raw: Any, tree: Any) -> Iterable[Problem]:
    keyword = error.validator
    chain = _schemas_along(root, list(error.absolute_schema_path))
    instance = error.instance
    fields = {"where": where(raw, path), "limit": error.validator_value, "value": _short(instance)}
    if "propertyNames" in error.absolute_schema_path:  # the mistake is a key of this mapping
        key = str(instance)
        fields["value"] = _short(key)
        yield Problem(path, _problem(chain, keyword, fields), _hint(chain, keyword), key=key)
        return
    if keyword == "required":
        for key in error.validator_value:
            if isinstance(instance, dict) and key not in instance:
                own = _resolve(root, chain[-1].get("properties", {}).get(key, {})) if chain else []
                hint = _hint(own, "*") if own else ""
                text = _problem(chain, keyword, {**fields, "key": key})
                if not path and "x-problem" not in chain[-1]:
                    text = f"the file has no '{key}'"
                yield Problem(path, text, hint or _hint(chain, keyword))
        return
    if keyword == "additionalProperties" and error.validator_value is False and isinstance(instance, dict):
        known = list(chain[-1].get("properties", {})) if chain else []
        patterns = list(chain[-1].get("patternProperties", {})) if chain else []
        for key in instance:
            if key not in known and not any(re.search(p, key) for p in patterns):
                hint = _hint(chain, keyword, own_only=True) or (
                    "remove it or check its spelling" + (f"; the keys here are {', '.join(known)}" if known else "")
                )
                yield Problem(path, _problem(chain, keyword, {**fields, "key": key}), hint, key=key)
        return
    if keyword == "type":
        fields["described"], quoted = _described(instance, error.validator_value, _scalar_at(tree, path))
        hint = f'write it in quotes: "{quoted}"' if quoted is not None else _hint(chain, keyword)
        yield Problem(path, _problem(chain, keyword, fields), hint)
        return
    if keyword in ("maxLength", "minLength", "maxItems", "minItems"):
        fields["count"] = len(instance) if hasattr(instance, "__len__") else 0
        fields["entries"] = "one entry" if error.validator_value == 1 else f"{error.validator_value} entries"
        if keyword == "minItems" and not instance:
            keyword = "minItems:empty"
    if keyword == "enum":
        fields["choices"] = ", ".join(map(str, error.validator_value))
    yield Problem(path, _problem(chain, keyword, fields), _hint(chain, keyword))


def _schemas_along(root: dict, schema_path: list) -> list[dict]:
    """The subschemas from ``root`` along a jsonschema ``absolute_schema_path``, following ``$ref``
    (which that path leaves out), ending with the one that holds the failing keyword."""
    chain = [root]
    node: Any = root
    for step in schema_path[:-1]:
        while isinstance(node, dict) and step not in node and "$ref" in node:
            node = _ref(root, node["$ref"])
            chain.append(node)
        inside = (isinstance(node, dict) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and step < len(node)
        )
        if not inside:
            break
        node = node[step]
        if isinstance(node, dict):
            chain.append(node)
    while isinstance(node, dict) and "$ref" in node:  # the keyword lives in the definition referred to
        node = _ref(root, node["$ref"])
        chain.append(node)
    return chain


def _resolve(root: dict, node: dict) -> list[dict]:
    chain = [node]
    while isinstance(node, dict) and "$ref" in node:
        node = _ref(root, node["$ref"])
        chain.append(node)
    return chain[::-1]  # innermost last: a property's own hint beats its definition's


def _ref(root: dict, ref: str) -> Any:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _hint(chain: list[dict], keyword: str, own_only: bool = False) -> str:
    """The innermost ``x-hint`` along ``chain`` for ``keyword``; with ``own_only``, only a hint
    given for that keyword by name."""
    for node in reversed(chain):
        hint = node.get("x-hint")
        if own_only:
            if isinstance(hint, dict) and keyword in hint:
                return hint[keyword]
            continue
        if isinstance(hint, str):
            return hint
        if isinstance(hint, dict) and (keyword in hint or "*" in hint):
            return hint.get(keyword, hint.get("*", ""))
    return ""


def _problem(chain: list[dict], keyword: str, fields: dict) -> str:
    template = PROBLEMS.get(keyword, PROBLEMS["*"])
    for node in reversed(chain):
        own = node.get("x-problem", {})
        if keyword in own:
            template = own[keyword]
            break
    return template.format_map(_Fields(fields))


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _short(value: Any) -> str:
    """A value as a message quotes it: at most a few words (never a whole list, however large)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, list):
        text = "[…]"
    elif isinstance(value, dict):
        text = "{…}"
    else:
        text = str(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


_EXPECTED = {"string": "text", "number": "a number", "integer": "a whole number", "array": "a list",
             "object": "a set of 'key: value' lines", "null": "nothing", "boolean": "yes or no"}


def _described(value: Any, expected: Any, typed: str | None) -> tuple[str, str | None]:
    """How a value of the wrong type reads ("is empty", "is a list"), and the text to put in quotes
    when YAML read a word or number the therapist meant as text (``no`` as false, ``000`` as 0)."""
    types = [expected] if isinstance(expected, str) else list(expected)
    wanted = " or ".join(_EXPECTED.get(t, t) for t in types)
    if value is None:
        return "is empty", None
    if isinstance(value, datetime.date) and "string" in types:
        return f"is read as a date, not as the text '{_short(typed or str(value))}'", None
    if isinstance(value, (bool, int, float)) and "string" in types:
        typed = typed if typed is not None else str(value)
        return f"is read as {'yes/no' if isinstance(value, bool) else 'a number'}, not as the text '{_short(typed)}'", typed
    if isinstance(value, bool):
        return f"is yes/no ({str(value).lower()}), where {wanted} belongs", None
    if isinstance(value, (int, float)):
        return f"is the number {value}, where {wanted} belongs", None
    if isinstance(value, str):
        return f"is the text '{_short(value)}', where {wanted} belongs", None
    if isinstance(value, list):
        return f"is a list, where {wanted} belongs", None
    if isinstance(value, dict):
        return f"is a set of 'key: value' lines, where {wanted} belongs", None
    return f"is not {wanted}", None


# ---------------------------------------------------------------- places and lines


def where(raw: Any, path: tuple) -> str:
    """A place in the file in words: ``'countries' › 'GB' › 'services' item 2 ('Samaritans')``."""
    parts: list[str] = []
    node = raw
    for step in path:
        if isinstance(step, int):
            label = ""
            node = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(node, dict):
                name = node.get("name", node.get("id"))
                if isinstance(name, (str, int)) and not isinstance(name, bool) and str(name).strip():
                    label = f" ('{_short(' '.join(str(name).split()))}')"
            text = f"item {step + 1}{label}"
            if parts:
                parts[-1] += " " + text
            else:
                parts.append(text)
        else:
            parts.append(f"'{_short(step)}'")
            if isinstance(node, dict):
                node = next((v for k, v in node.items() if _key(k) == step), None)
            else:
                node = None
    return " › ".join(parts) if parts else "the file"


def compose(text: str, loader: type = yaml.SafeLoader) -> Any:
    """The YAML ``text`` as a tree of nodes, which (unlike the data) keep where each value starts;
    ``None`` for an empty or unreadable text."""
    try:
        return yaml.compose(text, Loader=loader)
    except (yaml.YAMLError, ValueError, RecursionError):
        return None


def line(root: Any, path: tuple, key: str | None = None) -> int:
    """The line (from 1) of a place in the file whose tree is ``root``: ``(path, key)`` as in
    :class:`Problem`. A value under a key is placed on the key's line (a list under ``feelings:``
    starts one line below it); a place that is not in the file (a missing key) falls back to the
    nearest enclosing one."""
    return _line(root, path, key)


def _line(root: Any, path: tuple, key: str | None) -> int:
    if root is None:
        return 1
    node, line = root, root.start_mark.line
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = _find_key(node, step)
            if match is None:
                break
            line, node = match[0].start_mark.line, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line
        else:
            break
    else:
        if key is not None and isinstance(node, yaml.MappingNode):
            match = _find_key(node, key)
            if match is not None:
                line = match[0].start_mark.line
    return line + 1


_constructor = yaml.constructor.SafeConstructor()


def _find_key(node: yaml.MappingNode, step: Any) -> tuple | None:
    found = None
    for key_node, value_node in node.value:  # the last one wins, as when YAML reads a key twice
        if isinstance(key_node, yaml.ScalarNode):
            try:
                name = _key(_constructor.construct_object(key_node))
            except Exception:  # a key YAML cannot build was reported as invalid YAML already
                name = key_node.value
            if name == str(step) or key_node.value == str(step):
                found = (key_node, value_node)
    return found


def _scalar_at(root: Any, path: tuple) -> str | None:
    """The characters typed for the plain (unquoted) scalar at ``path``, like ``no`` or ``000``."""
    node = root
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = _find_key(node, step)
            node = match[1] if match else None
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            node = None
        if node is None:
            return None
    return node.value if isinstance(node, yaml.ScalarNode) and not node.style else None


def report(shown: str, root: Any, found: list[Problem]) -> str:
    """The message of a :class:`~workshop.content.ContentError`: one line per problem, in file order,
    each ``<file>, line <n>: <what is wrong> — <what to write instead>``. ``root`` is the file's
    node tree (:func:`compose`)."""
    numbers = [_line(root, p.path, p.key) for p in found]
    ordered = sorted(zip(numbers, range(len(found)), found, strict=True))
    out = [f"{shown}, line {n}: {p.what}" + (f" — {p.hint}" if p.hint else "") for n, _i, p in ordered[:MAX_PROBLEMS]]
    if len(ordered) > MAX_PROBLEMS:
        out.append(f"{shown}: … and {len(ordered) - MAX_PROBLEMS} more problems in this file")
    return "\n".join(out)
