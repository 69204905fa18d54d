"""Saving and loading .llproj files: round trip, weights sidecar, atomicity."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

from app.errors import ProjectFileError
from app.model import graph_to_dict
from app.project import (
    FORMAT_VERSION,
    DataSettings,
    Project,
    TrainingSettings,
    load_project,
    save_project,
)
from app.project.weights import WEIGHTS_SUFFIX
from tests.project.conftest import make_graph


def sidecar_of(path):
    """The weights file the saved project at `path` names."""
    return path.with_name(json.loads(path.read_text())["weights"]["file"])


def sidecars(folder):
    return sorted(p.name for p in folder.glob("*" + WEIGHTS_SUFFIX))


def _project(graph, **kw) -> Project:
    return Project(
        name="Tiny",
        graph=graph,
        data=DataSettings(
            "synthetic", {"num_samples": 64}, normalization="standard", validation_split=0.25
        ),
        training=TrainingSettings.from_dict(
            {
                "optimizer": "rmsprop",
                "learning_rate": 0.01,
                "losses": {"head": "huber", "aux": "mse"},
                "loss_weights": {"head": 1.0, "aux": 0.2},
                "metrics": {"head": ["mae"]},
                "batch_size": 8,
                "epochs": 3,
                "seed": 7,
                "callbacks": [{"class_name": "EarlyStopping", "params": {"patience": 2}}],
            }
        ),
        runs=[{"id": "r1", "history": {"loss": [1.0, 0.5]}}],
        **kw,
    )


def test_round_trip_keeps_everything(tmp_path, graph):
    path = tmp_path / "tiny.llproj"
    project = _project(graph)
    assert save_project(project, path) == path
    assert project.path == path
    doc = json.loads(path.read_text())
    assert doc["app"] == "layerloom" and doc["format_version"] == FORMAT_VERSION
    loaded = load_project(path)
    assert graph_to_dict(loaded.graph) == graph_to_dict(graph)
    assert loaded.data == project.data
    assert loaded.training == project.training
    assert loaded.runs == project.runs
    assert loaded.name == "Tiny" and loaded.path == path and loaded.warnings == []
    assert sidecars(tmp_path) == []  # no weights, no sidecar


def test_weights_round_trip_including_blocks(tmp_path):
    graph = make_graph(with_weights=True)
    path = tmp_path / "w.llproj"
    save_project(_project(graph), path)
    assert sidecars(tmp_path) == [sidecar_of(path).name]
    assert re.fullmatch(r"w\.llproj\.[0-9a-f]{16}\.weights\.npz", sidecar_of(path).name)
    loaded = load_project(path)
    assert loaded.warnings == []
    for (_, g_old), (_, g_new) in zip(graph.walk(), loaded.graph.walk(), strict=True):
        for n in g_old.nodes():
            old, new = n.weights, g_new.node(n.id).weights
            if old is None:
                assert new is None
                continue
            assert len(old) == len(new)
            for a, b in zip(old, new, strict=True):
                np.testing.assert_array_equal(a, b)
                assert a.dtype == b.dtype


def test_missing_or_foreign_sidecar_is_a_warning_not_a_failure(tmp_path):
    path = tmp_path / "w.llproj"
    save_project(_project(make_graph(with_weights=True)), path)
    side = sidecar_of(path)
    kept = side.read_bytes()
    side.unlink()
    loaded = load_project(path)
    assert loaded.graph is not None
    assert any("missing" in w for w in loaded.warnings)
    # A sidecar from another save (different content) is detected too.
    np.savez(side, w0=np.zeros(1))
    assert any("another save" in w for w in load_project(path).warnings)
    side.write_bytes(kept)
    assert load_project(path).warnings == []


def test_saving_without_weights_removes_stale_sidecar(tmp_path):
    path = tmp_path / "w.llproj"
    save_project(_project(make_graph(with_weights=True)), path)
    save_project(_project(make_graph()), path)
    assert sidecars(tmp_path) == []


def test_failed_save_keeps_previous_file(tmp_path, graph):
    path = tmp_path / "keep.llproj"
    save_project(_project(graph), path)
    before = path.read_bytes()
    bad = _project(graph)
    # The bad value sits after the graph, so json.dump has already written part of the file.
    bad.runs.append({"loss": float("nan")})
    with pytest.raises(ProjectFileError) as err:
        save_project(bad, path)
    assert "cannot be written" in err.value.message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.llproj"]  # no temp files left
    bad.runs[-1] = {"obj": object()}
    with pytest.raises(ProjectFileError):
        save_project(bad, path)
    assert path.read_bytes() == before


def test_failed_save_keeps_previous_weights(tmp_path, monkeypatch):
    path = tmp_path / "keep.llproj"
    save_project(_project(make_graph(with_weights=True)), path)
    before = (path.read_bytes(), sidecar_of(path).read_bytes())
    bad = _project(make_graph(with_weights=True))
    bad.graph.nodes()[1].weights = [np.full((4, 3), 9.0, "float32"), np.zeros(3, "float32")]
    bad.runs.append({"oops": {1, 2}})
    with pytest.raises(ProjectFileError):
        save_project(bad, path)
    assert (path.read_bytes(), sidecar_of(path).read_bytes()) == before
    assert len(list(tmp_path.iterdir())) == 2
    assert load_project(path).warnings == []


def test_save_into_missing_folder_and_without_path(tmp_path, graph):
    with pytest.raises(ProjectFileError, match="does not exist"):
        save_project(_project(graph), tmp_path / "nope" / "x.llproj")
    with pytest.raises(ProjectFileError, match="file name"):
        save_project(Project())


def test_save_keeps_usual_file_mode(tmp_path, graph):
    path = tmp_path / "m.llproj"
    save_project(_project(graph), path)
    if os.name == "posix":
        assert path.stat().st_mode & 0o044  # readable by others like any saved document


def test_trusted_code_is_never_read_from_file(tmp_path, graph):
    path = tmp_path / "t.llproj"
    save_project(_project(graph, trusted_code=True), path)
    doc = json.loads(path.read_text())
    doc["trusted_code"] = True
    path.write_text(json.dumps(doc))
    assert load_project(path).trusted_code is False
