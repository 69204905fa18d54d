"""A run found "running" reads as interrupted when the process that ran it has ended."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import app
from app.project.run_owner import current_owner, owner_alive
from app.project.runs import RUN_FILE, RunRecord, read_run_file, scan_run_folders

OWNER_OF_CHILD = "import json; from app.project.run_owner import current_owner; " + (
    "print(json.dumps(current_owner()))"
)


def _ended_process_owner() -> dict:
    """The owner record of a real process that has ended since."""
    env = {**os.environ, "PYTHONPATH": str(Path(app.__file__).parent.parent)}
    out = subprocess.run(
        [sys.executable, "-c", OWNER_OF_CHILD], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout)


def _write(folder: Path, **fields) -> None:
    folder.mkdir(parents=True)
    rec = RunRecord(id=folder.name, path=str(folder), started="2026-01-02T03:04:05+00:00", **fields)
    (folder / RUN_FILE).write_text(json.dumps(rec.to_dict()), encoding="utf-8")


def test_the_owner_names_a_live_process_and_not_an_ended_or_reused_one():
    me = current_owner()
    assert me["pid"] == os.getpid() and me["host"] and me["started"] is not None
    assert owner_alive(me) is True
    ended = _ended_process_owner()
    assert owner_alive(ended) is False
    # A live pid that started at another time is another process (the pid was reused).
    assert owner_alive({**me, "started": "0"}) is False
    # Another host's process, or no owner at all, cannot be checked from here.
    assert owner_alive({**me, "host": me["host"] + "-elsewhere"}) is None
    assert owner_alive(None) is None


def test_a_running_record_of_an_ended_process_reads_as_interrupted(tmp_path):
    _write(tmp_path / "live", owner=current_owner())
    _write(tmp_path / "killed", owner=_ended_process_owner())
    _write(tmp_path / "remote", owner={**current_owner(), "host": "another-host"})
    _write(tmp_path / "done", owner=_ended_process_owner(), status="completed")
    # What a killed run leaves: the epochs it finished and its best model so far.
    (tmp_path / "killed" / "history.csv").write_text(
        "epoch,loss,val_loss\n1,0.9,0.8\n2,0.5,0.6\n", encoding="utf-8"
    )
    (tmp_path / "killed" / "best.keras").write_bytes(b"")
    status = {Path(r.path).name: r for r in scan_run_folders(tmp_path)}
    assert {k: r.status for k, r in status.items()} == {
        "live": "running",
        "killed": "interrupted",
        "remote": "running",
        "done": "completed",
    }
    killed = status["killed"]
    assert killed.epochs_done == 2 and killed.final_metrics == {"loss": 0.5, "val_loss": 0.6}
    assert killed.best_model == "best.keras" and "ended before it finished" in killed.message
    # Reading changes nothing on disk: the folder stays as the run left it.
    on_disk = json.loads((tmp_path / "killed" / RUN_FILE).read_text(encoding="utf-8"))
    assert on_disk["status"] == "running"


def test_an_old_running_record_without_an_owner_is_readable_and_interrupted(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    old = {"id": "old", "path": str(folder), "started": "2025-01-01T00:00:00+00:00"}
    (folder / RUN_FILE).write_text(json.dumps({**old, "status": "running"}), encoding="utf-8")
    rec = read_run_file(folder)
    assert rec.status == "interrupted" and rec.owner is None
    # An interrupted record written back reads back the same.
    assert RunRecord.from_dict(rec.to_dict()).status == "interrupted"
