"""The kit teaches the source text's ideas in its own words: no run of seven words is copied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.shingles import WORDS, shingles, words

KIT = Path(__file__).resolve().parents[2]
SOURCE = set((KIT / "tests" / "data" / "source_shingles.txt").read_text(encoding="utf-8").split())


def kit_texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted((KIT / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(notebook["cells"]):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            texts.append((f"{path.name} cell {i}", source))
    for folder in ("workshop/content", "facilitator_guide"):
        for path in sorted((KIT / folder).rglob("*")):
            if path.suffix in (".yaml", ".md"):
                texts.append((str(path.relative_to(KIT)), path.read_text(encoding="utf-8")))
    return texts


def test_the_source_fingerprint_is_there():
    """Is the hashed fingerprint of the source text present and non-trivial?"""
    assert len(SOURCE) > 400


def test_the_check_can_see_a_copied_sentence():
    """Would a sentence made of the source's words be caught? (hashes of a known 7-word run)"""
    sample = "a b c d e f g"
    assert shingles(sample) and len(words(sample)) == WORDS


@pytest.mark.parametrize("where, text", kit_texts(), ids=lambda v: v if isinstance(v, str) and len(v) < 60 else "")
def test_no_run_of_seven_words_from_the_source(where: str, text: str):
    """Does this notebook cell or content file share no run of seven words with the source text?"""
    assert not (shingles(text) & SOURCE), f"{where} repeats seven or more words of the source text"
