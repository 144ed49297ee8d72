"""A page carries few widget models: the kit's widgets share read-only Layout and Style models.

A browser receives every model alive in the kernel when a page loads (the widget manager's
``request_states``); 167 of the first page's 260 were Layouts and Styles left at their defaults.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ipywidgets
import pytest
from traitlets import TraitError

from widgets import CheckIn
from widgets.looks import HTML, Box, Button, VBox, is_shared, is_shown, shared_layout, shared_style, show
from widgets.pages import build_page, close_tree
from workshop import content

KIT = Path(__file__).resolve().parents[2]

#: the models alive after building the app, counted in a fresh process (no other test's widgets)
PROBE = """
import json, tempfile
from collections import Counter
from ipywidgets.widgets.widget import _instances

def count(before):
    return dict(Counter(w._model_name for key, w in _instances.items() if key not in before))

before = set(_instances)
from widgets.app import ParticipantApp
app = ParticipantApp.from_notebooks()
app_models = count(before)
unshared = sorted({type(w).__name__ for w in _instances.values() if isinstance(w, ipywidgets.DOMWidget)
                   and not (is_shared(w.layout) and is_shared(getattr(w, "style", w.layout)))})

before = set(_instances)
from workshop.store import Store
from widgets.console import FacilitatorConsole
console = FacilitatorConsole(store=Store(f"sqlite:///{tempfile.mkdtemp()}/c.sqlite"), join_base="http://192.0.2.1:8866/")
print(json.dumps({"app": app_models, "console": count(before), "unshared": unshared}))
"""


@pytest.fixture(scope="module")
def models() -> dict:
    probe = "import ipywidgets\nfrom widgets.looks import is_shared\n" + PROBE
    env = {**os.environ, "HOLDING_SPACE_STRICT": "1"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=180, cwd=KIT, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_participant_apps_first_page_carries_at_most_100_models(models: dict):
    """Does building the participant app (header, first theme, "I need a moment" page) leave at most
    100 widget models alive, with one Layout or Style of each kind rather than one per widget?"""
    app = models["app"]
    assert sum(app.values()) <= 100, app
    assert app["LayoutModel"] <= 3, app  # the default, the hidden one, chips that wrap
    assert all(n == 1 for name, n in app.items() if name.endswith("StyleModel")), app


def test_every_widget_of_the_app_takes_the_shared_layout_and_style(models: dict):
    """Does no kit widget in the app carry a Layout or Style of its own?"""
    assert models["unshared"] == []


def test_the_facilitator_console_shares_them_too(models: dict):
    """Does the console page carry well under half the 105 models it had with a Layout and Style per widget?"""
    assert sum(models["console"].values()) <= 50, models["console"]


def test_a_shared_layout_refuses_a_change():
    """Does writing to a shared Layout fail loudly, in the kernel or from a browser, and leave it as it was?"""
    button, text = Button(), HTML()
    assert button.layout is text.layout is shared_layout()
    with pytest.raises(TraitError, match="shared"):
        button.layout.display = "none"
    with pytest.raises(TraitError):
        button.layout.border = "1px solid red"
    with pytest.raises(TraitError):
        text.layout.set_state({"width": "10px"})
    assert text.layout.display is None and text.layout.width is None and text.layout.border_top is None


def test_a_shared_style_refuses_a_change():
    """Does writing to a shared Style fail loudly and leave it as it was?"""
    button = Button()
    assert button.style is Button().style is shared_style(ipywidgets.ButtonStyle)
    with pytest.raises(TraitError, match="shared"):
        button.style.button_color = "red"
    with pytest.raises(TraitError):
        HTML().style.font_size = "40px"
    assert button.style.button_color is None


def test_a_widget_given_its_own_layout_keeps_it():
    """Can a widget still be given a Layout of its own, and change it?"""
    own = ipywidgets.Layout(width="10rem")
    box = VBox(layout=own)
    box.layout.display = "none"
    assert box.layout is own and not is_shared(own)


def test_show_and_hide_swap_shared_layouts_and_keep_the_other_values():
    """Does hiding give the widget the shared hidden layout (the same inline display: none as before),
    keep its other layout values, and showing give back the one it had?"""
    box = Box(layout=shared_layout(flex_flow="row wrap"))
    wrapped = box.layout
    show(box, False)
    assert not is_shown(box) and box.layout.display == "none" and box.layout.flex_flow == "row wrap" and is_shared(box.layout)
    show(box, True)
    assert is_shown(box) and box.layout is wrapped
    other = VBox()
    show(other, False)
    assert other.layout is shared_layout(display="none") and box.layout is wrapped


def test_the_share_row_still_hides_and_shows():
    """Is an exercise's share row hidden until sharing is offered, through the shared layouts?"""
    checkin = CheckIn(prompt="How are you?")
    assert not is_shown(checkin._share_row)
    checkin.share_available = True
    assert is_shown(checkin._share_row) and checkin._share_row.layout is shared_layout()


def test_closing_a_page_leaves_the_shared_models_open_and_usable():
    """Does closing a page (or a shared model itself) leave the shared Layout and Styles open, and a
    widget made afterwards still sendable to a browser?"""
    page = build_page(content.load_themes()[0], 0)
    exercise = next(iter(page.exercises.values()))
    layout, style, hidden = shared_layout(), exercise._pass.style, shared_layout(display="none")
    assert page.view.layout is layout and is_shared(style)
    page.close()
    assert page.view.comm is None
    for model in (layout, style, hidden):
        assert model.comm is not None and model.model_id
    close_tree(VBox([HTML("x")]))
    layout.close()
    assert layout.comm is not None
    after = Button()
    assert after.layout is layout and after.get_state()["layout"] == f"IPY_MODEL_{layout.model_id}"
