"""TensorFlow/Keras imported from two threads at once: the start-up import and the Data panel's
check, released together in a fresh interpreter (so nothing is imported yet).

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
# thread that a barrier releases with it, a Data panel TaskThread running the data check
# ("check") or File > Export .keras's export_keras_model, which runs on the GUI thread ("export").
CHILD = r"""
import json, sys, tempfile, threading

from PySide6.QtCore import Qt

from app.project.fileio import load_project
from app.ui.data.tasks import compat_task, load_task
from app.ui.data.worker import TaskThread
from app.ui.file_ops import export_keras_model
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


def export():
    try:
        written = export_keras_model(graph, tempfile.mkdtemp() + "/digits.keras")
        out["check"].append(["ok", [] if written.is_file() else ["no file"]])
    except Exception as exc:
        out["check"].append(["failed", f"{type(exc).__name__}: {exc}"])


second = check.run if sys.argv[2] == "check" else export

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


def _round(second: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "resources/examples/digits_mlp.llproj"), second],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stdout[-2000:] + run.stderr[-4000:]
    return json.loads(lines[-1].removeprefix("RESULT "))


@pytest.mark.slow
@pytest.mark.parametrize("second", ["check", "export"])
def test_startup_import_and_a_keras_user_at_once_both_succeed(second):
    for _ in range(ROUNDS if second == "check" else 1):
        out = _round(second)
        assert len(out["warm_up"]) == 1 and out["warm_up"][0].startswith("ok "), out
        assert out["check"] == [["ok", []]], out
