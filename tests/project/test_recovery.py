"""Autosave/recovery store."""

from __future__ import annotations

import pytest

from app.errors import ProjectFileError
from app.model import graph_to_dict
from app.project import Project, load_project
from app.project.project import project_from_dict
from app.project.recovery import RecoveryStore, default_recovery_dir


def test_save_list_load_discard(tmp_path, graph):
    store = RecoveryStore(tmp_path / "rec")
    assert store.list() == []
    snap = Project(name="Draft", graph=graph).to_dict()
    store.save(snap, "/home/u/a.llproj")
    store.save({**snap, "name": "Other"}, "untitled-1")
    entries = store.list()
    assert {e.key for e in entries} == {"/home/u/a.llproj", "untitled-1"}
    assert entries[0].saved_at >= entries[1].saved_at
    loaded = store.load("/home/u/a.llproj")
    assert graph_to_dict(project_from_dict(loaded).graph) == graph_to_dict(graph)
    store.save({**snap, "name": "Newer"}, "/home/u/a.llproj")  # replaces, not adds
    assert len(store.list()) == 2 and store.load("/home/u/a.llproj")["name"] == "Newer"
    store.discard("/home/u/a.llproj")
    store.discard("/home/u/a.llproj")  # twice is fine
    assert [e.key for e in store.list()] == ["untitled-1"]
    with pytest.raises(ProjectFileError, match="no autosaved copy"):
        store.load("/home/u/a.llproj")


def test_damaged_snapshot_is_skipped_and_reported(tmp_path):
    store = RecoveryStore(tmp_path)
    path = store.save({"name": "x"}, "k")
    path.write_text("{not json")
    assert store.list() == []
    with pytest.raises(ProjectFileError, match="damaged"):
        store.load("k")
    (tmp_path / "junk.json").write_text("[" * 5000)
    assert store.list() == []


def test_unsaveable_snapshot(tmp_path):
    with pytest.raises(ProjectFileError):
        RecoveryStore(tmp_path).save({"x": float("inf")}, "k")
    assert list(tmp_path.iterdir()) == []


def test_default_dir_is_in_user_data():
    d = default_recovery_dir()
    assert d.name == "recovery" and "LayerLoom" in str(d)


def test_snapshot_of_loaded_project(tmp_path, graph):
    from app.project import save_project

    save_project(Project(name="P", graph=graph), tmp_path / "p.llproj")
    p = load_project(tmp_path / "p.llproj")
    store = RecoveryStore(tmp_path / "r")
    store.save(p.to_dict(), str(p.path))
    assert store.load(str(p.path))["name"] == "P"


def test_snapshots_are_checked_like_files(graph):
    from app.project.fileio import project_from_document
    from tests.project.test_migrations import V0

    snap = Project(name="S", graph=graph).to_dict()
    assert graph_to_dict(project_from_document(snap).graph) == graph_to_dict(graph)
    assert project_from_document(V0, "the autosaved copy").name == "old ticket model"
    for bad, words in [
        ({**snap, "format_version": 7}, "newer LayerLoom"),
        ({**snap, "training": {"epochs": "many"}}, "invalid settings"),
        ({**snap, "graph": {"nodes": "many"}}, "model in the autosaved copy is invalid"),
        (["not", "a", "dict"], "not a LayerLoom project"),
    ]:
        with pytest.raises(ProjectFileError) as err:
            project_from_document(bad, "the autosaved copy")
        assert words in err.value.message and "the autosaved copy" in err.value.message


def test_snapshots_name_the_session_that_wrote_them(tmp_path):
    store = RecoveryStore(tmp_path)
    store.save({"name": "a"}, "k1", session="abc")
    path = store.save({"name": "b"}, "k2")
    assert {e.key: e.session for e in store.list()} == {"k1": "abc", "k2": ""}
    path.write_text('{"key": "k2", "saved_at": 1.0, "snapshot": {"name": "old"}}')  # older file
    assert {e.key: e.session for e in store.list()}["k2"] == ""


def _weights_of(graph):
    return [
        (n.id, [w.tolist() for w in n.weights])
        for _, g in graph.walk()
        for n in g.nodes()
        if n.weights is not None
    ]


