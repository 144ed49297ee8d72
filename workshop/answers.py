"""A participant's own answers as their browser keeps them, matched to exercises by name.

Plain data, no widgets: the participant app hands in what the browser sent back after a reload
and the exercises built so far; answers for exercises not built yet wait here until they are.
An answer saved under a name no exercise has any more (a cell a therapist removed, or an old
positional name) is kept aside, and kept in the browser, never given to another exercise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

#: at most this many answers are read back from a browser's copy, each name at most MAX_KEY long
MAX_ANSWERS = 500
MAX_KEY = 200


class Answerable(Protocol):
    @property
    def answer(self) -> dict[str, Any]: ...

    def restore(self, data: Mapping[str, Any]) -> list[str]: ...


class AnswerBook:
    """Saved answers not applied yet, by exercise key (``"00_welcome/check-in"``)."""

    def __init__(self) -> None:
        self.pending: dict[str, dict] = {}

    def restore(self, answers: Any, exercises: Mapping[str, Answerable], themes: Iterable[str]) -> bool:
        """Apply what the browser sent to the exercises built; keep the rest. True if any of it
        belongs to this workshop (an exercise built, or a theme it has)."""
        if not isinstance(answers, dict):
            return False
        themes = set(themes)
        applied = False
        for key, answer in list(answers.items())[:MAX_ANSWERS]:
            if not isinstance(answer, dict) or not isinstance(key, str):
                continue
            if key in exercises:
                dropped = exercises[key].restore(answer)
                applied = applied or len(dropped) < len(answer)
            elif "/" in key and len(key) <= MAX_KEY:
                self.pending[key] = answer
                applied = applied or key.split("/", 1)[0] in themes
        return applied

    def take(self, key: str) -> dict | None:
        """The saved answer for an exercise just built, if any (it leaves the book)."""
        return self.pending.pop(key, None)

    def snapshot(self, exercises: Mapping[str, Answerable]) -> dict[str, dict]:
        """Every answer to keep in the browser: those waiting here, then the exercises' own."""
        answers = dict(self.pending)
        answers.update({key: exercise.answer for key, exercise in exercises.items()})
        return answers
