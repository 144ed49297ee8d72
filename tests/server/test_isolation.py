"""Isolation between participants whose kernels are forked from one seat template.

Forking shares the template's memory with every seat until a seat writes to a page; nothing of a
participant may ever be shared. A real participant server (the README's defaults: forked seats),
two participants joining the way a phone does (page, kernel websocket, the widget manager's
``request_states``, the bridge's first message). Participant A's browser hands their kernel a
private answer (a resumed answer, as after a reload), with a marker no other string contains. Then
every process's memory is read (``/proc/<pid>/mem``): the marker is in A's kernel (so the scan
works) and in no other kernel, warm seat or the template; B's widget state does not carry it.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
import time

import pytest
import websocket
from jupyter_client.session import Session

from tests.conftest import start_server
from tests.server.test_access import open_page
from tests.server.test_forking import kernel_of, wait_for

pytestmark = [pytest.mark.server,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/mem (Linux)")]

READABLE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) r")


def memory_holds(pid: int, needle: bytes) -> bool:
    """Does any readable mapping of process ``pid`` contain ``needle``? (Same user; reads /proc.)"""
    overlap = len(needle) - 1
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            match = READABLE.match(line)
            if not match or "[vvar" in line or "[vsyscall]" in line:
                continue
            start, end = int(match.group(1), 16), int(match.group(2), 16)
            tail = b""
            position = start
            while position < end:
                size = min(1 << 22, end - position)
                try:
                    mem.seek(position)
                    chunk = mem.read(size)
                except (OSError, ValueError, OverflowError):
                    break
                if needle in tail + chunk:
                    return True
                tail = chunk[-overlap:]
                position += size
    return False


class Participant:
    """A participant's browser reduced to what reaches their kernel: the page, the websocket, the bridge."""

    def __init__(self, server) -> None:
        self.server = server
        _page, self.kernel_id = open_page(server)
        url = (f"ws://127.0.0.1:{server.settings.port}/api/kernels/{self.kernel_id}/channels"
               f"?session_id={secrets.token_hex(8)}&token={server.settings.token}")
        self.ws = websocket.create_connection(url, timeout=60)
        self.session = Session(key=b"", username="participant")

    def send(self, msg_type: str, content: dict, metadata: dict | None = None) -> str:
        msg = self.session.msg(msg_type, content, metadata=metadata)
        self.ws.send(json.dumps({**msg, "channel": "shell"}, default=str))
        return msg["header"]["msg_id"]

    def reply(self, msg_id: str, wanted: str) -> dict:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") == msg_id and msg["header"]["msg_type"] == wanted:
                return msg
        raise AssertionError(f"no {wanted} from the kernel")

    def states(self) -> dict:
        self.reply(self.send("kernel_info_request", {}), "kernel_info_reply")
        control = secrets.token_hex(16)
        self.send("comm_open", {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}}, {"version": "1.0.0"})
        msg_id = self.send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
        return self.reply(msg_id, "comm_msg")["content"]["data"]["states"]

    def join(self, restored: dict | None = None) -> dict:
        """Receive the widget state and send the bridge's first message; wait until the kernel handled it."""
        states = self.states()
        bridge = next(k for k, v in states.items() if "participant_id" in v.get("state", {}) and "restored" in v["state"])
        msg_id = self.send("comm_msg", {"comm_id": bridge, "data": {"method": "update", "buffer_paths": [], "state": {
            "participant_id": secrets.token_hex(16), "restored": json.dumps(restored or {})}}})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if (msg.get("parent_header", {}).get("msg_id") == msg_id and msg["header"]["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"):
                return states
        raise AssertionError("the kernel never handled the bridge's message")

    def close(self) -> None:
        self.ws.close()


def test_a_private_answer_is_in_its_own_kernel_and_nowhere_else(tmp_path):
    marker = f"hs-private-{secrets.token_hex(12)}"
    with start_server(tmp_path, pool_size=3) as server:
        template = server.template_process()
        assert template is not None, "the README's defaults fork seats from a template: " + server.tail()
        a, b = Participant(server), Participant(server)
        try:
            assert a.kernel_id != b.kernel_id
            a.join({"answers": {"07_closing/private-note": {"text": marker}}, "page": 1})
            b_states = b.join()
            proc_a, proc_b = kernel_of(server, a.kernel_id), kernel_of(server, b.kernel_id)
            assert proc_a.pid != proc_b.pid
            # a seat forked after A's answer arrived (the pool refills as seats are taken)
            wait_for(lambda: len(server.kernel_processes()) >= 4, timeout=90, what="the pool's refill")
            needle = marker.encode()
            assert memory_holds(proc_a.pid, needle), "the scan did not find the marker where it was written"
            others = [p for p in server.kernel_processes() if p.pid != proc_a.pid]
            found = [p.pid for p in [*others, template] if memory_holds(p.pid, needle)]
            assert found == [], f"participant A's private answer is in the memory of processes {found}"
            assert marker not in json.dumps(b_states)
            assert marker not in json.dumps(b.states())
        finally:
            a.close()
            b.close()
