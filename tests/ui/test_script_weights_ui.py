"""File > Export > Python script writes the weights file next to the script when the project
holds imported weights, as `layerloom codegen -o` does."""

from __future__ import annotations

import pytest

pytest.importorskip("keras")


def test_export_script_writes_the_weights_it_loads(window, tmp_path, errors) -> None:
    from tests.test_cli_script_weights import imported_project

    project = imported_project(tmp_path)
    assert window.open_path(project.path)
    out = tmp_path / "out"
    out.mkdir()
    assert window.export_script(out / "tune.py"), errors
    assert sorted(p.name for p in out.iterdir()) == ["tune.py", "tune.weights.h5"]
    assert '"tune.weights.h5"' in (out / "tune.py").read_text()
    assert "tune.weights.h5" in window.statusBar().currentMessage()
