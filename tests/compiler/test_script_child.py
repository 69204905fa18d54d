"""The child process of a script import starts through LayerLoom's own entry point
(`layerloom _run-script ...`), which is what the frozen bundle can start too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import app
from app.compiler.script_import.capture import run_script
from app.compiler.script_import.child import RUN_SCRIPT, child_command

TINY = """
import sys

import keras
import numpy as np

open({marker!r}, "w").write(sys.modules["app"].__file__)
x = np.zeros((8, 3), "float32")
y = np.zeros((8, 1), "float32")
model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1, name="out")])
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, epochs=2, batch_size=4)
raise SystemExit("fit() returned: the child did not stop the script there")
"""


def test_the_child_runs_this_layerloom_even_beside_a_module_called_app(tmp_path):
    """The child's working directory is the script's folder; an app.py there is the user's,
    not LayerLoom (a child started as `python -m app` would run it)."""
    folder = tmp_path / "project"
    folder.mkdir()
    shadow = tmp_path / "shadow_ran.txt"
    (folder / "app.py").write_text(f"open({str(shadow)!r}, 'w').write('ran')\n")
    marker = tmp_path / "app_file.txt"
    script = folder / "train.py"
    script.write_text(TINY.format(marker=str(marker)))
    capture = run_script(script, tmp_path / "out", timeout=300)
    assert capture.result["captured"], (capture.problems, capture.log)
    assert not shadow.exists()
    assert Path(marker.read_text()) == Path(app.__file__).resolve()
    assert capture.file("model_file") is not None and capture.file("data_file") is not None
    assert capture.result["fit"]["epochs"] == 2 and capture.result["fit"]["batch_size"] == 4


def test_the_hidden_subcommand_runs_the_runner(tmp_path):
    """`python -m app _run-script` (the frozen binary takes the same arguments): a script that
    never fits still gets its result written, with what went wrong."""
    script = tmp_path / "nofit.py"
    script.write_text("print('hello')\n")
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "app", RUN_SCRIPT, str(script), str(out), "1000000"],
        cwd=Path(app.__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((out / "result.json").read_text())
    assert result["captured"] is False
    assert any("without calling fit()" in p for p in result["problems"]), result


def test_frozen_the_binary_itself_takes_the_subcommand(monkeypatch):
    from app.__main__ import RUN_SCRIPT as dispatched

    assert dispatched == RUN_SCRIPT
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert child_command("s.py", "out", "9") == [sys.executable, RUN_SCRIPT, "s.py", "out", "9"]
    monkeypatch.delattr(sys, "frozen")
    argv = child_command("s.py", "out", "9")
    assert (
        argv[0] == sys.executable
        and argv[1] == "-c"
        and argv[3:] == [RUN_SCRIPT, "s.py", "out", "9"]
    )
