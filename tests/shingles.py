"""Runs of words, hashed, to check that no sentence of the source text is copied into the kit.

The source text is not stored in the project; ``tests/data/source_shingles.txt`` holds only the
SHA-1 of every run of :data:`WORDS` consecutive words of it (lower case, punctuation dropped).
Regenerate with ``python tests/shingles.py PATH_TO_SOURCE > tests/data/source_shingles.txt``.
"""

from __future__ import annotations

import hashlib
import re
import sys

WORDS = 7


def words(text: str) -> list[str]:
    text = text.replace("’", "'").replace("‘", "'").lower()
    return re.findall(r"[a-z0-9']+", text)


def shingles(text: str, size: int = WORDS) -> set[str]:
    tokens = words(text)
    return {
        hashlib.sha1(" ".join(tokens[i : i + size]).encode()).hexdigest() for i in range(len(tokens) - size + 1)
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        for digest in sorted(shingles(handle.read())):
            print(digest)
