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

# The child runs the real code paths: the start-up import thread's body and a Data panel
# TaskThread running the data check, on two threads that a barrier releases together.
CHILD = r"""
import json, sys, threading

from PySide6.QtCore import Qt

from app.project.fileio import load_project
from app.ui.data.tasks import compat_task, load_task
from app.ui.data.worker import TaskThread
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

barrier = threading.Barrier(2)


def released(run):
    def body():
        barrier.wait()
        run()

    return body


threads = [threading.Thread(target=released(warm.run)), threading.Thread(target=released(check.run))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("RESULT " + json.dumps(out))
"""


def _round() -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "resources/examples/digits_mlp.llproj")],
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
def test_startup_import_and_data_check_at_once_both_succeed():
    for _ in range(ROUNDS):
        out = _round()
        assert len(out["warm_up"]) == 1 and out["warm_up"][0].startswith("ok "), out
        assert out["check"] == [["ok", []]], out
