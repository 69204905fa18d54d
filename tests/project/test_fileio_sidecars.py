"""Weights sidecars named by their project file; leftovers of killed saves cleared on save and
open; long file names; project files of older versions."""

from __future__ import annotations

import json
import os
import time

from app.project import Project, load_project, save_project
from app.project.atomic import NAME_MAX, STALE_SECONDS, temp_name
from app.project.weights import sidecar_path
from tests.project.conftest import make_graph


def _weights(project):
    return [w.tolist() for _, g in project.graph.walk() for n in g.nodes() for w in n.weights or []]


def _named(path):
    return path.with_name(json.loads(path.read_text())["weights"]["file"])


def _age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_a_legal_250_byte_name_saves_and_loads_with_its_weights(tmp_path):
    name = "ü" * 60 + "m" * 123 + ".llproj"
    assert len(name.encode()) == 250
    project = Project(name="long", graph=make_graph(with_weights=True))
    path = save_project(project, tmp_path / name)
    loaded = load_project(path)
    assert loaded.warnings == [] and _weights(loaded) == _weights(project)
    assert all(len(n.encode()) <= NAME_MAX for n in os.listdir(tmp_path))
    assert sorted(os.listdir(tmp_path)) == sorted([name, _named(path).name])
    hidden = project.graph.nodes()[1]
    hidden.weights = [w + 1 for w in hidden.weights]
    save_project(project, path)  # new weights: the earlier sidecar goes
    assert len(os.listdir(tmp_path)) == 2 and _weights(load_project(path)) == _weights(project)


def test_a_save_clears_what_killed_saves_left_and_nothing_else(tmp_path):
    path = tmp_path / "m.llproj"
    project = Project(name="m", graph=make_graph(with_weights=True))
    save_project(project, path)
    first = _named(path)
    # What kills at different moments of earlier saves left: temps (ours and older versions')
    # and a complete sidecar that no project file came to name.
    killed = [
        temp_name(path, ".json"),
        temp_name(path, ".weights.npz"),
        tmp_path / ".m.llproj.a1b2c3d4.json",
        tmp_path / ".m.llproj.weights.npz.a1b2c3d4.npz",
        tmp_path / "m.llproj.0123456789abcdef.weights.npz",
    ]
    users = [tmp_path / "m.llproj.backup.weights.npz", tmp_path / "n.llproj", tmp_path / ".m.txt"]
    for f in killed + users:
        f.write_bytes(b"x" * 100)
    hidden = project.graph.nodes()[1]
    hidden.weights = [w + 1 for w in hidden.weights]
    save_project(project, path)
    assert not first.exists() and not any(f.exists() for f in killed)
    assert all(f.exists() for f in users)
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["m.llproj", _named(path).name] + [f.name for f in users]
    )
    assert load_project(path).warnings == []


def test_opening_clears_old_leftovers_but_not_fresh_ones(tmp_path):
    path = tmp_path / "m.llproj"
    save_project(Project(name="m", graph=make_graph(with_weights=True)), path)
    old_temp, fresh_temp = temp_name(path, ".json"), temp_name(path, ".weights.npz")
    orphan = tmp_path / "m.llproj.0123456789abcdef.weights.npz"
    for f in (old_temp, fresh_temp, orphan):
        f.write_bytes(b"x")
    _age(old_temp, STALE_SECONDS + 60)
    _age(orphan, STALE_SECONDS + 60)
    assert load_project(path).warnings == []
    assert not old_temp.exists() and not orphan.exists()
    assert fresh_temp.exists()  # may be a save still running in another window
    assert _named(path).exists()


def test_opening_keeps_every_file_when_the_weights_do_not_load(tmp_path):
    path = tmp_path / "m.llproj"
    save_project(Project(name="m", graph=make_graph(with_weights=True)), path)
    sidecar = _named(path)
    other = tmp_path / "m.llproj.0123456789abcdef.weights.npz"
    os.replace(sidecar, other)  # e.g. renamed by hand: the user may still need it
    _age(other, STALE_SECONDS + 60)
    assert any("missing" in w for w in load_project(path).warnings)
    assert other.exists()


def test_project_files_of_older_versions_keep_their_weights(tmp_path):
    path = tmp_path / "old.llproj"
    project = Project(name="old", graph=make_graph(with_weights=True))
    save_project(project, path)
    doc = json.loads(path.read_text())
    os.replace(_named(path), sidecar_path(path))  # older versions: <project>.weights.npz ...
    del doc["weights"]["file"]  # ... and a project file that did not name it
    path.write_text(json.dumps(doc))
    loaded = load_project(path)
    assert loaded.warnings == [] and _weights(loaded) == _weights(project)
    save_project(loaded, path)
    assert not sidecar_path(path).exists() and load_project(path).warnings == []


def test_a_project_file_cannot_name_weights_outside_its_folder(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    path = folder / "m.llproj"
    save_project(Project(name="m", graph=make_graph(with_weights=True)), path)
    doc = json.loads(path.read_text())
    outside = tmp_path / "elsewhere.weights.npz"
    os.replace(_named(path), outside)
    for name in ("../elsewhere.weights.npz", str(outside), "..\\elsewhere.weights.npz", 7):
        doc["weights"]["file"] = name
        path.write_text(json.dumps(doc))
        loaded = load_project(path)
        assert loaded.warnings and "not a file next to it" in loaded.warnings[0], name
        assert all(n.weights is None for _, g in loaded.graph.walk() for n in g.nodes())
    assert outside.exists()
