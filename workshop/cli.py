"""``holding-space``: the facilitator's command line (``make workshop`` runs it).

    holding-space workshop [--seats auto|N] [--port P] [--console-port P] [--bind ADDRESS] [--keep-days D]
    holding-space online --domain DOMAIN [--replicas N] [--db URL] [--https-port P] [--http-port P]
    holding-space facilitator add|remove|list [NAME] [--db URL]
    holding-space serve participants|console [--port P] [--ip ADDRESS] [--behind-proxy] [--base-url /console/]
    holding-space check
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from . import content, paths


def check_content() -> list[str]:
    """Read every content file and theme notebook; return one message per problem."""
    problems = []
    loaders = (
        content.ui_text, content.feelings, content.intensity, content.resources, content.stirs_up,
        content.beliefs, content.reframes, content.scenarios, content.pauses, content.rituals, content.grounding,
        content.feedback,
    )
    for loader in loaders:
        try:
            loader()
        except content.ContentError as error:
            problems.append(str(error))
    folder = paths.notebooks_dir()
    notebooks = sorted(p for p in folder.glob("*.ipynb") if content.THEME_FILE.match(p.name))
    for path in notebooks:
        problems.extend(content.check_notebook(path))
    try:
        content.load_themes()
    except content.ContentError as error:
        if str(error) not in problems:
            problems.append(str(error))
    return problems


def qr_text(url: str) -> str:
    """The join address as a QR code drawn with text characters, for the terminal."""
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


#: a restart within this many hours keeps the join link and the participants' saved answers
SAME_WORKSHOP_HOURS = 12


def workshop_identity(data: Path, hours: float = SAME_WORKSHOP_HOURS) -> dict[str, str]:
    """The participant server's token and workshop id, kept in the data folder for ``hours``.

    A restart (a crash, a closed terminal, ``make workshop`` again) within a workshop day keeps
    the join link working, and keeps each phone's own answers: the browser forgets answers saved
    under another workshop id. The next day's workshop gets a new link and a clean slate.
    """
    from .serving.server import ServerSettings

    path = data / "workshop.json"
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if time.time() - path.stat().st_mtime < hours * 3600 and {"token", "workshop_id"} <= set(kept):
            return {"token": str(kept["token"]), "workshop_id": str(kept["workshop_id"])}
    except (OSError, ValueError, TypeError):
        pass
    fresh = ServerSettings(port=0)
    identity = {"token": fresh.token, "workshop_id": fresh.workshop_id}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the token opens the server
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(identity, out)
    return identity


#: warm seats Voila starts with; the launcher then waits for the room's (HoldingSpaceKernelManager.ramp
#: warms the rest two at a time) before it prints the join address
FIRST_SEATS = 4


def _seats(value: str) -> str:
    """``--seats``: "auto" or a whole number from 1."""
    if value == "auto" or (value.isdigit() and int(value) >= 1):
        return value
    raise argparse.ArgumentTypeError("--seats must be auto or a whole number of at least 1")


def _progress(ready: int, seats: int) -> None:
    bar = "#" * ready + "." * (seats - ready)
    end = "\n" if ready >= seats else ""
    if sys.stdout.isatty():
        print(f"\r  Warming up participant seats [{bar}] {ready}/{seats}", end=end, flush=True)
    else:
        print(f"  Warming up participant seats: {ready}/{seats}", flush=True)


def _content_refused() -> bool:
    """Say each content problem and return True (nothing is started), or return False."""
    problems = check_content()
    if problems:
        print("The content has a problem; nothing was started. Fix it and run again:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
    return bool(problems)


#: what ends a workshop as cleanly as Ctrl-C: `kill`, a closed terminal
ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _end_on_signals() -> dict:
    """SIGTERM and SIGHUP end the workshop as Ctrl-C does; returns the handlers there were before."""

    def stop_on_signal(signum, _frame):
        raise KeyboardInterrupt

    before = {signum: signal.getsignal(signum) for signum in ENDING_SIGNALS}
    # Ctrl-C must work even when this process was started with SIGINT ignored (a parent that
    # ignores it, `nohup`): Python then leaves Ctrl-C switched off
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)
    return before


def _ignore_ending_signals() -> None:
    for signum in ENDING_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _restore_signals(before: dict) -> None:
    """As they were: a caller in-process keeps its own."""
    for signum, handler in before.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def run_workshop(args: argparse.Namespace) -> int:
    from .serving.server import ServerProcess, ServerSettings, console_settings, port_is_free
    from .store import Store

    if _content_refused():
        return 2
    for port, what in ((args.port, "PORT"), (args.console_port, "CONSOLE_PORT")):
        if not port_is_free(port):
            print(f"Port {port} is in use (is a workshop already running?). "
                  f"Stop it, or choose another: make workshop {what}={port + 10}", file=sys.stderr)
            return 2

    before = _end_on_signals()
    data = paths.data_dir(create=True)
    purged = Store().purge_older_than(args.keep_days)
    if purged:
        print(f"Deleted {purged} session(s) older than {args.keep_days} days.", flush=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    room_seats = 0 if args.seats == "auto" else int(args.seats)
    participant = ServerSettings(
        port=args.port, bind=args.bind, pool_size=min(room_seats or FIRST_SEATS, FIRST_SEATS), room_seats=room_seats,
        public_host=args.host, max_participants=args.max_participants,
        **workshop_identity(data),
    )
    console = console_settings(args.console_port, extra_env={"HOLDING_SPACE_JOIN_BASE": participant.join_url})
    servers = [
        ServerProcess(participant, data / "logs" / f"participant-{stamp}.log"),
        ServerProcess(console, data / "logs" / f"console-{stamp}.log"),
    ]
    print("Holding Space: starting the participant server and the facilitator console…", flush=True)
    for server in servers:
        server.start()
    try:
        for server in servers:
            server.wait_until_listening()
        room = servers[0].wait_until_room_size()
        # the whole room's seats: a room arriving before they are warm would wait for them
        servers[0].wait_until_warm(seats=room, progress=_progress, timeout=60 + 5 * room)
        print()
        print("Facilitator console (this computer only; open it in your browser):")
        print(f"  {console.join_url}")
        print()
        print("Participants join with the QR code the console shows for your session.")
        print("Without a session they can still use the app on their own here:")
        print(qr_text(participant.join_url))
        print(f"  {participant.join_url}")
        print()
        print(f"Logs: {data / 'logs'}")
        print("Press Ctrl-C to end the workshop; every page closes, and private answers are never kept.")
        while all(s.process is not None and s.process.poll() is None for s in servers):
            time.sleep(0.5)
        print("A server stopped unexpectedly. Its last lines:", file=sys.stderr)
        for server in servers:
            if server.process is not None and server.process.poll() is not None:
                print(server.tail(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nEnding the workshop…", flush=True)
        return 0
    except (TimeoutError, RuntimeError) as error:
        print(f"The workshop could not start: {error}", file=sys.stderr)
        return 1
    finally:
        # a second Ctrl-C (or a second SIGTERM) must not cut the clean stop short and leave
        # servers and kernels running behind
        _ignore_ending_signals()
        for server in servers:
            server.stop()
        print("Stopped.", flush=True)
        _restore_signals(before)


#: replicas' ports start here, the console's just below (all on loopback, behind the proxy)
REPLICA_PORTS = 9101


def _online_store_url(args: argparse.Namespace, data: Path, start: bool = True):
    """(database URL, the kit's own PostgreSQL if it was started here or None)."""
    url = getattr(args, "db", None) or os.environ.get("HOLDING_SPACE_DB")
    if url:
        return url, None
    from .serving.postgres import LocalPostgres, default_folder

    local = LocalPostgres(default_folder(data))
    if local.running() or not start:
        return local.url, None
    return local.start(), local


def _read_secret(prompt_twice: bool) -> str:
    """A secret from the terminal (asked twice, not shown) or the first line of standard input."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Secret (at least 12 characters; not shown): ")
    if prompt_twice and getpass.getpass("The same secret again: ") != first:
        raise ValueError("The two secrets differ; nothing was changed.")
    return first


def _add_facilitator(store, name: str) -> str:
    from . import facilitators

    who = facilitators.check_name(name)
    store.set_facilitator(who, facilitators.hash_secret(_read_secret(prompt_twice=True)))
    return who


def run_facilitator(args: argparse.Namespace) -> int:
    from . import facilitators
    from .store import Store

    data = paths.data_dir(create=True)
    local = None
    try:
        url, local = _online_store_url(args, data)
        store = Store(url)
        if args.action == "list":
            names = store.facilitator_names()
            print("\n".join(names) if names else "No facilitator can sign in yet: holding-space facilitator add NAME")
            return 0
        if not args.name:
            print(f"Give a name: holding-space facilitator {args.action} NAME", file=sys.stderr)
            return 2
        if args.action == "remove":
            who = facilitators.check_name(args.name)
            print(f"{who} can no longer sign in." if store.remove_facilitator(who) else f"There is no facilitator {who}.")
            return 0
        who = _add_facilitator(store, args.name)
        print(f"{who} can sign in to the console with that secret.")
        return 0
    except (facilitators.FacilitatorError, ValueError, RuntimeError) as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        if local is not None:
            local.stop()


def run_online(args: argparse.Namespace) -> int:
    """Caddy (HTTPS) in front of participant replicas and the signed-in console, one PostgreSQL."""
    from .serving.online import CADDY_FIX, CaddyProcess, ProxyPlan, check_domain, free_ports, is_local_name, online_secrets
    from .serving.server import ServerProcess, ServerSettings, console_settings
    from .store import Store

    try:
        domain = check_domain(args.domain)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if _content_refused():
        return 2
    import shutil

    if not shutil.which("caddy"):
        print(CADDY_FIX, file=sys.stderr)
        return 2
    data = paths.data_dir(create=True)
    replicas = max(1, args.replicas or (os.cpu_count() or 1))
    before = _end_on_signals()
    local = proxy = None
    servers: list = []
    try:
        url, local = _online_store_url(args, data)
        store = Store(url)
        if not store.facilitator_names():
            if not sys.stdin.isatty():
                print("No facilitator can sign in yet. Add one first: make facilitator NAME=yourname "
                      "(or holding-space facilitator add yourname)", file=sys.stderr)
                return 2
            name = input("No facilitator can sign in yet. Your name for signing in (e.g. sam): ")
            print(f"{_add_facilitator(store, name)} can sign in to the console.")
        purged = store.purge_older_than(args.keep_days)
        if purged:
            print(f"Deleted {purged} session(s) older than {args.keep_days} days.", flush=True)
        store.engine.dispose()
        kept = online_secrets(data)
        ports = free_ports(replicas + 1, args.replica_port - 1)
        console_port, replica_ports = ports[0], ports[1:]
        plan = ProxyPlan(domain=domain, replicas=replica_ports, console_port=console_port,
                         storage=data / "caddy", https_port=args.https_port, http_port=args.http_port,
                         local_ca=args.local_ca or is_local_name(domain), cookie_secret=kept["proxy_secret"])
        env = {"HOLDING_SPACE_DB": url, "HOLDING_SPACE_COOKIE_SECRET": kept["cookie_secret"]}
        identity = workshop_identity(data)
        room_seats = 0 if args.seats == "auto" else int(args.seats)
        stamp = time.strftime("%Y%m%d-%H%M%S")

        def replica(port: int) -> ServerProcess:
            settings = ServerSettings(
                port=port, bind="127.0.0.1", public_url=plan.public_url, behind_proxy=True,
                pool_size=min(room_seats or FIRST_SEATS, FIRST_SEATS), room_seats=room_seats,
                memory_share=round(0.5 / replicas, 4), max_participants=args.max_participants,
                extra_env=env, **identity)
            return ServerProcess(settings, data / "logs" / f"replica-{port}-{stamp}.log")

        participant_servers = [replica(port) for port in replica_ports]
        join = participant_servers[0].settings.join_url
        console = ServerProcess(
            console_settings(console_port, identity="facilitators", url_prefix="/console/",
                             public_url=plan.public_url + "console/", behind_proxy=True,
                             extra_env={**env, "HOLDING_SPACE_JOIN_BASE": join}),
            data / "logs" / f"console-{stamp}.log")
        servers = [*participant_servers, console]
        print(f"Holding Space online: {replicas} participant server(s), the console and the proxy…", flush=True)
        for server in servers:
            server.start()
        proxy = CaddyProcess(plan, data / "proxy", data / "logs" / f"proxy-{stamp}.log").start()
        for server in servers:
            server.wait_until_listening()
        for server in participant_servers:
            room = server.wait_until_room_size()
            server.wait_until_warm(seats=room, progress=_progress, timeout=60 + 5 * room)
        proxy.wait_until_listening()
        print()
        print("Facilitators sign in to the console here:")
        print(f"  {plan.public_url}console/")
        print()
        print("Participants join with the QR code the console shows for a session, or without one here:")
        print(qr_text(join))
        print(f"  {join}")
        if plan.local_ca:
            print(f"\nThe certificate comes from this machine's own authority: {proxy.root_certificate()}")
        print(f"\nLogs: {data / 'logs'}")
        print("Press Ctrl-C to end; every page closes, and private answers are never kept.", flush=True)
        while proxy.alive() and console.process is not None and console.process.poll() is None:
            for index, server in enumerate(participant_servers):
                if server.process is not None and server.process.poll() is not None:
                    print(f"A participant server stopped (port {server.settings.port}); its participants move "
                          "to another and resume. Starting it again…", file=sys.stderr, flush=True)
                    server.stop()
                    participant_servers[index] = fresh = replica(server.settings.port)
                    servers[index] = fresh
                    fresh.start()
            time.sleep(0.5)
        print("The proxy or the console stopped unexpectedly.", file=sys.stderr)
        if proxy is not None and not proxy.alive():
            print(proxy.tail(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nEnding the online workshop…", flush=True)
        return 0
    except (TimeoutError, RuntimeError) as error:
        print(f"The online workshop could not start: {error}", file=sys.stderr)
        return 1
    finally:
        _ignore_ending_signals()
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()
        if local is not None:
            local.stop()
        print("Stopped.", flush=True)
        _restore_signals(before)


def run_serve(args: argparse.Namespace) -> int:
    """One server in the foreground, configured from the environment (a container's command)."""
    from .serving.server import ServerSettings, console_settings, server_environment, voila_command

    env = os.environ
    db = env.get("HOLDING_SPACE_DB")
    if not db:
        print("Set HOLDING_SPACE_DB to the shared database's URL (e.g. postgresql+psycopg://…)", file=sys.stderr)
        return 2
    shared = {"HOLDING_SPACE_DB": db, "HOLDING_SPACE_COOKIE_SECRET": env.get("HOLDING_SPACE_COOKIE_SECRET", "")}
    public = env.get("HOLDING_SPACE_PUBLIC_URL") or None
    if args.which == "console":
        settings = console_settings(args.port, identity="facilitators", url_prefix=args.base_url or "/console/",
                                    public_url=public and public.rstrip("/") + "/console/", behind_proxy=args.behind_proxy,
                                    bind=args.ip, extra_env=shared)
    else:
        token = env.get("HOLDING_SPACE_TOKEN")
        if not token:
            print("Set HOLDING_SPACE_TOKEN to the participants' join token", file=sys.stderr)
            return 2
        room_seats = 0 if args.seats == "auto" else int(args.seats)
        settings = ServerSettings(
            port=args.port, bind=args.ip, public_url=public, behind_proxy=args.behind_proxy, token=token,
            workshop_id=env.get("HOLDING_SPACE_WORKSHOP_ID") or "holding-space",
            pool_size=min(room_seats or FIRST_SEATS, FIRST_SEATS), room_seats=room_seats,
            url_prefix=args.base_url or "/", max_participants=args.max_participants, extra_env=shared)
    command = voila_command(settings)
    os.chdir(settings.notebooks)
    os.execvpe(command[0], command, server_environment(settings))
    return 0  # pragma: no cover - exec does not return


def run_check(_args: argparse.Namespace) -> int:
    problems = check_content()
    for problem in problems:
        for line in problem.splitlines():  # a file with several problems names each on its line
            print(f"- {line}")
    if not problems:
        themes = content.load_themes()
        print(f"Content is fine: {len(themes)} themes in {paths.notebooks_dir()}.")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="holding-space", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    workshop = commands.add_parser("workshop", help="start the participant server and show the join address")
    workshop.add_argument("--seats", type=_seats, default="auto",
                          help="kernels kept warm for arriving participants (default auto: as many as the room's cap "
                               "and half the free memory allow, warmed two at a time before the address is printed)")
    workshop.add_argument("--port", type=int, default=8866, help="participant server port (default 8866)")
    workshop.add_argument("--bind", default="0.0.0.0", help="address to listen on (default: every network)")
    workshop.add_argument("--host", default=None, help="address to print in the join link (default: this machine's)")
    workshop.add_argument("--console-port", type=int, default=8867, help="facilitator console port, localhost only (default 8867)")
    workshop.add_argument("--max-participants", type=int, default=60, help="participants at once, at most (default 60)")
    workshop.add_argument("--keep-days", type=float, default=7, help="delete sessions older than this at start-up (default 7)")
    workshop.set_defaults(run=run_workshop)
    online = commands.add_parser("online", help="an online workshop: HTTPS proxy, participant replicas, PostgreSQL")
    online.add_argument("--domain", required=True, help="the site's name, e.g. workshop.example.org (localhost to try it)")
    online.add_argument("--replicas", type=int, default=0, help="participant servers (default: one per processor)")
    online.add_argument("--db", default=None, help="the shared database's URL (default: the kit's own PostgreSQL in the data folder)")
    online.add_argument("--https-port", type=int, default=443, help="HTTPS port (default 443)")
    online.add_argument("--http-port", type=int, default=80, help="HTTP port, which only redirects to HTTPS (default 80)")
    online.add_argument("--local-ca", action="store_true", help="a certificate from this machine's own authority, not Let's Encrypt")
    online.add_argument("--seats", type=_seats, default="auto", help="warm seats per participant server (default auto)")
    online.add_argument("--max-participants", type=int, default=60, help="participants per participant server, at most (default 60)")
    online.add_argument("--replica-port", type=int, default=REPLICA_PORTS, help="first loopback port for the servers behind the proxy")
    online.add_argument("--keep-days", type=float, default=7, help="delete sessions older than this at start-up (default 7)")
    online.set_defaults(run=run_online)
    facilitator = commands.add_parser("facilitator", help="who may sign in to the console online")
    facilitator.add_argument("action", choices=("add", "remove", "list"))
    facilitator.add_argument("name", nargs="?", default="")
    facilitator.add_argument("--db", default=None, help="the shared database's URL (default: the kit's own PostgreSQL)")
    facilitator.set_defaults(run=run_facilitator)
    serve = commands.add_parser("serve", help="one server in the foreground, configured by environment (containers)")
    serve.add_argument("which", choices=("participants", "console"))
    serve.add_argument("--port", type=int, default=8866)
    serve.add_argument("--ip", default="0.0.0.0")
    serve.add_argument("--behind-proxy", action="store_true", help="trust the proxy's X-Forwarded headers; Secure cookies")
    serve.add_argument("--base-url", default=None, help="the path it answers under (console default /console/)")
    serve.add_argument("--seats", type=_seats, default="auto")
    serve.add_argument("--max-participants", type=int, default=60)
    serve.set_defaults(run=run_serve)
    check = commands.add_parser("check", help="check the content files and theme notebooks")
    check.set_defaults(run=run_check)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
