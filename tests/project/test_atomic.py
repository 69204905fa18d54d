"""Atomic writes: temp names within the name limit, errors about the user's file, leftovers of
killed writes cleared (only ours), folders swapped without losing the previous one."""

from __future__ import annotations

import os
import time

import pytest

from app.project.atomic import (
    NAME_MAX,
    atomic_write_bytes,
    remove_stale_temps,
    replace_folder,
    restore_folder,
    temp_name,
    temp_pattern,
)

LONG = "é" * 60 + "x" * 126 + ".llproj"  # 253 bytes in UTF-8: a legal file name


def test_temp_names_of_long_file_names_stay_within_the_limit(tmp_path):
    target = tmp_path / LONG
    assert len(target.name.encode()) <= NAME_MAX
    for suffix in ("", ".json", ".weights.npz", ".keras", ".old"):
        name = temp_name(target, suffix).name
        assert len(name.encode()) <= NAME_MAX, suffix
        assert name.endswith(".tmp" + suffix) and temp_pattern(target).fullmatch(name)
    # Two long names that start alike get different temps.
    other = tmp_path / (LONG[:-8] + "y.llproj")
    assert not temp_pattern(other).fullmatch(temp_name(target).name)
    atomic_write_bytes(target, b"saved")
    assert target.read_bytes() == b"saved"
    assert os.listdir(tmp_path) == [LONG]


def test_a_missing_folder_is_said_plainly_and_no_temp_name_shows(tmp_path):
    target = tmp_path / "missing" / "dir" / "x.py"
    with pytest.raises(FileNotFoundError) as err:
        atomic_write_bytes(target, b"code")
    assert err.value.filename == str(target)
    assert err.value.strerror == f"the folder '{target.parent}' does not exist"
    assert ".tmp" not in str(err.value)


def test_stale_temps_are_removed_only_ours_and_only_older(tmp_path):
    target = tmp_path / "m.llproj"
    target.write_text("the user's project")
    killed = temp_name(target, ".json")  # what a killed save leaves
    killed.write_text("{")
    legacy = tmp_path / ".m.llproj.k2j_4x9a.json"  # tempfile.mkstemp's naming (older versions)
    legacy.write_text("{")
    users = [
        tmp_path / ".m.llproj.notes",
        tmp_path / ".m.llproj.0123abcd.tmpl",
        tmp_path / "m.llproj.0123abcd.tmp.json",
        tmp_path / "m.llproj.bak",
        tmp_path / ".other.llproj.0123abcd.tmp.json",
    ]
    for f in users:
        f.write_text("mine")
    newer = temp_name(target, ".weights.npz")  # a temp of a save that began after ours
    newer.write_text("")
    future = time.time() + 60
    os.utime(newer, (future, future))
    assert remove_stale_temps(target, time.time() + 1, legacy_suffixes=(".json",)) == 2
    assert not killed.exists() and not legacy.exists()
    assert all(f.exists() for f in users) and newer.exists()
    assert target.read_text() == "the user's project"


def _make_export(folder, version, files=3):
    folder.mkdir()
    for i in range(files):
        (folder / f"part{i}").write_text(str(version))


def _version(folder):
    return {f.read_text() for f in folder.iterdir()}


def test_replace_folder_keeps_the_previous_until_the_new_is_in_place(tmp_path):
    target = tmp_path / "served"
    _make_export(target, 1)
    new = temp_name(target)
    _make_export(new, 2)
    replace_folder(new, target)
    assert _version(target) == {"2"}
    assert os.listdir(tmp_path) == ["served"]  # the previous one and the temp are gone


def test_restore_puts_back_the_export_a_crash_between_the_renames_left_aside(tmp_path):
    target = tmp_path / "served"
    _make_export(target, 1)
    # The state a crash between replace_folder's two renames leaves: target renamed away,
    # the new export complete beside it.
    os.replace(target, temp_name(target, ".old"))
    _make_export(temp_name(target), 2)
    assert not target.exists()
    assert restore_folder(target, before=time.time() + 1)
    assert _version(target) == {"1"}
    assert os.listdir(tmp_path) == ["served"]  # the unfinished export's temp is gone
    assert not restore_folder(target, before=time.time() + 1)  # nothing more to do


def test_restore_knows_older_versions_names_and_spares_newer_temps(tmp_path):
    target = tmp_path / "served"
    _make_export(tmp_path / ".served.1a2b3c.old", 1)  # how older versions named it
    assert restore_folder(target, before=time.time() + 1)
    assert _version(target) == {"1"}
    running = temp_name(target)  # another export started after ours: not ours to delete
    _make_export(running, 3)
    leftover = temp_name(target, ".old")  # a previous export whose deletion was cut short
    _make_export(leftover, 0)
    past = time.time() - 5
    os.utime(leftover, (past, past))
    assert not restore_folder(target, before=time.time() - 1)
    assert running.exists() and not leftover.exists() and _version(target) == {"1"}
