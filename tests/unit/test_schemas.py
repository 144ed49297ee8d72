"""The content files' JSON Schemas: the shipped files fit them, a therapist's slip is reported with
the file, the line and what to write instead, hostile values are refused or kept as plain text, and
a participant kernel checks valid content without importing jsonschema."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from workshop import content, schemas
from workshop.paths import CONTENT_DIR

KIT = Path(__file__).resolve().parents[2]
YAML_FILES = sorted(p.name for p in CONTENT_DIR.glob("*.yaml"))
#: each YAML file, the loader that reads it and the arguments that read all of it
LOADERS = {
    "beliefs.yaml": content.beliefs,
    "feedback.yaml": content.feedback,
    "feelings.yaml": content.feelings,
    "intensity.yaml": content.intensity,
    "pauses.yaml": content.pauses,
    "reframes.yaml": content.reframes,
    "resources.yaml": content.all_resources,
    "rituals.yaml": content.rituals,
    "scenarios.yaml": content.scenarios,
    "stirs_up.yaml": content.stirs_up,
    "ui.yaml": content.ui_text,
}
DRAFT = "https://json-schema.org/draft/2020-12/schema"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped content folder to break."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def schema_of(name: str) -> dict:
    return json.loads((CONTENT_DIR / "schemas" / f"{Path(name).stem}.schema.json").read_text(encoding="utf-8"))


def subschemas(node, path=()):
    """Every object inside a schema, with where it is."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from subschemas(value, (*path, key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from subschemas(value, (*path, n))


def refused(loader, folder: Path) -> str:
    with pytest.raises(content.ContentError) as info:
        loader(folder)
    return str(info.value)


