"""`layerloom train` on hostile data files: one sentence naming the file, exit code 2 (the data
cannot be used), no traceback, no run folder, the project file unchanged."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import app
from app.cli import main
from app.project.examples import example_path


def project_reading(tmp_path: Path, source: str, options: dict) -> Path:
    """The digits example saved in tmp_path, reading its data from `source`."""
    path = tmp_path / "digits.llproj"
    shutil.copy(example_path("digits_mlp"), path)
    doc = json.loads(path.read_text())
    doc["data"] = {**doc["data"], "source": source, "options": options}
    path.write_text(json.dumps(doc))
    return path


def object_array_npz(folder: Path) -> Path:
    payload = pickle.dumps(np.array([{"a": 1}] * 4, dtype=object))
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (4,), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + payload
    with zipfile.ZipFile(folder / "obj.npz", "w") as z:
        z.writestr("x.npy", npy)
    return folder / "obj.npz"


def crc_broken_npz(folder: Path) -> Path:
    path = folder / "crc.npz"
    x = np.arange(64 * 8, dtype="float32").reshape(8, 64)
    np.savez(path, x=x, y=np.arange(8) % 2)
    raw = bytearray(path.read_bytes())
    raw[raw.find(x.tobytes()) + 50] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


def array_npz(folder: Path, **arrays) -> Path:
    np.savez(folder / "d.npz", **arrays)
    return folder / "d.npz"


def one_class_folder(folder: Path) -> Path:
    import tensorflow as tf

    (folder / "imgs" / "cats").mkdir(parents=True)
    for i in range(3):
        image = tf.io.encode_png(np.full((8, 8, 1), i, "uint8")).numpy()
        (folder / "imgs" / "cats" / f"{i}.png").write_bytes(image)
    return folder / "imgs"


def csv_folder(folder: Path) -> Path:
    (folder / "table.csv").mkdir()
    return folder / "table.csv"


CASES = {
    "object array": ("numpy", object_array_npz, "In obj.npz, array 'x' holds Python objects"),
    "0-d array": (
        "numpy",
        lambda f: array_npz(f, x=np.array(3.0), y=np.array(1)),
        "In d.npz, array 'x' is a single value (a 0-d array)",
    ),
    "bad CRC": ("numpy", crc_broken_npz, "In crc.npz, array 'x' is damaged: Bad CRC-32"),
    "complex": (
        "numpy",
        lambda f: array_npz(f, x=np.ones((8, 64), "complex64"), y=np.arange(8) % 2),
        "In d.npz, array 'x' holds complex numbers",
    ),
    "one class": ("image_folder", one_class_folder, "has images of one class only ('cats')"),
    "CSV folder": ("csv", csv_folder, "table.csv is a folder, not a CSV file."),
}


@pytest.mark.parametrize("case", list(CASES))
def test_train_on_hostile_data_says_one_sentence(tmp_path, capsys, case):
    source, make, words = CASES[case]
    data = make(tmp_path)
    project = project_reading(tmp_path, source, {"path": str(data)})
    before = project.read_bytes()
    assert main(["train", str(project), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("error: ")] == [
        next(line for line in err.splitlines() if words in line)
    ], err
    assert err.count(words) == 1 and "Traceback" not in err, err
    assert not (tmp_path / "digits_runs").exists()
    assert project.read_bytes() == before


def test_a_corrupt_image_in_a_real_run_of_the_command(tmp_path):
    import tensorflow as tf

    for name, value in (("cats", 20), ("dogs", 200)):
        (tmp_path / "imgs" / name).mkdir(parents=True)
        for i in range(2):
            image = tf.io.encode_png(np.full((8, 8, 3), value, "uint8")).numpy()
            (tmp_path / "imgs" / name / f"{i}.png").write_bytes(image)
    (tmp_path / "imgs" / "dogs" / "2.png").write_bytes(image[:40])  # cut off after the header
    project = project_reading(tmp_path, "image_folder", {"path": str(tmp_path / "imgs")})
    env = {**os.environ, "PYTHONPATH": str(Path(app.__file__).parent.parent)}
    done = subprocess.run(
        [sys.executable, "-m", "app", "train", str(project), "--epochs", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: The image 'dogs/2.png' in '{tmp_path / 'imgs'}' cannot be read: "
        f"Invalid PNG. Failed to initialize decoder."
    ], done.stderr
    assert "Traceback" not in done.stderr and "[[{{node" not in done.stderr, done.stderr
    assert not (tmp_path / "digits_runs").exists()
