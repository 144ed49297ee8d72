"""A PostgreSQL of the kit's own for an online workshop on one server (``holding-space online``
without ``--db``): a cluster in the data folder, reached only through a Unix socket in a folder only
its owner can open (no network port), started with the workshop and stopped with it.

Debian's ``postgresql`` package provides the programs (``/usr/lib/postgresql/<version>/bin``).
PostgreSQL refuses to run as root: run as root, the cluster belongs to the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

FIX = "PostgreSQL was not found. Install it with: sudo apt-get install postgresql (or give --db URL)"
#: every participant kernel holds one connection while it is in a session, each console kernel one:
#: 500 participants on nine replicas (60 each) and a few consoles, with room to spare
MAX_CONNECTIONS = 600
PORT = 5433  # only names the socket file (.s.PGSQL.5433); nothing listens on a network port


def pg_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (``HOLDING_SPACE_PG_BIN``, else the newest Debian's)."""
    configured = os.environ.get("HOLDING_SPACE_PG_BIN")
    candidates = [configured] if configured else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def default_folder(data: Path) -> Path:
    """Where the kit's own cluster for this data folder lives: ``<data>/postgres``; run as root, under the
    ``postgres`` user's home (Debian's ``/var/lib/postgresql``), since that user may not enter a data
    folder only root can open."""
    if os.geteuid() != 0:
        return Path(data) / "postgres"
    import hashlib

    home = Path(pwd.getpwnam("postgres").pw_dir)
    return home / f"holding-space-{hashlib.sha256(str(Path(data).resolve()).encode()).hexdigest()[:10]}"


class LocalPostgres:
    """A cluster in ``folder`` (made on first start, kept across restarts unless ``keep`` is False)."""

    def __init__(self, folder: Path, keep: bool = True, max_connections: int = MAX_CONNECTIONS) -> None:
        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError(FIX)
        self.root = Path(folder)
        self.data = self.root / "data"
        self.socket = self.root / "run"
        self.keep = keep
        self.max_connections = max_connections
        self.as_user: list[str] = []
        self.started = False

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()[-800:]}")

    def _own(self) -> None:
        """Folders only the cluster's user can open; as root, that user is ``postgres``."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.socket.mkdir(exist_ok=True, mode=0o700)
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as error:
                raise RuntimeError("PostgreSQL will not run as root, and there is no postgres user") from error
            for path in (self.root, self.socket):
                shutil.chown(path, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@/postgres?host={self.socket}&port={PORT}"

    def running(self) -> bool:
        """Is this cluster running already (another command of the kit started it)?"""
        if not (self.data / "PG_VERSION").exists():
            return False
        self._own()
        done = subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "status"],
                              capture_output=True, text=True)
        return done.returncode == 0

    def start(self) -> str:
        """Make the cluster if needed, start it, and return its SQLAlchemy URL."""
        self._own()
        if not (self.data / "PG_VERSION").exists():
            # trust is safe here: the only way in is the socket, in a folder only this user can open
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                      "--no-instructions", *([] if self.keep else ["--no-sync"]))
        options = (f"-k {self.socket} -c listen_addresses='' -p {PORT} -c max_connections={self.max_connections}"
                   + ("" if self.keep else " -c fsync=off"))
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-t", "60",
                  "-l", str(self.root / "postgres.log"), "start")
        self.started = True
        return self.url

    def stop(self) -> None:
        try:
            if self.started:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            self.started = False
            if not self.keep:
                shutil.rmtree(self.root, ignore_errors=True)
