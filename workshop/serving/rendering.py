"""Each warm seat's page, rendered without compiling Voila's templates again.

Voila renders every seat's page with a new nbconvert exporter, and every exporter makes a new Jinja
environment that parses and compiles the whole chain of templates (the kit's, Voila's lab template,
nbconvert's base and macros) again: measured with py-spy, 37 % of the participant server's CPU while
it warmed seats, about 0.25 CPU seconds a seat. Jinja's own answer is a bytecode cache: the compiled
code of each template, keyed by its name and a checksum of its source (so an edited template is
compiled afresh), kept here in memory and shared by every environment of this server.

:class:`CachedVoilaExporter` is Voila's exporter whose Jinja environment (nbconvert's public
``environment`` property) is given that cache (Jinja's public ``Environment.bytecode_cache``). Voila
builds its exporter by the name ``voila.notebook_renderer.VoilaExporter`` and offers no setting for
it: :func:`install` puts this class under that name, an internal held by tests/unit/test_contracts.py.
"""

from __future__ import annotations

import threading

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from voila import notebook_renderer
from voila.exporter import VoilaExporter

#: compiled templates kept at most (the kit's pages use about 20)
MAX_TEMPLATES = 256


class MemoryBytecodeCache(BytecodeCache):
    """Compiled Jinja templates in this process's memory, shared by every environment that uses it."""

    def __init__(self, limit: int = MAX_TEMPLATES) -> None:
        self.limit = limit
        self.code: dict[str, bytes] = {}
        self.hits = 0
        self.compiled = 0
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            data = self.code.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)  # a checksum that differs leaves the bucket empty: compiled again
            if bucket.code is not None:
                self.hits += 1

    def dump_bytecode(self, bucket: Bucket) -> None:
        data = bucket.bytecode_to_string()
        with self._lock:
            if bucket.key not in self.code and len(self.code) >= self.limit:
                self.code.pop(next(iter(self.code)))
            self.code[bucket.key] = data
            self.compiled += 1


#: one per server process
SHARED_CACHE = MemoryBytecodeCache()


class CachedVoilaExporter(VoilaExporter):
    """Voila's exporter, whose Jinja environment compiles each template once per server, not once per seat."""

    @property
    def environment(self):
        environment = super().environment
        if environment.bytecode_cache is None:
            environment.bytecode_cache = SHARED_CACHE
        return environment


def install() -> None:
    """Have Voila build its pages with :class:`CachedVoilaExporter` (its module's global name)."""
    if notebook_renderer.VoilaExporter is VoilaExporter:
        notebook_renderer.VoilaExporter = CachedVoilaExporter
