"""A k-fold run in the training panel: the finished folds' curves under the live one, one
grouped row in the runs table (mean ± std, expands to the folds), Stop ends the group."""

from __future__ import annotations

import numpy as np
import pytest

from app.project.examples import example_path
from app.project.runs import read_history

keras = pytest.importorskip("keras")

RUN_TIMEOUT = 180_000


@pytest.fixture
def panel(qtbot, tmp_path, isolated_settings, no_dangling_qthreads, errors):
    """The training panel on the digits MLP example, 300 samples, 3-fold, 3 epochs."""
    from app.ui.document import Document
    from app.ui.training.panel import TrainingPanel

    doc = Document.open_project(example_path("digits_mlp"), origin="example")
    data = doc.project.data
    changes = {"max_samples": 300, "validation": "kfold", "folds": 3}
    doc.project.data = type(data).from_dict({**data.to_dict(), **changes})
    p = TrainingPanel()
    p.runs_root = tmp_path / "runs"
    p.show_error = lambda title, message: errors.append((title, message))
    p.ask = lambda title, question: True
    qtbot.addWidget(p)
    p.set_document(doc)
    p.form.refresh_names()
    p.form.epochs.setValue(3)
    p.resize(1300, 760)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()


def test_folds_overlay_live_and_group_in_the_runs_table(qtbot, panel, errors):
    # While fold 2 trains, fold 1's curves are a thin overlay under the live curves. On a busy
    # machine the whole run can end before the window drains its queue, and the live overlays
    # come and go inside one drain, so each overlay is noted as it is drawn.
    drawn: dict[str, tuple[list[dict], bool]] = {}
    overlay_run = panel.plots.overlay_run

    def noting(name, rows, *args, **kwargs):
        drawn[name] = (list(rows), panel.is_running)
        return overlay_run(name, rows, *args, **kwargs)

    panel.plots.overlay_run = noting
    assert panel.start()
    qtbot.waitUntil(lambda: not panel.is_running, timeout=RUN_TIMEOUT)
    rows, running = drawn["fold 1"]
    assert running and rows[-1]["epoch"] == 3.0 and "fold 2" in drawn
    assert panel.last_result["status"] == "completed" and not errors
    records = panel.document.project.run_records()
    assert len(records) == 3 and len({r.group for r in records}) == 1
    group = records[0].group
    table = panel.runs.table
    assert table.topLevelItemCount() == 1
    row = table.topLevelItem(0)
    assert row.text(1) == "completed 3/3" and row.text(3) == "3 folds"
    assert row.childCount() == 3 and [row.child(i).text(0) for i in range(3)] == [
        "fold 1",
        "fold 2",
        "fold 3",
    ]
    best_val = [min(r["val_loss"] for r in read_history(rec.path)) for rec in records]
    assert f"val_loss {np.mean(best_val):.4g} ± {np.std(best_val):.3g}" in row.text(4)
    # After the run: the group's folds and their mean, no live fold overlays left.
    names = set(panel.plots.overlays)
    assert {f"{group} fold {i}" for i in (1, 2, 3)} | {f"{group} mean"} == names
    mean_val = [r["val_loss"] for r in panel.plots.overlays[f"{group} mean"]]
    per_fold = [[r["val_loss"] for r in read_history(rec.path)] for rec in records]
    assert np.allclose(mean_val, np.mean(per_fold, axis=0))
    assert f"run {group} mean (val)" in panel.plots.cards["loss"].curves
    # Selecting the group row selects all its folds (overlay, delete act on the group).
    table.clearSelection()
    row.setSelected(True)
    assert sorted(panel.runs.selected_paths()) == sorted(r.path for r in records)


def test_stop_ends_the_group_with_the_folds_it_finished(qtbot, panel):
    panel.status_message.connect(lambda text: "fold 2 of 3" in text and panel.stop())
    assert panel.start()
    qtbot.waitUntil(lambda: not panel.is_running, timeout=RUN_TIMEOUT)
    records = panel.document.project.run_records()
    assert [r.status for r in sorted(records, key=lambda r: r.fold)][0] == "completed"
    assert len(records) <= 2
    row = panel.runs.table.topLevelItem(0)
    assert row.text(1).startswith("stopped 1/3")
