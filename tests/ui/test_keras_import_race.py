"""TensorFlow/Keras imported from two threads at once: the start-up import and a user of Keras
(the Data panel's check, or what the GUI thread runs when File > Open gets a .keras file, File >
Export writes a .keras file or a script), released together in a fresh interpreter (so nothing
is imported yet).

Before app.keras_internals.import_keras owned the import, the two threads ran TensorFlow's
import side by side and one of them met half-initialised modules (a _DeadlockError from the
import system, "Registering two gradient with name ...", ImportError): the window said "Keras
unavailable" and "The data could not be checked".  A few rounds, each in a new process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3

# The child runs the real code paths: the start-up import thread's body and, on a second
# thread that a barrier releases with it, one case of CASES: a Data panel TaskThread running the
# data check, or what a menu entry runs on the GUI thread while Keras may still be loading.
CHILD = r"""
import json, sys, tempfile, threading

from PySide6.QtCore import Qt

from app.project.fileio import load_project
from app.ui.data.tasks import compat_task, load_task
from app.ui.data.worker import TaskThread
from app.ui.document import Document
from app.ui.file_ops import export_keras_model, export_project_script
from app.ui.keras_loader import _ImportThread

assert "tensorflow" not in sys.modules and "keras" not in sys.modules
project = load_project(sys.argv[1])
cfg, graph = project.data_config(), project.graph.copy()
dataset, _preview = load_task(cfg, None)  # the digits: NumPy and scikit-learn, no Keras yet
assert "tensorflow" not in sys.modules and "keras" not in sys.modules

out = {"warm_up": [], "check": []}
direct = Qt.ConnectionType.DirectConnection
warm = _ImportThread()
warm.imported.connect(lambda version, _s: out["warm_up"].append("ok " + version), direct)
warm.failed.connect(lambda message: out["warm_up"].append("failed " + message), direct)
check = TaskThread(lambda: compat_task(graph, dataset, cfg, {}))
check.done.connect(lambda problems: out["check"].append(["ok", problems]), direct)
check.failed.connect(lambda message: out["check"].append(["failed", message]), direct)


def reported(run):
    def body():
        try:
            problems = run()
        except Exception as exc:
            out["check"].append(["failed", f"{type(exc).__name__}: {exc}"])
        else:
            out["check"].append(["ok", problems])

    return body


def export():  # File > Export .keras
    written = export_keras_model(graph, tempfile.mkdtemp() + "/digits.keras")
    return [] if written.is_file() else ["no file"]


def export_script():  # File > Export > Python script
    written = export_project_script(graph, project, tempfile.mkdtemp() + "/digits.py")
    return [] if written and all(p.is_file() for p in written) else ["no file"]


def open_keras():  # File > Open, Open Recent, a dropped file, `layerloom model.keras`
    doc = Document.import_keras(sys.argv[3])
    return [] if len(doc.graph) == len(graph) else [f"{len(doc.graph)} nodes, not {len(graph)}"]


cases = {"export": export, "export_script": export_script, "open_keras": open_keras}
second = check.run if sys.argv[2] == "check" else reported(cases[sys.argv[2]])

barrier = threading.Barrier(2)


def released(run):
    def body():
        barrier.wait()
        run()

    return body


threads = [threading.Thread(target=released(warm.run)), threading.Thread(target=released(second))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("RESULT " + json.dumps(out))
"""


def _round(second: str, keras_file: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    project = ROOT / "resources/examples/digits_mlp.llproj"
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(project), second, str(keras_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stdout[-2000:] + run.stderr[-4000:]
    return json.loads(lines[-1].removeprefix("RESULT "))


@pytest.fixture(scope="module")
def keras_file(tmp_path_factory) -> Path:
    """The digits model as a .keras file (written in this process, before any child starts)."""
    from app.project.fileio import load_project
    from app.ui.file_ops import export_keras_model

    graph = load_project(ROOT / "resources/examples/digits_mlp.llproj").graph
    return export_keras_model(graph, tmp_path_factory.mktemp("race") / "digits.keras")


# case -> rounds (each in a new process); the GUI-thread paths are slow, one round each
CASES = {"check": ROUNDS, "export": 1, "export_script": 1, "open_keras": 1}


@pytest.mark.slow
@pytest.mark.parametrize("second", list(CASES))
def test_startup_import_and_a_keras_user_at_once_both_succeed(second, keras_file):
    for _ in range(CASES[second]):
        out = _round(second, keras_file)
        assert len(out["warm_up"]) == 1 and out["warm_up"][0].startswith("ok "), out
        assert out["check"] == [["ok", []]], out
