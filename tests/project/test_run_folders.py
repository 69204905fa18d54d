"""Where runs go (one rule for the CLI and the editor) and which runs a project lists."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import platformdirs

from app.project import Project, load_project, save_project
from app.project.examples import example_path
from app.project.run_folders import runs_folder
from app.project.runs import RUN_FILE, RunRecord


def _user_data() -> Path:
    return Path(platformdirs.user_data_dir("LayerLoom", appauthor=False))  # tmp (conftest)


def _write_run(folder: Path, run_id: str, started: str, status: str = "completed") -> RunRecord:
    folder.mkdir(parents=True)
    rec = RunRecord(id=run_id, path=str(folder), started=started, status=status, epochs_done=2)
    (folder / RUN_FILE).write_text(json.dumps(rec.to_dict()), encoding="utf-8")
    return rec


def test_where_runs_go(tmp_path):
    saved = Project(path=tmp_path / "model.llproj")
    assert runs_folder(saved) == saved.runs_dir == tmp_path / "model_runs"
    assert Project().runs_dir == _user_data() / "unsaved_runs"
    # A bundled example's runs go to the user's data folder, whether it is trained from its
    # file (the CLI) or from the unsaved copy the editor opens.
    example = load_project(example_path("digits_mlp"))
    assert example.runs_dir == _user_data() / "example_runs" / "digits_mlp"
    copy = load_project(example_path("digits_mlp"))
    copy.path, copy.base_dir = None, example_path("digits_mlp").parent
    assert copy.runs_dir == example.runs_dir


def test_runs_are_the_recorded_ones_plus_those_found_in_the_runs_folder(tmp_path):
    project = Project(path=tmp_path / "model.llproj")
    runs = project.runs_dir
    first = _write_run(runs / "20250101-000000_aaaa0001", "aaaa0001", "2025-01-01T00:00:00")
    project.add_run(first)
    # Trained after the last save (or with --no-save): only its folder knows it.
    _write_run(runs / "20250102-000000_bbbb0002", "bbbb0002", "2025-01-02T00:00:00")
    save_project(project)
    records = load_project(project.path).run_records()
    assert [r.id for r in records] == ["aaaa0001", "bbbb0002"]  # oldest first, one per id
    assert load_project(project.path).find_run("latest").id == "bbbb0002"
    assert load_project(project.path).find_run("20250102-000000_bbbb0002").id == "bbbb0002"


def test_a_run_folder_record_wins_over_the_projects_copy(tmp_path):
    project = Project(path=tmp_path / "model.llproj")
    folder = project.runs_dir / "20250101-000000_aaaa0001"
    rec = _write_run(folder, "aaaa0001", "2025-01-01T00:00:00")
    stale = RunRecord(**{**rec.to_dict(), "status": "running", "epochs_done": 0})
    project.add_run(stale)
    (found,) = project.run_records()
    assert found.status == "completed" and found.epochs_done == 2
    assert Path(found.path) == folder


def test_runs_made_before_the_first_save_stay_listed_after_save_as(tmp_path):
    project = Project()  # unsaved: its runs go to the user's data folder
    folder = project.runs_dir / "20250101-000000_cccc0003"
    project.add_run(_write_run(folder, "cccc0003", "2025-01-01T00:00:00"))
    # Another unsaved document's run in the same shared folder is not this project's.
    _write_run(project.runs_dir / "20250101-000001_dddd0004", "dddd0004", "2025-01-01T00:00:01")
    assert [r.id for r in project.run_records()] == ["cccc0003"]
    save_project(project, tmp_path / "later.llproj")
    reopened = load_project(tmp_path / "later.llproj")
    assert [r.id for r in reopened.run_records()] == ["cccc0003"]
    assert Path(reopened.find_run("cccc0003").path) == folder


def test_a_project_moved_with_its_runs_folder_finds_its_runs(tmp_path):
    project = Project(path=tmp_path / "a" / "model.llproj")
    (tmp_path / "a").mkdir()
    project.add_run(
        _write_run(project.runs_dir / "20250101-000000_eeee0005", "eeee0005", "2025-01-01T00:00:00")
    )
    save_project(project)
    shutil.move(tmp_path / "a", tmp_path / "b")
    (rec,) = load_project(tmp_path / "b" / "model.llproj").run_records()
    assert Path(rec.path) == tmp_path / "b" / "model_runs" / "20250101-000000_eeee0005"


def test_an_infinite_loss_is_recorded_and_never_blocks_a_save(tmp_path):
    inf = float("inf")
    rec = RunRecord(id="ffff0006", path=str(tmp_path), started="2025-01-01T00:00:00",
                    status="failed", final_metrics={"loss": inf, "accuracy": 0.5},
                    best_metrics={"val_loss": float("nan")})  # fmt: skip
    data = rec.to_dict()
    json.dumps(data, allow_nan=False)  # strict JSON
    back = RunRecord.from_dict(json.loads(json.dumps(data)))
    assert back.final_metrics["loss"] == inf and back.final_metrics["accuracy"] == 0.5
    assert "val_loss" in back.best_metrics
    project = Project(path=tmp_path / "model.llproj")
    project.add_run(rec)
    save_project(project)
    (loaded,) = load_project(project.path).runs
    assert loaded["final_metrics"]["loss"] == "inf"
