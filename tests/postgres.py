"""A throwaway PostgreSQL for the store tests: a cluster in a temporary folder, reachable only
through a Unix socket in that folder (no network port), stopped and deleted afterwards."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

FIX = "PostgreSQL was not found. Install it with: sudo apt-get install postgresql (or set HOLDING_SPACE_PG_BIN)"


def pg_bin() -> Path | None:
    configured = os.environ.get("HOLDING_SPACE_PG_BIN")
    candidates = [configured] if configured else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class TemporaryPostgres:
    def __init__(self) -> None:
        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError(FIX)
        self.root = Path(tempfile.mkdtemp(prefix="hs-pg-"))
        self.data = self.root / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            pwd.getpwnam("postgres")
            shutil.chown(self.root, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True)

    def start(self) -> str:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        options = f"-k {self.root} -c listen_addresses='' -c fsync=off -p 5433"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l", str(self.root / "log"), "start")
        return f"postgresql+psycopg://postgres@/postgres?host={self.root}&port=5433"

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