def test_imported_weights_are_autosaved_with_the_snapshot(tmp_path):
    from app.project.weights import WeightsFileError
    from tests.project.conftest import make_graph

    store = RecoveryStore(tmp_path)
    graph = make_graph(with_weights=True)
    snap = Project(name="Imported", graph=graph).to_dict()
    store.save(snap, "k", session="s", graph=graph)
    (sidecar,) = tmp_path.glob("*.weights.npz")
    assert [e.key for e in store.list()] == ["k"]  # the sidecar is not an entry
    restored = project_from_dict(store.load("k")).graph
    assert _weights_of(restored) == []  # the snapshot JSON holds no arrays
    assert store.load_weights("k", restored)
    assert _weights_of(restored) == _weights_of(graph)  # also inside the block

    inode = sidecar.stat().st_ino
    store.save(snap, "k", session="s", graph=graph)  # the same arrays: not written again
    assert sidecar.stat().st_ino == inode
    hidden = next(n for n in graph.nodes() if n.name == "hidden")
    hidden.weights = [w * 2 for w in hidden.weights]  # e.g. weights imported again
    store.save(snap, "k", session="s", graph=graph)
    assert not sidecar.exists()  # a new sidecar replaced it
    (sidecar,) = tmp_path.glob("*.weights.npz")
    again = project_from_dict(store.load("k")).graph
    assert store.load_weights("k", again) and _weights_of(again) == _weights_of(graph)

    sidecar.write_bytes(b"not a zip")  # damaged: a plain error, not a crash
    with pytest.raises(WeightsFileError, match="another save|damaged"):
        store.load_weights("k", project_from_dict(store.load("k")).graph)
    store.save(snap, "k", graph=make_graph())  # no weights any more: no sidecar
    assert not sidecar.exists() and not store.load_weights("k", make_graph())
    store.save(snap, "k", graph=graph)
    store.discard("k")
    assert list(tmp_path.iterdir()) == []


def test_autosaves_clear_what_killed_autosaves_left(tmp_path):
    import os
    import time

    from app.project.atomic import STALE_SECONDS, temp_name
    from tests.project.conftest import make_graph

    store = RecoveryStore(tmp_path)
    graph = make_graph(with_weights=True)
    snap = Project(name="A", graph=graph).to_dict()
    record = store.save(snap, "k", graph=graph)
    # Left by autosaves killed at different moments (also by older versions' naming).
    killed = [
        temp_name(record),
        temp_name(record, ".weights.npz"),
        record.with_name(f".{record.name}.a1b2c3d4.tmp"),
        record.with_name(f"{record.name}.0123456789abcdef.weights.npz"),
    ]
    for f in killed:
        f.write_bytes(b"x")
    hidden = graph.nodes()[1]
    hidden.weights = [w + 1 for w in hidden.weights]
    store.save(snap, "k", graph=graph)
    assert not any(f.exists() for f in killed)
    assert len(os.listdir(tmp_path)) == 2  # the snapshot and its one sidecar
    restored = project_from_dict(store.load("k")).graph
    assert store.load_weights("k", restored) and _weights_of(restored) == _weights_of(graph)

    # A key whose snapshot is gone (a discard cut short): its old files go when listing.
    orphan = tmp_path / ("0" * 32 + ".json.0123456789abcdef.weights.npz")
    fresh = tmp_path / ("1" * 32 + ".json.0123456789abcdef.weights.npz")
    for f in (orphan, fresh):
        f.write_bytes(b"x")
    t = time.time() - STALE_SECONDS - 60
    os.utime(orphan, (t, t))
    assert [e.key for e in store.list()] == ["k"]
    assert not orphan.exists() and fresh.exists()  # fresh: maybe an autosave under way
    store.discard("k")
    assert os.listdir(tmp_path) == [fresh.name]


def test_snapshots_of_older_versions_keep_their_weights(tmp_path):
    import json
    import os
    import time

    from app.project.atomic import STALE_SECONDS
    from tests.project.conftest import make_graph

    store = RecoveryStore(tmp_path)
    graph = make_graph(with_weights=True)
    record = store.save(Project(name="A", graph=graph).to_dict(), "k", graph=graph)
    doc = json.loads(record.read_text())
    # Older versions: <hash>.weights.npz, not named in the snapshot.
    legacy = record.with_suffix(".weights.npz")
    os.replace(record.with_name(doc["weights"].pop("file")), legacy)
    record.write_text(json.dumps(doc))
    t = time.time() - STALE_SECONDS - 60
    os.utime(legacy, (t, t))
    assert [e.key for e in store.list()] == ["k"]  # the sweep knows it is the one named
    restored = project_from_dict(store.load("k")).graph
    assert store.load_weights("k", restored) and _weights_of(restored) == _weights_of(graph)
    store.discard("k")
    assert os.listdir(tmp_path) == []
