"""The menu entries that need Keras on the GUI thread, when Keras cannot be imported at all.

They wait for the start-up import through app.ui.keras_loader.keras_for_gui; when that import
failed (here: a Keras backend that does not exist), each says so in its error box and the window
keeps working.  Before, the import's own exception (a ValueError from Keras) escaped the action.
A new interpreter, since a failed import of Keras stays failed for the process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys, tempfile

from PySide6.QtWidgets import QApplication

app = QApplication([])
from app.ui.main_window import MainWindow

window = MainWindow()
shown = []
window.show_error = lambda title, text: shown.append([title, text])
window.training_panel.show_error = lambda title, text: shown.append([title, text])
window.open_path(sys.argv[1])
window.start_background_work()
window.keras.wait()
app.processEvents()
out = {"start_up": window.keras.error}
folder = tempfile.mkdtemp()
cases = {  # what each entry runs; False or None when it did nothing
    "File > Open .keras": lambda: window.open_path(sys.argv[2]),
    "File > Export .keras": lambda: window.export_keras(folder + "/m.keras"),
    "File > Export > Python script": lambda: window.export_script(folder + "/m.py"),
    "Runs > Re-run": lambda: window.training_panel.run_list.rerun(folder),
}
for name, run in cases.items():
    shown.clear()
    try:
        result = run()
    except BaseException as exc:
        result = f"raised {type(exc).__name__}: {exc}"
    out[name] = {"result": result, "shown": list(shown)}
window.shutdown()
print("RESULT " + json.dumps(out))
"""


@pytest.mark.slow
def test_keras_entries_say_keras_could_not_be_loaded(tmp_path):
    from app.project.fileio import load_project
    from app.ui.file_ops import export_keras_model

    project = ROOT / "resources/examples/digits_mlp.llproj"
    keras_file = export_keras_model(load_project(project).graph, tmp_path / "digits.keras")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "KERAS_BACKEND": "no_such_backend",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(project), str(keras_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stdout[-2000:] + run.stderr[-4000:]
    out = json.loads(lines[-1].removeprefix("RESULT "))
    assert "no_such_backend" in (out.pop("start_up") or ""), out
    assert len(out) == 4
    for name, got in out.items():
        assert got["result"] in (False, None), (name, got)
        assert len(got["shown"]) == 1, (name, got)
        assert got["shown"][0][1].startswith("Keras could not be loaded ("), (name, got)
        assert "no_such_backend" in got["shown"][0][1], (name, got)
