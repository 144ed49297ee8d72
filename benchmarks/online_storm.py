"""Online join storm: N phones arrive within two seconds through the HTTPS proxy, with 1 and 2 replicas.

Issue 16, point 6. Each storm gets a workshop of its own, started as the README starts one online:
``python -m workshop.cli online --domain localhost`` (Caddy with its own authority in front of the
participant replicas, the console, the kit's own PostgreSQL), with ``--replicas R``, ``--seats auto``
unless ``--seats`` says otherwise, free ports, and a fresh data folder (``HOLDING_SPACE_DATA``) in
which a facilitator is added first (the command refuses to start without one). The join address is
read as the command prints it, once it says the workshop runs; the storm follows at once. Ctrl-C
(SIGINT to the command) ends it; whatever it left behind is stopped by process id, its PostgreSQL
too, and the cluster's folder removed.

The participants are phones (``benchmarks/phone.py``): each a new client with its own connections
and its own cookie jar (the proxy's stickiness cookie ``hs_replica`` included, carried by the phone
to every later request and its websocket), speaking HTTPS and checking Caddy's certificate against
the local authority's root. The static assets they fetch were recorded once by one Chromium visit
through the proxy (on a workshop of its own, one replica and one seat).

Per configuration (replicas) and N: p50/p95/max time-to-interactive, p95 against the same
configuration's N = 1, failures, "room is full" answers, and how the participants spread over the
replicas: the cookie Caddy 2.6 sets is hex(HMAC-SHA256(key = ``proxy_secret`` of ``online.json``,
message = "127.0.0.1:PORT")) for the replica ports of the written Caddyfile; each phone's cookie is
mapped to its replica that way, and checked against the replica that really holds the phone's kernel
(each replica's ``/api/kernels``, asked directly on loopback after the storm). Cookies that map to no
replica are reported as they are. CPU seconds during the storm (sampled every half second, processes
that come and go included): every replica's process tree (Voila, its seat template, its kernels),
Caddy, the console, PostgreSQL, the launcher, and the phones' own process; per join divided by the
participants let in. Errors and warnings in the workshop's logs are counted per file.

    python benchmarks/online_storm.py                              # N = 1 30 60 120, replicas 1 and 2
    python benchmarks/online_storm.py --n 1 10 30 --replicas 1 2
    python benchmarks/online_storm.py --n 1 10 --seats 10 --out /tmp/online.json
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psutil

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT / "benchmarks"))
from common import chromium_or_exit, descendants  # noqa: E402
from join_storm import CpuMeter, machine, summary  # noqa: E402
from phone import Phone, record_assets  # noqa: E402

from workshop.serving.postgres import default_folder, pg_bin  # noqa: E402
from workshop.serving.server import free_port  # noqa: E402

COOKIE = "hs_replica"
#: a fresh workshop is let settle this long after it says it runs, before the storm
SETTLE_S = 2.0
FACILITATOR_SECRET = "a long enough secret for the benchmark"
JOIN_LINE = re.compile(r"^\s+(https://\S+/\?token=\S+)\s*$")
CA_LINE = re.compile(r"own authority: (\S+root\.crt)")
UPSTREAMS = re.compile(r"reverse_proxy((?:\s+127\.0\.0\.1:\d+)+)\s*\{\s*\n\s*lb_policy cookie")
LOG_PROBLEM = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|\[E \d|\"level\":\"(?:error|fatal|panic)\"")
#: a server's or the proxy's first line once it was told to stop: what follows is its ending
STOPPING = re.compile(r"Handle signal|shutting down|received shutdown|Received signal|exiting|shutdown request")
LOG_WARNING = re.compile(r"\bWARNING\b|\[W \d|\"level\":\"warn\"")


def cookie_for(secret: str, upstream: str) -> str:
    """Caddy 2.6's ``lb_policy cookie NAME SECRET`` value for an upstream's dial address."""
    return hmac.new(secret.encode(), upstream.encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------------------- the workshop
class OnlineWorkshop:
    """``python -m workshop.cli online --domain localhost`` in a fresh data folder, on free ports."""

    READY_LINE = "Press Ctrl-C"

    def __init__(self, replicas: int, seats: str, tmp: Path) -> None:
        self.replicas = replicas
        self.seats = seats
        self.tmp = tmp
        self.data = tmp / "data"
        self.https_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.https_port:
            self.http_port = free_port()
        self.command = [sys.executable, "-m", "workshop.cli", "online", "--domain", "localhost",
                        "--https-port", str(self.https_port), "--http-port", str(self.http_port),
                        "--replicas", str(replicas), "--replica-port", str(free_port()),
                        *(["--seats", seats] if seats != "auto" else [])]
        self.env = {**os.environ, "HOLDING_SPACE_DATA": str(self.data), "PYTHONUNBUFFERED": "1"}
        for name in ("HOLDING_SPACE_DB", "HOLDING_SPACE_NOTEBOOKS", "HOLDING_SPACE_CONTENT", "HOLDING_SPACE_STRICT",
                     "HOLDING_SPACE_COOKIE_SECRET", "PYTEST_CURRENT_TEST"):
            self.env.pop(name, None)  # the newcomer's kit, not a test's
        self.lines: list[str] = []
        self.process: subprocess.Popen | None = None
        self.join_url = ""
        self.root_ca: Path | None = None
        self.started = 0.0
        self.ready_s: float | None = None
        self.stopped_cleanly = False
        self.strays: list[str] = []
        self._seen: dict[int, psutil.Process] = {}

    # -- start
    def start(self, timeout: float = 600) -> OnlineWorkshop:
        self.data.mkdir(parents=True)
        added = subprocess.run([sys.executable, "-m", "workshop.cli", "facilitator", "add", "sam"], cwd=str(KIT),
                               env=self.env, input=FACILITATOR_SECRET + "\n", capture_output=True, text=True, timeout=120)
        if added.returncode:
            raise RuntimeError(f"facilitator add failed: {added.stderr or added.stdout}")
        self.started = time.monotonic()
        self.process = subprocess.Popen(self.command, cwd=str(KIT), env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        encoding="utf-8", errors="replace", start_new_session=True)
        threading.Thread(target=self._read, name="online-cli", daemon=True).start()
        deadline = time.monotonic() + timeout
        while self.ready_s is None:
            if self.process.poll() is not None:
                raise RuntimeError("`workshop.cli online` stopped:\n" + "\n".join(self.lines[-30:]))
            if time.monotonic() > deadline:
                raise TimeoutError(f"`workshop.cli online` not ready in {timeout:.0f} s:\n" + "\n".join(self.lines[-30:]))
            self._track()
            time.sleep(0.2)
        if not self.join_url or self.root_ca is None:
            raise RuntimeError("no join address or root certificate printed:\n" + "\n".join(self.lines[-30:]))
        self._track()
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            url = JOIN_LINE.match(line)
            if url and f":{self.https_port}/" in url.group(1):
                self.join_url = url.group(1)
            ca = CA_LINE.search(line)
            if ca:
                self.root_ca = Path(ca.group(1))
            if self.READY_LINE in line and self.ready_s is None:
                self.ready_s = time.monotonic() - self.started

    def _track(self) -> None:
        """Remember every process below the command, so none outlives it."""
        if self.process is not None:
            for proc in descendants(self.process.pid):
                self._seen.setdefault(proc.pid, proc)

    # -- what it runs
    @property
    def token(self) -> str:
        return parse_qs(urlsplit(self.join_url).query).get("token", [""])[0]

    def proxy_secret(self) -> str:
        return json.loads((self.data / "online.json").read_text(encoding="utf-8"))["proxy_secret"]

    def replica_ports(self) -> list[int]:
        caddyfile = (self.data / "proxy" / "Caddyfile").read_text(encoding="utf-8")
        found = UPSTREAMS.search(caddyfile)
        if not found:
            raise RuntimeError("no participant upstreams with lb_policy cookie in the Caddyfile")
        return [int(u.rsplit(":", 1)[1]) for u in found.group(1).split()]

    def _child(self, match) -> psutil.Process | None:
        assert self.process is not None
        for child in psutil.Process(self.process.pid).children():
            try:
                if match(child.cmdline()):
                    return child
            except psutil.Error:
                continue
        return None

    def replica_pid(self, port: int) -> int:
        child = self._child(lambda cmd: "workshop.serving.voila_app" in cmd and f"--port={port}" in cmd)
        if child is None:
            raise RuntimeError(f"no replica serves port {port}")
        return child.pid

    def postgres_folder(self) -> Path:
        return default_folder(self.data)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.postgres_folder() / "data" / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def cpu_groups(self) -> dict[str, tuple[int, bool]]:
        assert self.process is not None
        groups = {f"replica_{port}": (self.replica_pid(port), True) for port in self.replica_ports()}
        caddy = self._child(lambda cmd: bool(cmd) and Path(cmd[0]).name == "caddy")
        console = self._child(lambda cmd: any("facilitator.ipynb" in part for part in cmd))
        if caddy is not None:
            groups["caddy"] = (caddy.pid, True)
        if console is not None:
            groups["console"] = (console.pid, True)
        postmaster = self.postmaster_pid()
        if postmaster is not None:
            groups["postgres"] = (postmaster, True)
        groups["launcher"] = (self.process.pid, False)
        return groups

    def holds_kernel(self, port: int, kernel_id: str) -> bool | None:
        """Does the replica on ``port`` hold this kernel? Asked directly on loopback, not through the proxy
        (Voila serves no list of kernels, only one kernel's model); None: no answer."""
        from urllib.error import HTTPError
        from urllib.request import Request, urlopen

        try:
            with urlopen(Request(f"http://127.0.0.1:{port}/api/kernels/{kernel_id}",
                                 headers={"Authorization": f"token {self.token}"}), timeout=30) as answer:
                return json.loads(answer.read()).get("id") == kernel_id
        except HTTPError as error:
            return False if error.code == 404 else None
        except Exception:
            return None

    def ssl_context(self) -> ssl.SSLContext:
        assert self.root_ca is not None
        return ssl.create_default_context(cafile=str(self.root_ca))

    # -- stop
    def stop(self) -> None:
        """Ctrl-C as in the terminal; then whatever is left, by process id; PostgreSQL; its folder."""
        if self.process is None:
            return
        self._track()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        time.sleep(0.5)
        self.stopped_cleanly = any(line.strip() == "Stopped." for line in self.lines)
        for proc in self._seen.values():
            try:
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    self.strays.append(f"{proc.pid} {' '.join(proc.cmdline())[:100]}")
                    proc.kill()
            except psutil.Error:
                continue
        folder = self.postgres_folder()
        postmaster = self.postmaster_pid()
        if postmaster is not None and psutil.pid_exists(postmaster):
            self.strays.append(f"{postmaster} postgres (still running)")
            binary = pg_bin()
            if binary is not None:
                subprocess.run(["runuser", "-u", "postgres", "--", str(binary / "pg_ctl"), "-D", str(folder / "data"),
                                "stop", "-m", "fast", "-w"], capture_output=True, timeout=60)
        if folder.exists() and folder != self.data / "postgres":  # as root, the cluster lives outside the data folder
            log = folder / "postgres.log"
            if log.exists():
                (self.data / "logs").mkdir(parents=True, exist_ok=True)
                shutil.copy(log, self.data / "logs" / "postgres.log")
            shutil.rmtree(folder, ignore_errors=True)

    def log_problems(self) -> dict:
        """Errors and warnings per log file of the workshop (replicas, console, proxy, PostgreSQL), those
        while it ran apart from those once it was told to stop; each kind of message with its count."""
        out: dict[str, dict] = {}
        for path in sorted((self.data / "logs").glob("*.log")):
            counts = {"errors": 0, "warnings": 0, "errors_at_stop": 0, "warnings_at_stop": 0}
            kinds: dict[str, int] = {}
            stopping = False
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                stopping = stopping or bool(STOPPING.search(line))
                level = "errors" if LOG_PROBLEM.search(line) else "warnings" if LOG_WARNING.search(line) else None
                if level is None:
                    continue
                counts[level + ("_at_stop" if stopping else "")] += 1
                kind = ("at stop: " if stopping else "") + re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+(\.\d+)?", "#", line)[:150]
                if kind in kinds or len(kinds) < 12:
                    kinds[kind] = kinds.get(kind, 0) + 1
            name = re.sub(r"-\d{8}-\d{6}", "", path.stem)
            out[name] = {**counts, **({"messages": kinds} if kinds else {})}
        return out


# ---------------------------------------------------------------------------------------- the storm
class TrackedPhone(Phone):
    """A phone that also notes every value its stickiness cookie took (more than one: it moved)."""

    def _remember(self, response) -> None:
        super()._remember(response)
        value = self.cookies.get(COOKIE)
        if value is not None:
            seen = self.__dict__.setdefault("replica_cookies", [])
            if value not in seen:
                seen.append(value)


async def phone_storm(n: int, workshop: OnlineWorkshop, assets: list[str], timeout_s: float):
    meter = CpuMeter(workshop.cpu_groups())
    context = workshop.ssl_context()
    phones = [TrackedPhone(workshop.join_url, assets, timeout=timeout_s, ssl_options=context) for _ in range(n)]
    started = time.perf_counter()

    async def one(i: int) -> dict:
        await asyncio.sleep(2.0 * i / max(n, 1))
        return await phones[i].join()

    results = await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - started
    cpu = meter.used()
    for phone, result in zip(phones, results, strict=True):
        result["replica_cookies"] = list(phone.__dict__.get("replica_cookies", []))
    return results, {"wall_s": round(wall, 1), **cpu}


def spread(results: list[dict], workshop: OnlineWorkshop) -> dict:
    """Participants per replica, from each phone's hs_replica cookie, checked against the kernels."""
    secret = workshop.proxy_secret()
    ports = workshop.replica_ports()
    by_cookie = {cookie_for(secret, f"127.0.0.1:{port}"): port for port in ports}
    admitted = [r for r in results if r["ok"]]
    counts = {f"127.0.0.1:{port}": 0 for port in ports}
    unmatched: dict[str, int] = {}
    checked = agree = 0
    holders: dict[str, int] = {}
    for result in admitted:
        cookies = result.get("replica_cookies") or []
        if not cookies:
            unmatched["(no cookie)"] = unmatched.get("(no cookie)", 0) + 1
            continue
        port = by_cookie.get(cookies[-1])
        if port is None:
            unmatched[cookies[-1]] = unmatched.get(cookies[-1], 0) + 1
            continue
        counts[f"127.0.0.1:{port}"] += 1
        kernel = result.get("kernel_id")
        if not kernel:
            continue
        holder = next((p for p in [port, *(q for q in ports if q != port)] if workshop.holds_kernel(p, kernel)), None)
        if holder is not None:
            checked += 1
            agree += holder == port
            holders[f"127.0.0.1:{holder}"] = holders.get(f"127.0.0.1:{holder}", 0) + 1
    room_full = [r for r in results if r.get("room_full")]
    full_on = {}
    for result in room_full:
        cookies = result.get("replica_cookies") or []
        key = f"127.0.0.1:{by_cookie[cookies[-1]]}" if cookies and cookies[-1] in by_cookie else "(unknown)"
        full_on[key] = full_on.get(key, 0) + 1
    return {
        "per_replica": counts,
        # the cookie names the replica that holds the phone's kernel (its /api/kernels lists it)
        "cookie_matches_kernel": f"{agree}/{checked}",
        "moved": sum(1 for r in results if len(r.get("replica_cookies") or []) > 1),
        **({"unmatched_cookies": unmatched} if unmatched else {}),
        **({"room_full_on": full_on} if full_on else {}),
        # the same spread told by the replicas themselves: whose kernel each one holds
        "kernels_held_per_replica": holders,
    }


def figures(n: int, results: list[dict], cpu: dict, placement: dict) -> dict:
    ok = [r["tti"] for r in results if r["ok"]]
    full = [r for r in results if r.get("room_full")]
    admitted = max(n - len(full), 1)
    errors = sorted({r.get("error", "") for r in results if not r["ok"] and not r.get("room_full")})
    replicas_cpu = round(sum(v for k, v in cpu.items() if k.startswith("replica_")), 2)
    out = {"n": n, "joined": len(ok), "failures": n - len(ok) - len(full), "room_full": len(full),
           "tti_s": summary(ok), "spread": placement, **cpu, "replicas_cpu_s": replicas_cpu,
           "replicas_cpu_s_per_join": round(replicas_cpu / admitted, 3),
           "caddy_cpu_s_per_join": round(cpu.get("caddy_cpu_s", 0.0) / admitted, 3),
           "postgres_cpu_s_per_join": round(cpu.get("postgres_cpu_s", 0.0) / admitted, 3),
           "clients_cpu_s_per_join": round(cpu["clients_cpu_s"] / n, 3)}
    if full:
        out["room_full_s"] = summary([r["room_full_s"] for r in full])
    if errors:
        out["errors"] = errors[:5]
    stages = {stage: [r[stage] for r in results if r["ok"] and stage in r] for stage in ("page_s", "assets_s", "states_s")}
    if any(stages.values()):
        out["phone_stages_p95_s"] = {stage: summary(v)["p95"] for stage, v in stages.items()}
    return out


def run_storm(replicas: int, seats: str, n: int, assets: list[str], timeout_s: float) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"hs-online-{replicas}r-{n}-"))
    workshop = OnlineWorkshop(replicas, seats, tmp)
    row: dict = {"n": n}
    try:
        workshop.start()
        time.sleep(SETTLE_S)
        load = os.getloadavg()[0]
        results, cpu = asyncio.run(phone_storm(n, workshop, assets, timeout_s))
        row = figures(n, results, cpu, spread(results, workshop))
        row["load_1min_before"] = round(load, 2)
        row["ready_s"] = round(workshop.ready_s or 0, 1)
        rooms = [line.strip() for line in workshop.lines if "Warming up participant seats" in line]
        if rooms:
            row["warm_seats_line"] = rooms[-1]
    except Exception as error:
        row["error"] = f"{type(error).__name__}: {str(error)[:600]}"
    finally:
        workshop.stop()
    row["stopped_cleanly"] = workshop.stopped_cleanly
    row["strays_killed"] = workshop.strays
    row["logs"] = workshop.log_problems() if workshop.data.exists() else {}
    row["data"] = str(workshop.data)
    return row