def line_of(text: str, fragment: str) -> int:
    """The line (from 1) of the first line of ``text`` holding ``fragment``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


# ---------------------------------------------------------------- the schemas themselves


def test_every_yaml_file_has_a_schema_and_a_loader():
    """Does each YAML file of workshop/content/ have its schema in schemas/ (and nothing else is there)?"""
    assert sorted(LOADERS) == YAML_FILES
    assert sorted(p.name for p in (CONTENT_DIR / "schemas").iterdir()) == sorted(
        f"{Path(name).stem}.schema.json" for name in YAML_FILES
    )


@pytest.mark.parametrize("name", YAML_FILES)
def test_each_schema_is_draft_2020_12_and_says_what_it_checks_in_words(name):
    """Is each schema a valid draft 2020-12 schema, with a title and a plain-words description of
    the file and of every key it names?"""
    schema = schema_of(name)
    assert schema["$schema"] == DRAFT
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] and len(schema["description"]) > 40
    for where, node in subschemas(schema):
        if where[-2:-1] == ("properties",) and "$ref" not in node:
            assert node.get("description"), f"{name}: {where} has no description"


@pytest.mark.parametrize("name", YAML_FILES)
def test_no_rule_sits_beside_a_ref(name):
    """Does every "$ref" stand alone but for words (description, x-hint, x-problem)? fastjsonschema
    (draft 7 rules) ignores a rule beside "$ref" where jsonschema applies it: the two would disagree."""
    for where, node in subschemas(schema_of(name)):
        if "$ref" in node:
            extra = set(node) - {"$ref", "description", "x-hint", "x-problem"}
            assert not extra, f"{name}: {where} has {extra} beside $ref; put them in an allOf"


def test_the_schemas_agree_with_the_constants_the_app_uses():
    """Do the schemas allow exactly the kinds, groups, lists and limits the widgets rely on?"""
    feelings = schema_of("feelings.yaml")
    assert feelings["$defs"]["word"]["maxLength"] == content.MAX_WORD
    scenarios = schema_of("scenarios.yaml")
    assert tuple(scenarios["properties"]["scenarios"]["items"]["properties"]["answer"]["enum"]) == content.SCENARIO_KINDS
    assert tuple(scenarios["properties"]["kinds"]["required"]) == content.SCENARIO_KINDS
    resources = schema_of("resources.yaml")
    assert tuple(resources["$defs"]["service"]["properties"]["group"]["enum"]) == content.SERVICE_GROUPS
    assert set(content.CONTACT_KINDS) < set(resources["$defs"]["contact"]["properties"])
    rituals = schema_of("rituals.yaml")
    assert set(rituals["required"]) == {"agreement", *content.RITUAL_LISTS, *content.LONGER_LISTS}
    for key in content.LONGER_LISTS:
        ref = rituals["properties"][key]["items"]["$ref"].rsplit("/", 1)[1]
        assert rituals["$defs"][ref]["maxLength"] == content.IDEA_LIMIT


# ---------------------------------------------------------------- the shipped files


@pytest.mark.parametrize("name", YAML_FILES)
def test_every_shipped_file_fits_its_schema_for_both_validators(name):
    """Does each shipped file fit its schema, for fastjsonschema (the kernels) and jsonschema (the messages)?"""
    raw = yaml.safe_load((CONTENT_DIR / name).read_text(encoding="utf-8"))
    document, controls = schemas.plain(raw)
    assert controls == []
    assert schemas.valid(Path(name).stem, document)
    assert list(jsonschema.Draft202012Validator(schema_of(name)).iter_errors(document)) == []


@pytest.mark.parametrize("name", YAML_FILES)
def test_every_loader_reads_the_shipped_file(name):
    """Does each loader read its shipped file without a complaint?"""
    assert LOADERS[name]()


def test_a_typical_edit_keeps_loading(folder: Path):
    """Does a file that differs only in ways the old loaders accepted (a number as a feeling word,
    extra spaces, an unquoted anchor text written in quotes) still load the same way?"""
    (folder / "feelings.yaml").write_text('feelings:\n  - "  left   out "\n  - 42\n', encoding="utf-8")
    assert content.feelings(folder) == ("left out", "42")


# ---------------------------------------------------------------- a slip in each file

#: (file, the text to find, what to put instead, words the message must hold)
SLIPS = [
    ("feelings.yaml", "  - lonely", "  - ''", ["'feelings' item 2 is empty", "write a feeling word or short phrase of up to 40 characters, e.g. 'tired'"]),
    ("intensity.yaml", '  10: "As unsettled', '  11: "As unsettled', ["'anchors' has the anchor '11'", "whole numbers from 0 to 10"]),
    ("ui.yaml", "back: Back", "back:", ["'back' is empty", "write the text after the colon"]),
    ("stirs_up.yaml", "  - id: not_enough", "  - id: being_left", ["has the id 'being_left', which item 1 has too", "an id of its own"]),
    ("beliefs.yaml", '  - "very true for me"', '  - ["very", "true"]', ["'scale' item 5 is a list", "short label"]),
    ("reframes.yaml", "  - id: my_fault", "  - id: My Fault", ["'id' is 'My Fault', which is not an id", "lower-case letters, digits and _"]),
    ("scenarios.yaml", "    answer: stonewalling", "    answer: shutdown", ["'answer' is 'shutdown', which is not one of", "healthy, stonewalling, silent or control"]),
    ("pauses.yaml", "  rounds: 6", "  rounds: 600", ["'breathing' › 'rounds' is 600, more than 30", "from 1 to 30"]),
    ("rituals.yaml", "  max_minutes: 1440", "  max_minutes: 10", ["'max_minutes' is 10, not more than 'min_minutes' (20)", "longest break longer"]),
    ("resources.yaml", '        - call: "000"', "        - call: 000", ["'AU' › 'emergency' › 'contacts' item 1 › 'call' is read as a number", 'write it in quotes: "000"']),
]


@pytest.mark.parametrize("name, find, replace, words", SLIPS, ids=[s[0] for s in SLIPS])
def test_a_slip_is_reported_with_the_file_the_line_and_what_to_write(folder: Path, name, find, replace, words):
    """Does a slip in each file give one ContentError line "<file>, line <n>: <what> — <what to write>",
    with the line where the slip is?"""
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert find in text
    path.write_text(text.replace(find, replace, 1), encoding="utf-8")
    message = refused(LOADERS[name], folder)
    expected_line = line_of(text, find)
    assert message.startswith(f"{path}, line {expected_line}: "), message
    assert " — " in message and "\n" not in message, message
    for fragment in words:
        assert fragment in message, (fragment, message)


def test_every_slip_in_a_file_is_listed_in_file_order(folder: Path):
    """Are several slips listed together, one line each, from top to bottom?"""
    (folder / "intensity.yaml").write_text(
        "question: 42\nmin_label: ''\nmax_label: b\nanchors:\n  0: ok\n  11: too high\ncare_from: 12\ncare_form: 3\n",
        encoding="utf-8",
    )
    lines = refused(content.intensity, folder).splitlines()
    numbers = [int(re.match(r".*intensity\.yaml, line (\d+): ", line).group(1)) for line in lines]
    assert numbers == [1, 2, 6, 7, 8]
    assert "'care_form', which is not one of its keys" in lines[-1] and "care_from" in lines[-1]


def test_a_missing_key_points_at_the_entry_that_lacks_it(folder: Path):
    """Is a service without 'source:' reported on the line where the service starts, naming it?"""
    path = folder / "resources.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index('      - name: "Men\'s Advice Line"')
    block_end = text.index("checked:", start)
    source = text.index("        source:", start)
    assert source < block_end
    path.write_text(text[:source] + text[text.index("\n", source) + 1 :], encoding="utf-8")
    message = refused(content.all_resources, folder)
    assert message.startswith(f"{path}, line {text[:start].count(chr(10)) + 1}: ")
    assert "'GB' › 'services' item 6 ('Men's Advice Line') has no 'source'" in message
    assert "the address of the page where you checked it" in message


def test_a_file_that_is_not_yaml_names_its_line(folder: Path):
    (folder / "feelings.yaml").write_text("feelings:\n  - tired\n  - [sad\n", encoding="utf-8")
    message = refused(content.feelings, folder)
    assert re.match(rf"{re.escape(str(folder / 'feelings.yaml'))}, line \d: this is not valid YAML", message)


def test_an_empty_file_says_what_it_should_hold(folder: Path):
    (folder / "stirs_up.yaml").write_text("# nothing yet\n", encoding="utf-8")
    message = refused(content.stirs_up, folder)
    assert message.startswith(f"{folder / 'stirs_up.yaml'}, line 1: the file is empty — ") and "items" in message


def test_a_path_inside_the_current_folder_is_shown_from_it(folder: Path, monkeypatch):
    """Is the file named from the current folder when it lies inside it (as `make check` shows it)?"""
    (folder / "ui.yaml").write_text("next: [Next]\n", encoding="utf-8")
    monkeypatch.chdir(folder.parent)
    assert refused(content.ui_text, folder).startswith("content/ui.yaml, line 1: 'next' is a list")


# ---------------------------------------------------------------- hostile values


def test_html_and_script_are_kept_as_plain_text(folder: Path):
    """Is markup in a feeling word or a label kept as the text it is (the widgets escape it), never read as markup?"""
    (folder / "feelings.yaml").write_text('feelings:\n  - "<script>alert(1)</script>"\n  - "<b>bold</b>"\n', encoding="utf-8")
    assert content.feelings(folder) == ("<script>alert(1)</script>", "<b>bold</b>")
    (folder / "ui.yaml").write_text('next: "<img src=x onerror=alert(1)>"\n', encoding="utf-8")
    assert content.ui_text(folder) == {"next": "<img src=x onerror=alert(1)>"}


@pytest.mark.parametrize("address", ["javascript:alert(1)", "https://exa mple.org", 'https://a.org/"onclick="x', "https://user@evil.org", "data:text/html,hi"])
def test_an_address_that_is_not_a_plain_https_link_is_refused(folder: Path, address):
    path = folder / "resources.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('web: "https://www.samaritans.org"', f"web: {json.dumps(address)}", 1), encoding="utf-8")
    message = refused(content.all_resources, folder)
    assert "not a plain https:// link" in message and "resources.yaml, line 63:" in message


@pytest.mark.parametrize(
    "name, text, words",
    [
        ("feelings.yaml", "feelings:\n  - " + "x" * 1_000_000 + "\n", "is 1000000 characters long, longer than the 40 that fit"),
        ("ui.yaml", "next: " + "y" * 50_000 + "\n", "is 50000 characters long, longer than the 2000 that fit"),
        ("stirs_up.yaml", "items:\n  - id: a\n    text: " + "z" * 10_000 + "\n", "is 10000 characters long, longer than the 600 that fit"),
    ],
)
def test_a_huge_text_is_refused_without_repeating_it(folder: Path, name, text, words):
    """Is a huge text refused with its length, in a message that does not repeat it?"""
    (folder / name).write_text(text, encoding="utf-8")
    message = refused(LOADERS[name], folder)
    assert words in message and len(message) < 1000


def test_a_lone_surrogate_is_refused_as_yaml_that_cannot_be_read(folder: Path):
    """Is a lone surrogate (half of a character, which no page can show) refused, with its line?"""
    (folder / "feelings.yaml").write_text('feelings:\n  - tired\n  - "\\ud800"\n', encoding="utf-8")
    message = refused(content.feelings, folder)
    assert message.startswith(f"{folder / 'feelings.yaml'}, line 3: this is not valid YAML")


def test_a_lone_surrogate_in_the_bytes_is_refused_as_not_utf8(folder: Path):
    (folder / "feelings.yaml").write_bytes(b"feelings:\n  - tired\n  - sad\xed\xa0\x80\n")
    assert "save the file as UTF-8 text" in refused(content.feelings, folder)


def test_an_invisible_control_character_is_refused(folder: Path):
    """Is a control character (which only a double-quoted escape can make) refused, with its line?"""
    text = (CONTENT_DIR / "scenarios.yaml").read_text(encoding="utf-8")
    label = 'label: "Stonewalling"'
    (folder / "scenarios.yaml").write_text(text.replace(label, 'label: "Stone\\x1bwalling"'), encoding="utf-8")
    message = refused(content.scenarios, folder)
    assert message.startswith(f"{folder / 'scenarios.yaml'}, line {line_of(text, label)}: ")
    assert "'kinds' › 'stonewalling' › 'label' holds an invisible control character" in message


@pytest.mark.parametrize(
    "name, text, words",
    [
        ("feelings.yaml", "feelings:\n  - tired\n  - [sad, low]\n", "'feelings' item 2 is a list, where text or a number belongs"),
        ("feelings.yaml", "feelings:\n  calm: yes\n", "'feelings' is a set of 'key: value' lines, where a list belongs"),
        ("feelings.yaml", "feelings:\n  - tired\n  - no\n", "'feelings' item 2 is read as yes/no, not as the text 'no' — write it in quotes: \"no\""),
        ("ui.yaml", "next: {a: b}\n", "'next' is a set of 'key: value' lines, where text belongs"),
        ("ui.yaml", "- next\n- back\n", "the file is a list, where a set of 'key: value' lines belongs"),
        ("intensity.yaml", "question: [q]\nmin_label: a\nmax_label: b\nanchors: {0: x}\n", "'question' is a list, where text belongs"),
        ("pauses.yaml", None, "'breathing' › 'in_seconds' is the text 'four', where a whole number belongs"),
    ],
)
def test_a_value_of_the_wrong_kind_is_named_with_its_line(folder: Path, name, text, words):
    """Is a list where a text belongs (and the like) refused with the line and what it is?"""
    if text is None:
        text = (CONTENT_DIR / name).read_text(encoding="utf-8").replace("in_seconds: 4", "in_seconds: four")
    (folder / name).write_text(text, encoding="utf-8")
    message = refused(LOADERS[name], folder)
    assert words in message, message
    assert re.match(rf"{re.escape(str(folder / name))}, line \d+: ", message)


def test_a_number_too_long_to_read_is_a_content_error_with_its_line(folder: Path):
    """Is a 5000-digit number (which Python refuses to build) a ContentError with its line, not a crash?"""
    (folder / "feelings.yaml").write_text("feelings:\n  - tired\n  - " + "9" * 5000 + "\n", encoding="utf-8")
    message = refused(content.feelings, folder)
    assert message.startswith(f"{folder / 'feelings.yaml'}, line 3: a number here is too long") and "quotes" in message


def test_nesting_too_deep_is_a_content_error(folder: Path):
    (folder / "feelings.yaml").write_text("feelings: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert "not valid YAML" in refused(content.feelings, folder)


# ---------------------------------------------------------------- the participant kernel's cost

PROBE = """
import sys
from workshop import content
for loader in (content.ui_text, content.feelings, content.intensity, content.all_resources, content.stirs_up,
               content.beliefs, content.reframes, content.scenarios, content.pauses, content.rituals, content.grounding,
               content.feedback, lambda: content.resources(strict=False)):
    try:
        loader()
    except content.ContentError:
        print("refused")
