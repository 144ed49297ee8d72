"""A throwaway PostgreSQL for the store tests: the kit's own local cluster
(:class:`workshop.serving.postgres.LocalPostgres`) in a temporary folder, reachable only through a
Unix socket there (no network port), without fsync, stopped and deleted afterwards."""

from __future__ import annotations

import tempfile
from pathlib import Path

from workshop.serving.postgres import FIX, LocalPostgres, pg_bin

__all__ = ["FIX", "TemporaryPostgres", "pg_bin"]


class TemporaryPostgres(LocalPostgres):
    def __init__(self) -> None:
        super().__init__(Path(tempfile.mkdtemp(prefix="hs-pg-")), keep=False, max_connections=200)