def record(chromium: str) -> list[str]:
    """The static URLs one Chromium visit fetches through the proxy (a workshop of its own: 1 replica, 1 seat)."""
    workshop = OnlineWorkshop(1, "1", Path(tempfile.mkdtemp(prefix="hs-online-record-")))
    try:
        workshop.start()
        return asyncio.run(record_assets(chromium, workshop.join_url, ignore_https_errors=True))
    finally:
        workshop.stop()


# ---------------------------------------------------------------------------------------- running
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[30, 60, 120], help="participants per storm (N = 1 is always added)")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2], help="configurations: participant replicas")
    parser.add_argument("--seats", default="auto", help="--seats of holding-space online (default auto, as the README runs it)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds a phone waits before failing")
    parser.add_argument("--out", type=Path, default=KIT / "benchmarks" / "results" / "online_storm.json")
    args = parser.parse_args()
    if not shutil.which("caddy"):
        print("Caddy was not found: sudo apt-get install caddy", file=sys.stderr)
        return 2
    chromium = chromium_or_exit()
    ns = sorted(set([1, *args.n]))
    started = time.monotonic()
    caddy_version = subprocess.run(["caddy", "version"], capture_output=True, text=True).stdout.strip()
    result: dict = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "machine": {**machine(), "caddy": caddy_version},
        "started_with": "python -m workshop.cli online --domain localhost --https-port P --http-port Q --replicas R "
                        "--replica-port S" + ("" if args.seats == "auto" else f" --seats {args.seats}")
                        + "  (HOLDING_SPACE_DATA=<fresh per storm>, a facilitator added first)",
        "clients": "phones (benchmarks/phone.py) over HTTPS, certificate checked against Caddy's local root; "
                   "each its own connections and cookie jar; arriving within 2 s",
        "seats": args.seats,
        "configurations": {},
    }
    print("recording the static assets with one Chromium visit through the proxy…", flush=True)
    assets = record(chromium)
    result["assets_recorded"] = len(assets)
    print(f"  {len(assets)} static URLs", flush=True)
    for replicas in args.replicas:
        key = f"replicas_{replicas}"
        config = result["configurations"][key] = {"replicas": replicas, "runs": []}
        for n in ns:
            row = run_storm(replicas, args.seats, n, assets, args.timeout)
            config["runs"].append(row)
            base = next((r["tti_s"]["p95"] for r in config["runs"] if r["n"] == 1 and r.get("tti_s")), None)
            for r in config["runs"]:
                p95 = (r.get("tti_s") or {}).get("p95")
                r["p95_vs_n1"] = round(p95 / base, 2) if p95 and base else None
            config["n1_tti_s"] = base
            if "error" in row and "tti_s" not in row:
                print(f"replicas {replicas} N={n:>3}: {row['error']}", flush=True)
            else:
                print(f"replicas {replicas} N={n:>3}: p50 {row['tti_s']['p50']} s, p95 {row['tti_s']['p95']} s, "
                      f"max {row['tti_s']['max']} s, failures {row['failures']}, room full {row['room_full']}, "
                      f"spread {row['spread']['per_replica']} (cookie = kernel's replica {row['spread']['cookie_matches_kernel']}), "
                      f"replicas CPU {row['replicas_cpu_s_per_join']} s/join, Caddy {row['caddy_cpu_s_per_join']} s/join"
                      + (f"; errors {row['errors']}" if "errors" in row else ""), flush=True)
            result["duration_min"] = round((time.monotonic() - started) / 60, 1)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")  # after every storm
    print_table(result)
    print(f"wrote {args.out} ({result.get('duration_min', 0)} min)")
    return 0


def print_table(result: dict) -> None:
    head = (f"{'replicas':>8} {'N':>4} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'p95/N1':>6} {'fail':>4} {'full':>4} "
            f"{'spread':<14} {'match':>6} {'repl CPU/join':>13} {'Caddy CPU/join':>14}")
    print()
    print(head)
    print("-" * len(head))
    for config in result["configurations"].values():
        for row in config["runs"]:
            if "tti_s" not in row:
                print(f"{config['replicas']:>8} {row['n']:>4}  {row.get('error', '')[:80]}")
                continue
            t = row["tti_s"]
            per = "/".join(str(v) for v in row["spread"]["per_replica"].values())
            print(f"{config['replicas']:>8} {row['n']:>4} {t['p50'] or '-':>7} {t['p95'] or '-':>7} {t['max'] or '-':>7} "
                  f"{row.get('p95_vs_n1') or '-':>6} {row['failures']:>4} {row['room_full']:>4} {per:<14} "
                  f"{row['spread']['cookie_matches_kernel']:>6} {row['replicas_cpu_s_per_join']:>13} "
                  f"{row['caddy_cpu_s_per_join']:>14}")


if __name__ == "__main__":
    sys.exit(main())
