"""Opening a project in the real window runs none of its code until the user trusts it: for
every kind of code (each CODE_KINDS entry and custom layers), code that writes a marker file at
import and in every function; every bottom panel is shown and the shape check has run."""

from __future__ import annotations

import pytest
from code_projects import LAYER, marked_project

from app.compiler import custom_code as cc
from app.project import save_project
from app.project.project_code import CODE_KINDS

pytest.importorskip("keras")


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


@pytest.mark.parametrize("kind", [*CODE_KINDS, LAYER])
def test_opening_runs_no_code_until_trusted(kind, window, qtbot, tmp_path) -> None:
    marker = tmp_path / "ran.txt"
    path = tmp_path / f"{kind}.llproj"
    save_project(marked_project(kind, marker), path)
    assert window.open_path(path)
    banner = window.trust_banner
    assert banner.isVisible()
    for title in window.panels.specs:  # every panel reads the project as it is built
        window.panels.show(title)
    shapes = window.validation
    qtbot.waitUntil(lambda: shapes is not None and not shapes.pending, timeout=60_000)
    qtbot.wait(300)
    assert not marker.exists(), f"opening ran untrusted {kind} code"
    banner.review()  # the code is shown, not run
    banner.dialog.close()
    assert not marker.exists()
    banner.trust_all()
    if kind == LAYER:  # trusted, the shape check builds the layer
        qtbot.waitUntil(marker.exists, timeout=60_000)
    assert not banner.isVisible()