print(sorted(m for m in ("jsonschema", "fastjsonschema", "rfc3987_syntax", "nbformat") if m in sys.modules))
"""


def probe(env_folder: Path | None = None) -> str:
    import os

    env = dict(os.environ)
    if env_folder is not None:
        env["HOLDING_SPACE_CONTENT"] = str(env_folder)
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, cwd=KIT, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_valid_content_is_checked_without_importing_jsonschema():
    """Does a kernel that imports workshop.content and calls every loader on valid content check it
    with fastjsonschema only (jsonschema costs a kernel 2.8 s and 33 MiB)?"""
    assert probe() == "['fastjsonschema']"


def test_jsonschema_is_imported_only_to_explain_a_mistake(folder: Path):
    """With a slip in one file, is jsonschema imported (to say where and why), and only then?"""
    (folder / "feelings.yaml").write_text("feelings: []\n", encoding="utf-8")
    out = probe(folder).splitlines()
    assert out[0] == "refused" and "'jsonschema'" in out[-1]


def test_kernels_trust_the_files_the_launcher_checked_and_check_an_edited_one(tmp_path):
    """With the launcher's list of checked files, does a kernel load every content file without any schema
    validator (1.6 MiB and 70 ms a kernel), and does a file edited since still get checked and refused?"""
    import shutil
    import subprocess
    import sys

    folder = tmp_path / "content"
    shutil.copytree(content.content_dir(), folder)
    checked = content.vouch(folder)
    code = (
        "import sys, json; from pathlib import Path; from workshop import content; f = Path(sys.argv[1]);"
        "[getattr(content, n)(f) for n in ('feelings', 'intensity', 'stirs_up', 'beliefs', 'reframes', 'scenarios',"
        " 'pauses', 'rituals', 'ui_text', 'resources')];"
        "print(json.dumps(sorted(m for m in ('fastjsonschema', 'jsonschema') if m in sys.modules)))"
    )
    env = {**os.environ, content.CHECKED_ENV: checked}
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert len(json.loads(checked)) == len(list(folder.glob("*.yaml")))
    # an edit after the launcher's check: this kernel checks the file itself and names the problem
    (folder / "feelings.yaml").write_text("feelings:\n  - ''\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, env=env)
    assert done.returncode != 0 and "feelings.yaml, line 2" in done.stderr
    # a file that fails its schema is never vouched for
    assert str((folder / "feelings.yaml").resolve()) not in json.loads(content.vouch(folder))
