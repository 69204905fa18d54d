"""Project code entries: the kinds registry, checks, and undoable add/replace/remove."""

from __future__ import annotations

import pytest

from app.project import Project
from app.project.commands import add_code, remove_code, replace_code
from app.project.events import CODE_CHANGED
from app.project.project import project_from_dict
from app.project.project_code import (
    CODE_KINDS,
    CodeEntry,
    code_from_list,
    defines,
    free_name,
    new_entry,
)
from app.project.settings import SettingsError


def test_every_kind_template_defines_its_name():
    for kind in CODE_KINDS:
        assert defines(new_entry(kind, "mine"))


def test_add_replace_remove_undo_exactly_and_announce():
    project = Project()
    seen = []
    project.events.connect(lambda e: seen.append(e.kind))
    undo_add = add_code(project, new_entry("metric", "RMSE")).apply(project)
    assert [e.name for e in project.code] == ["RMSE"]
    edited = CodeEntry("metric", "RMSE2", new_entry("metric", "RMSE2").source)
    undo_edit = replace_code(project, "RMSE", edited).apply(project)
    assert project.code == [edited]
    undo_remove = remove_code(project, "RMSE2").apply(project)
    assert project.code == []
    undo_remove.apply(project)
    undo_edit.apply(project)
    assert [e.name for e in project.code] == ["RMSE"]
    undo_add.apply(project)
    assert project.code == [] and seen == [CODE_CHANGED] * 6


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ([{"kind": "shell", "name": "x", "source": ""}], "Unknown kind"),
        ([{"kind": "loss", "name": "not a name", "source": ""}], "not a Python name"),
        ([{"kind": "loss", "name": "a", "source": ""}] * 2, "already has code named 'a'"),
        ("code", "must be a list"),
        ([{"kind": ["loss"], "name": "a", "source": ""}], "Unknown kind"),
        ([{"kind": "loss", "name": 3, "source": ""}], "not a Python name"),
        ([{"kind": "loss", "name": "a", "source": None}], "must be text"),
        (["loss"], "must have a kind"),
    ],
)
def test_bad_entries_are_refused_in_words(raw, words):
    with pytest.raises(SettingsError, match=words):
        code_from_list(raw)


def test_files_without_code_load_and_code_is_kept():
    doc = Project().to_dict()
    assert "code" not in doc and project_from_dict(doc).code == []
    project = Project(code=[new_entry("loss", "my_loss")])
    assert project_from_dict(project.to_dict()).code == project.code


def test_free_names_count_up():
    entries = [new_entry("loss", "my_loss"), new_entry("loss", "my_loss_2")]
    assert free_name(entries, "my_loss") == "my_loss_3"
    assert free_name(entries, "my_metric") == "my_metric"
