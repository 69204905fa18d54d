"""`python -m app` in a real subprocess: the window is shown first, then the example or file opens."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from app.project import load_project
from app.project.examples import DEFAULT_EXAMPLE, example_path

ROOT = Path(__file__).resolve().parents[2]


def _launch(tmp_path: Path, *args: str) -> list[str]:
    """Start the app until its window is shown and its document opened; its stdout lines."""
    env = dict(os.environ)
    env.update(
        LAYERLOOM_EXIT_AFTER_SHOWN="1",
        QT_QPA_PLATFORM="offscreen",
        # The user's settings, recent files and crash leftovers stay out of it.
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_without_arguments_the_window_shows_then_the_default_example_opens(tmp_path) -> None:
    lines = _launch(tmp_path)
    example = load_project(example_path(DEFAULT_EXAMPLE))
    assert lines[0].startswith("window_shown_s=")
    shown = dict(part.split("=") for part in lines[0].split())
    assert shown["exposed"] == "True"  # on screen, painted: not just show() called
    assert shown["keras_imported"] == "False"
    assert lines[1] == f"opened origin=example nodes={len(example.graph)} name={example.name}"


def test_a_project_named_on_the_command_line_opens_after_the_window(tmp_path) -> None:
    project = tmp_path / "mine.llproj"
    shutil.copy(example_path("digits_cnn"), project)
    expected = load_project(project)
    lines = _launch(tmp_path, str(project))
    assert lines[0].startswith("window_shown_s=")
    assert lines[1] == f"opened origin=file nodes={len(expected.graph)} name={expected.name}"
