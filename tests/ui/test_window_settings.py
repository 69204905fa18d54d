"""The window's settings edits: undo and redo in any panel with the form following, "unsaved" is
the undo stack's clean state, New starts from clean panels, panels are built when first shown."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from _fixtures import wait_checked
from PySide6.QtCore import Qt

from app.project.commands import set_data

RUN_TIMEOUT = 90_000
LOAD_MS = 60_000


def _open_digits(win, max_samples: int = 300) -> None:
    """The digits MLP example, with a small sample limit (set up, not an edit: stays clean)."""
    assert win.open_example("digits_mlp")
    project = win.document.project
    set_data(project, max_samples=max_samples).apply(project)
    assert not win.document.is_dirty


def test_training_edits_undo_and_redo_with_the_window_action(window):
    win = window
    _open_digits(win)
    panel = win.show_training_panel()
    undo, redo = win.actions_.undo, win.actions_.redo
    project = win.document.project
    before = project.training.epochs
    panel.form.epochs.setValue(before + 4)
    panel.form.epochs.setValue(before + 5)  # one field edited twice: one undo step
    assert project.training.epochs == before + 5 and win.document.is_dirty
    loss_box = panel.form.out_widgets["digit"][0]
    loss_box.setCurrentText("categorical_focal_crossentropy")
    assert project.training.losses["digit"] == "categorical_focal_crossentropy"
    undo.trigger()
    assert project.training.losses.get("digit") != "categorical_focal_crossentropy"
    assert panel.form.out_widgets["digit"][0].currentText() != "categorical_focal_crossentropy"
    assert project.training.epochs == before + 5
    undo.trigger()
    assert project.training.epochs == before and panel.form.epochs.value() == before
    assert not win.document.is_dirty and not win.windowTitle().endswith("*")
    redo.trigger()
    assert project.training.epochs == before + 5 and panel.form.epochs.value() == before + 5
    redo.trigger()
    assert panel.form.out_widgets["digit"][0].currentText() == "categorical_focal_crossentropy"


def test_data_source_edit_undoes_and_redoes_with_the_window_action(window, qtbot):
    win = window
    _open_digits(win)
    data = win.panels.show("Data")
    assert data is win.data_panel and win.tabs.currentWidget() is data
    project = win.document.project
    old_source = project.data.source
    data.select_source("sklearn.iris")
    data.seed.setValue(7)
    assert project.data.source == "sklearn.iris" and project.data.seed == 7
    win.actions_.undo.trigger()
    assert project.data.seed != 7 and data.seed.value() == project.data.seed
    win.actions_.undo.trigger()
    assert project.data.source == old_source
    assert data.source_combo.currentData() == old_source
    assert not win.document.is_dirty
    win.actions_.redo.trigger()
    assert data.source_combo.currentData() == "sklearn.iris"
    qtbot.waitUntil(lambda: data.dataset is not None and not data.loading, timeout=LOAD_MS)
    assert data.dataset.x["x"].shape[1] == 4  # the data shown follows the redone source


def test_fit_model_to_data_is_one_undo_step_for_graph_and_losses(window, qtbot):
    win = window
    _open_digits(win)
    data = win.panels.show("Data")
    training = win.training_panel
    graph, project = win.document.graph, win.document.project
    out = graph.node(graph.outputs[0].node)
    units, losses = out.params.get("units"), dict(project.training.losses)
    data.select_source("sklearn.breast_cancer")
    qtbot.waitUntil(lambda: data.dataset is not None and data.banner.isVisible(), timeout=LOAD_MS)
    count = win.document.undo_stack.count()
    qtbot.mouseClick(data.apply_button, Qt.MouseButton.LeftButton)
    assert win.document.undo_stack.count() == count + 1
    assert graph.node(out.id).params.get("units") != units
    assert training.form.config()["losses"]["digit"] == "binary_crossentropy"
    win.actions_.undo.trigger()
    assert graph.node(out.id).params.get("units") == units
    assert dict(project.training.losses) == losses
    assert training.form.config()["losses"] == losses
    win.actions_.redo.trigger()
    assert project.training.losses["digit"] == "binary_crossentropy"


def test_a_training_run_leaves_the_project_clean_and_new_starts_empty(window, qtbot, tmp_path):
    win = window
    _open_digits(win)
    panel = win.training_panel
    panel.runs_root = tmp_path / "runs"
    panel.form.epochs.setValue(1)
    win.document.undo_stack.setClean()  # as if saved with one epoch
    win.actions_.train.start.trigger()
    assert panel.is_running and win.tabs.currentWidget() is panel
    qtbot.waitUntil(lambda: not panel.is_running, timeout=RUN_TIMEOUT)
    assert panel.last_result["status"] == "completed", panel.last_result
    assert len(win.document.project.runs) == 1  # recorded, not an edit
    assert not win.document.is_dirty and not win.windowTitle().endswith("*")
    assert win.exporter.trained_model() is panel.last_model is not None
    assert panel.plots.batches["loss"].n > 0 and panel.progress.format() == "Done"

    win.actions_.new.trigger()
    assert panel.document is win.document and len(win.document.graph) == 0
    assert panel.plots.batches["loss"].n == 0 and not panel.plots.epochs
    assert all(
        len(curve.getData()[0] if curve.getData()[0] is not None else []) == 0
        for card in panel.plots.cards.values()
        for curve in card.curves.values()
    )
    assert panel.progress.format() == "" and panel.stats.text() == "Ready"
    assert not panel.banner.isVisible() and panel.last_model is None
    assert win.exporter.trained_model() is None
    assert win.evaluation.model is None


def test_closing_after_a_run_does_not_ask_to_save(window, qtbot, tmp_path):
    win = window
    _open_digits(win)
    panel = win.training_panel
    panel.runs_root = tmp_path / "runs"
    project = win.document.project
    project.training = project.training.from_dict({**project.training.to_dict(), "epochs": 1})
    assert panel.start()
    qtbot.waitUntil(lambda: not panel.is_running, timeout=RUN_TIMEOUT)
    wait_checked(qtbot, win)
    asked = []
    win.ask_save_changes = lambda: asked.append(True) or "cancel"
    assert win.close()
    assert asked == [] and not win.isVisible()


def test_the_window_shows_before_any_panel_or_pyqtgraph_is_built(tmp_path):
    """In a fresh process: a new window builds no bottom panel and imports no pyqtgraph;
    showing the Training tab builds that panel (and imports pyqtgraph) then."""
    code = textwrap.dedent("""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from app.ui.main_window import MainWindow
        win = MainWindow(recovery_dir=sys.argv[1])
        win.show()
        app.processEvents()
        built = [t for t in ("Data", "Evaluation", "Training") if win.panels.existing(t)]
        print("before", built, "pyqtgraph" in sys.modules)
        win.actions_.train.show.trigger()
        print("after", type(win.tabs.currentWidget()).__name__, "pyqtgraph" in sys.modules)
        win.shutdown()
    """)
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "recovery")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split("\n")
    assert "before [] False" in out
    assert "after TrainingPanel True" in out
