"""Paths, the content check and the join QR code."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop import cli, paths
from workshop.serving.server import ServerSettings, voila_command


def test_data_folder_lies_outside_the_served_notebooks():
    """Is the default data folder outside notebooks/ (Voila's root)?"""
    data, served = paths.data_dir(), paths.notebooks_dir()
    assert served not in data.parents and data != served


def test_data_folder_inside_notebooks_is_refused(monkeypatch):
    """Is a data folder inside the served folder refused with a clear message?"""
    monkeypatch.setenv("HOLDING_SPACE_DATA", str(paths.notebooks_dir() / "data"))
    with pytest.raises(ValueError, match="must not lie inside"):
        paths.data_dir()


def test_content_check_passes_on_the_shipped_content():
    """Does the shipped content pass the start-up check?"""
    assert cli.check_content() == []


def test_content_check_reports_a_broken_file(tmp_path: Path, monkeypatch):
    """Does the start-up check report a theme folder with no notebooks?"""
    monkeypatch.setenv("HOLDING_SPACE_NOTEBOOKS", str(tmp_path))
    problems = cli.check_content()
    assert any("no theme notebooks" in p for p in problems)


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("resources.yaml", None, "not one of"),
        ("scenarios.yaml", "kinds: {}\nscenarios: []\n", "kinds"),
        ("pauses.yaml", "breathing: {}\n", "self-compassion"),
        ("grounding.md", "", "empty"),
    ],
)
def test_content_check_reads_every_content_file(tmp_path: Path, monkeypatch, name, text, expected):
    """Does the start-up check catch a mistake in any content file, including the crisis resources?"""
    import shutil

    shutil.copytree(paths.CONTENT_DIR, tmp_path / "content")
    target = tmp_path / "content" / name
    if text is None:  # a country with no entry: Help now would show no services
        text = target.read_text(encoding="utf-8").replace("country: GB", "country: NZ", 1)
    target.write_text(text, encoding="utf-8")
    monkeypatch.setenv("HOLDING_SPACE_CONTENT", str(tmp_path / "content"))
    problems = cli.check_content()
    assert any(expected in p and name in p for p in problems), problems


def test_qr_code_is_drawn_for_the_join_url():
    """Is a QR code drawn (block characters, several rows) for a join URL?"""
    text = cli.qr_text("http://192.0.2.1:8866/?token=abc")
    rows = text.strip("\n").splitlines()
    assert len(rows) > 10 and any("█" in r or "▀" in r for r in rows)


def test_participant_server_command_hardens_voila():
    """Does the launcher start Voila with the hardening docs/architecture.md lists (section 3, the launcher)?"""
    settings = ServerSettings(port=9999, token="t0k")
    argv = " ".join(voila_command(settings))
    for flag in (
        "--Voila.token=t0k",
        "--VoilaConfiguration.template=holdingspace",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.preheat_kernel=True",
        "--MappingKernelManager.cull_idle_timeout=",
        f"--Voila.root_dir={paths.notebooks_dir()}",
        "--VoilaExecutor.iopub_timeout=60",
    ):
        assert flag in argv, flag
    assert "file_allowlist" not in argv  # the default allowlist stays


def test_join_url_carries_the_token():
    """Does the join address carry the token?"""
    settings = ServerSettings(port=8866, bind="127.0.0.1", token="abc123")
    assert settings.join_url == "http://127.0.0.1:8866/?token=abc123"


def test_cli_refuses_zero_seats():
    """Does the command line refuse --seats 0 with a usage message?"""
    with pytest.raises(SystemExit):
        cli.main(["workshop", "--seats", "0"])


@pytest.mark.parametrize(
    "line",
    [
        "[Voila] WARNING | 403 GET /login?next=%2F (192.168.1.23) 1.20ms",
        "[Voila] WARNING | 404 GET /x (::1) 0.5ms",
        "[Voila] WARNING | 403 GET / (fe80::1c2b:3ff:fe4d:5e6f) 2ms",
    ],
)
def test_client_addresses_are_removed_from_log_lines(line):
    """Is a phone's or laptop's address taken out of a request log line?"""
    from workshop.serving.server import redact

    cleaned = redact(line)
    assert "(address hidden)" in cleaned and "192.168" not in cleaned and "fe80" not in cleaned and "(::1)" not in cleaned
    assert redact("the server stopped (exit code 1)") == "the server stopped (exit code 1)"
