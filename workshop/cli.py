"""``holding-space``: the facilitator's command line (``make workshop`` runs it).

    holding-space workshop [--seats auto|N] [--port P] [--console-port P] [--bind ADDRESS] [--keep-days D]
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


def run_workshop(args: argparse.Namespace) -> int:
    from .serving.server import ServerProcess, ServerSettings, console_settings, port_is_free
    from .store import Store

    problems = check_content()
    if problems:
        print("The content has a problem; nothing was started. Fix it and run again:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    for port, what in ((args.port, "PORT"), (args.console_port, "CONSOLE_PORT")):
        if not port_is_free(port):
            print(f"Port {port} is in use (is a workshop already running?). "
                  f"Stop it, or choose another: make workshop {what}={port + 10}", file=sys.stderr)
            return 2

    def stop_on_signal(signum, _frame):  # `kill`, a closed terminal: end as cleanly as Ctrl-C
        raise KeyboardInterrupt

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    before = {signum: signal.getsignal(signum) for signum in handled}
    # Ctrl-C must work even when this process was started with SIGINT ignored (a parent that
    # ignores it, `nohup`): Python then leaves Ctrl-C switched off
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)
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
        for signum in handled:
            signal.signal(signum, signal.SIG_IGN)
        for server in servers:
            server.stop()
        print("Stopped.", flush=True)
        for signum, handler in before.items():  # as they were: a caller in-process keeps its own
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


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
    check = commands.add_parser("check", help="check the content files and theme notebooks")
    check.set_defaults(run=run_check)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
