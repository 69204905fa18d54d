"""The bundle keeps every module the window loads: a window with every panel shown, in a fresh
process, imports nothing that packaging/bundle_rules.py leaves out (pyqtgraph's plot curves
import PySide6.QtOpenGL and QtOpenGLWidgets: the bundled Training panel failed on it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))

from bundle_rules import EXCLUDED_MODULES, excluded_by  # noqa: E402

# Imported when present, and fine without: pyqtgraph.Qt wraps `from PySide6 import QtTest` in
# try/except (a FailedImport stands in), so the bundle may leave it out.
OPTIONAL = {"PySide6.QtTest"}

SHOW_EVERY_PANEL = """
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.ui.main_window import MainWindow
win = MainWindow(recovery_dir={recovery!r})
win.show()
for title in win.panels.specs:
    win.panels.show(title)
app.processEvents()
print(json.dumps(sorted(sys.modules)))
win.shutdown()
"""


def test_no_module_the_window_loads_is_cut_from_the_bundle(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-c", SHOW_EVERY_PANEL.format(recovery=str(tmp_path / "recovery"))],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "pyqtgraph" in loaded and "app.ui.training.plots" in loaded
    cut = [
        name
        for name in loaded
        if name not in OPTIONAL
        and any(name == ex or name.startswith(ex + ".") for ex in EXCLUDED_MODULES)
    ]
    assert not cut, cut
    qt = [
        name.split(".")[1]
        for name in loaded
        if name.startswith("PySide6.Qt") and name not in OPTIONAL
    ]
    assert "QtOpenGL" in qt  # what pyqtgraph's curves load
    for module in qt:
        for dest in (
            f"PySide6/{module}.abi3.so",
            f"PySide6/Qt/lib/libQt6{module[2:]}.so.6",
            f"PySide6\\Qt6{module[2:]}.dll",
        ):
            assert excluded_by(dest) is None, dest
