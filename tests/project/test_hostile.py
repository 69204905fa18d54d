"""Bad project files give ProjectFileError with a plain message, never a traceback.

Damage inside one node or connection opens the rest of the project: see test_damage.py.
"""

from __future__ import annotations

import json

import pytest

from app.errors import ProjectFileError
from app.model import graph_to_dict
from app.project import Project, load_project, save_project
from app.project.fileio import MAX_PROJECT_BYTES


@pytest.fixture
def good(tmp_path, graph):
    path = tmp_path / "good.llproj"
    save_project(Project(name="Good", graph=graph), path)
    return path


def _write_doc(tmp_path, doc) -> str:
    p = tmp_path / "bad.llproj"
    p.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return p


def _error(path) -> ProjectFileError:
    with pytest.raises(ProjectFileError) as err:
        load_project(path)
    assert err.value.path == str(path)
    assert "Traceback" not in err.value.message
    return err.value


def test_missing_file(tmp_path):
    assert "does not exist" in _error(tmp_path / "nothing.llproj").message


def test_folder(tmp_path):
    (tmp_path / "dir.llproj").mkdir()
    assert "folder" in _error(tmp_path / "dir.llproj").message


def test_not_json(tmp_path):
    assert "not valid JSON" in _error(_write_doc(tmp_path, "hello, world")).message


def test_binary(tmp_path):
    p = tmp_path / "bin.llproj"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    assert "not a text" in _error(p).message


def test_empty(tmp_path):
    assert "empty" in _error(_write_doc(tmp_path, "  \n")).message


def test_truncated(tmp_path, good):
    text = good.read_text()
    p = _write_doc(tmp_path, text[: len(text) // 2])
    assert "cut short" in _error(p).message


def test_not_a_layerloom_project(tmp_path):
    assert "not a LayerLoom project" in _error(_write_doc(tmp_path, [1, 2, 3])).message
    assert (
        "not a LayerLoom project"
        in _error(_write_doc(tmp_path, {"app": "other", "format_version": 1})).message
    )
    assert "not a LayerLoom project" in _error(_write_doc(tmp_path, {"hello": 1})).message
    msg = _error(_write_doc(tmp_path, {"app": "layerloom", "format_version": "1"})).message
    assert "format version" in msg


def test_too_new_version(tmp_path, good):
    doc = json.loads(good.read_text())
    doc["format_version"] = 99
    msg = _error(_write_doc(tmp_path, doc)).message
    assert "newer LayerLoom" in msg and "99" in msg


def test_huge_file_refused(tmp_path):
    p = tmp_path / "huge.llproj"
    with open(p, "wb") as fh:
        fh.truncate(MAX_PROJECT_BYTES + 1)  # sparse: costs no disk
    assert "larger than 50 MB" in _error(p).message


def test_deep_nesting(tmp_path):
    p = _write_doc(tmp_path, "[" * 10_000 + "]" * 10_000)
    assert "nested too deeply" in _error(p).message
    deep = {"app": "layerloom", "format_version": 1, "name": "x"}
    inner: dict = {}
    deep["graph"] = {"nodes": [], "edges": [], "extra": inner}
    for _ in range(500):
        inner["x"] = {}
        inner = inner["x"]
    assert "nested too deeply" in _error(_write_doc(tmp_path, deep)).message


@pytest.mark.parametrize(
    "mutate, words",
    [
        (lambda d: d.update(graph=[1, 2]), "graph must be an object"),
        (lambda d: d.update(graph={"nodes": "many"}), "'nodes' must be a list"),
        (lambda d: d.update(training={"batch_size": "big"}), "batch size"),
        (lambda d: d.update(training={"epochs": -3}), "epochs"),
        (lambda d: d.update(training={"losses": ["mse"]}), "losses must be a mapping"),
        (lambda d: d.update(training={"losses": {"out": {"config": {}}}}), "loss of output 'out'"),
        (lambda d: d.update(training={"loss_weights": {"out": "x"}}), "loss weight"),
        (lambda d: d.update(data="mnist"), "data settings"),
        (lambda d: d.update(runs={"a": 1}), "training runs"),
        (lambda d: d.update(name=12), "name must be text"),
        (lambda d: d.pop("graph"), "no model graph"),
    ],
)
def test_wrong_types(tmp_path, good, mutate, words):
    doc = json.loads(good.read_text())
    mutate(doc)
    msg = _error(_write_doc(tmp_path, doc)).message
    assert words in msg, msg


def test_bad_weights_entry_is_only_a_warning(tmp_path, good):
    doc = json.loads(good.read_text())
    doc["weights"] = {"manifest": [{"node": 5}], "sha256": None}
    project = load_project(_write_doc(tmp_path, doc))
    assert graph_to_dict(project.graph)["nodes"]
    assert project.warnings and "weights" in project.warnings[0]


def test_pickled_weights_are_refused(tmp_path, good):
    import numpy as np

    doc = json.loads(good.read_text())
    hidden = doc["graph"]["nodes"][1]["id"]
    doc["weights"] = {"manifest": [{"path": [], "node": hidden, "count": 1}]}
    p = _write_doc(tmp_path, doc)
    np.savez(str(p) + ".weights.npz", w0=np.array([{"x": 1}], dtype=object))
    project = load_project(p)
    assert project.graph.node(hidden).weights is None
    assert "damaged" in project.warnings[0]
