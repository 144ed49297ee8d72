"""Widgets built before anyone is connected open quietly, in a kernel Voila started (widgets/quiet_comms.py).

A real kernel (jupyter_client), started once with Voila's ``VOILA_PREHEAT`` in its environment (as
Voila starts every kernel) and once without (as JupyterLab and nbval do). What its iopub channel
publishes is counted; the page's widget manager is played as ipywidgets 8's is: it opens the
``jupyter.widget.control`` comm and sends ``request_states``.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import time
import uuid

import pytest
from jupyter_client.manager import start_new_kernel

from workshop.paths import KIT_ROOT as KIT

pytestmark = pytest.mark.server

TIMEOUT = 60


@pytest.fixture
def kernel_with(request):
    started = []

    def start(voila: bool):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(KIT), os.environ.get("PYTHONPATH")]))}
        env.pop("VOILA_PREHEAT", None)
        if voila:
            env["VOILA_PREHEAT"] = "True"
        manager, client = start_new_kernel(kernel_name="python3", cwd=str(KIT), env=env, startup_timeout=TIMEOUT)
        started.append((manager, client))
        return client

    yield start
    for manager, client in started:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code: str) -> list[dict]:
    """Execute ``code``; return every iopub message it caused, up to its idle status."""
    msg_id = client.execute(code)
    reply = client.get_shell_msg(timeout=TIMEOUT)
    assert reply["content"]["status"] == "ok", reply["content"]
    return until_idle(client, msg_id)


def iopub(client):
    """The kernel's iopub messages as they come, for at most TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            yield client.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue


def until_idle(client, msg_id: str) -> list[dict]:
    seen = []
    for msg in iopub(client):
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return seen
    raise AssertionError(f"the kernel did not finish {msg_id} in {TIMEOUT} s")


def widget_messages(messages: list[dict]) -> list[str]:
    return [m["msg_type"] for m in messages if m["msg_type"].startswith("comm_")
            and m["content"].get("target_name", "jupyter.widget") == "jupyter.widget"]


def request_states(client) -> dict:
    """What the page's widget manager does when it loads: the control comm, then request_states."""
    comm_id = uuid.uuid4().hex
    opened = client.session.msg("comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}},
                                metadata={"version": "1.0.0"})
    client.shell_channel.send(opened)
    ask = client.session.msg("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
    client.shell_channel.send(ask)
    for msg in iopub(client):
        if msg["msg_type"] == "comm_msg" and msg["parent_header"].get("msg_id") == ask["header"]["msg_id"]:
            return msg["content"]["data"]["states"]
    raise AssertionError("no answer to request_states")


BUILD = ("from widgets import quiet_comms; quiet_comms.install()\n"
         "import ipywidgets as w\n"
         "b = w.Button(description='first'); b.description = 'changed before anyone came'\n"
         "box = w.VBox([b]); box")


def test_in_a_voila_kernel_a_build_sends_nothing_and_the_page_still_gets_every_state(kernel_with):
    client = kernel_with(voila=True)
    messages = run(client, BUILD)
    assert widget_messages(messages) == [], "a widget built before the page connected announced itself"
    shown = [m for m in messages if m["msg_type"] == "execute_result"]
    assert shown and "application/vnd.jupyter.widget-view+json" in shown[0]["content"]["data"], "the app is still displayed"
    box_id = shown[0]["content"]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]

    states = request_states(client)
    assert box_id in states
    buttons = [s for s in states.values() if s["model_name"] == "ButtonModel"]
    assert [s["state"]["description"] for s in buttons] == ["changed before anyone came"], "the latest state, not the first"

    # from now on the page listens: a change and a widget built later reach it
    later = run(client, "b.description = 'after'; extra = w.Label('built after the page loaded'); box.children = (b, extra)")
    kinds = widget_messages(later)
    assert "comm_open" in kinds and kinds.count("comm_msg") >= 2, kinds
    held = run(client, "quiet_comms.is_quiet(), quiet_comms.held()")
    answer = next(m for m in held if m["msg_type"] == "execute_result")["content"]["data"]["text/plain"]
    quiet, count = ast.literal_eval(answer)  # the tuple the kernel printed
    assert quiet is False and count >= 1, answer


def test_outside_voila_every_widget_opens_as_before(kernel_with):
    """JupyterLab's widget manager builds its models from comm_open: there, nothing changes."""
    client = kernel_with(voila=False)
    kinds = widget_messages(run(client, BUILD))
    assert kinds.count("comm_open") >= 3, kinds  # the button, its style and layout, the box...
    assert "comm_msg" in kinds


def test_the_participant_app_builds_quietly_in_a_voila_kernel(kernel_with):
    """The app notebook's own cells, as a warm seat runs them: no widget message on iopub."""
    client = kernel_with(voila=True)
    messages = run(client, "import os; os.environ['HOLDING_SPACE_STRICT'] = '1'\n"
                           "from widgets.app import ParticipantApp\napp = ParticipantApp.from_notebooks(); app")
    assert widget_messages(messages) == []
    states = request_states(client)
    assert len(states) >= 50, len(states)  # the first page's models, every one handed to the page


def result_of(client, code: str):
    """The value of ``code``'s last expression, as the kernel printed it (a Python literal)."""
    shown = [m for m in run(client, code) if m["msg_type"] == "execute_result"]
    assert shown, f"{code!r} showed no result"
    return ast.literal_eval(shown[0]["content"]["data"]["text/plain"])


# every live widget's state as ipywidgets' own get_state gives it now (what upstream's handler answers)
CURRENT = ("import json\nfrom ipywidgets.widgets.widget import _instances\n"
           "json.dumps({k: {'model_name': v._model_name, 'state': v.get_state()} for k, v in _instances.items()})")


def test_the_first_answer_is_prepared_while_the_seat_waits_and_is_never_stale(kernel_with):
    """prepare_states works the states out before the visitor comes; what changed after, or was built after,
    is answered as it is now, and every model is answered exactly as ipywidgets' get_state has it."""
    client = kernel_with(voila=True)
    run(client, BUILD)
    prepared, left = result_of(client, "n = quiet_comms.prepare_states()\n"
                                       "b.description = 'changed after preparing'\n"
                                       "extra = w.Label('built after preparing'); box.children = (b, extra)\n"
                                       "n, quiet_comms.prepared()")
    assert prepared >= 4, prepared  # the button, its style and layout, the box, its layout
    assert left < prepared, "a change after preparing must drop the changed widgets' prepared states"

    current = json.loads(result_of(client, CURRENT))
    states = request_states(client)
    assert list(states) == list(current), "every live model, in ipywidgets' order"
    for model_id, model in current.items():
        assert states[model_id]["model_name"] == model["model_name"]
        assert states[model_id]["state"] == model["state"], model["model_name"]
    described = [s["state"]["description"] for s in states.values() if s["model_name"] == "ButtonModel"]
    assert described == ["changed after preparing"]
    assert result_of(client, "quiet_comms.prepared()") == 0, "what was prepared is for the first answer only"


def test_outside_voila_nothing_is_prepared(kernel_with):
    client = kernel_with(voila=False)
    run(client, BUILD)
    assert result_of(client, "quiet_comms.prepare_states()") == 0
