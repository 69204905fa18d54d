"""The empty-canvas hint stays centred when the view scrolls; a listed run leaves the docks be."""

from __future__ import annotations

import pytest
from _fixtures import make_window
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication

from app.project.examples import DEFAULT_EXAMPLE
from app.project.runs import RunRecord
from app.ui.window_parts import first_window_geometry

LAPTOP = QRect(0, 0, 1366, 768 - 28)  # a 1366x768 screen less a panel
LAYOUT_SETTLE_MS = 300  # a shown page's size reaches the main window in several posted steps


@pytest.fixture
def win(qtbot, tmp_path, isolated_settings, no_dangling_qthreads, errors):
    """A shown MainWindow at a 1366x768 screen's size (Keras is not needed here)."""
    window = make_window(qtbot, tmp_path / "recovery", errors)
    window.setGeometry(first_window_geometry(LAPTOP))
    qtbot.waitUntil(lambda: window.height() <= LAPTOP.height())
    yield window
    window.shutdown()


def _global_rect(widget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def _scroll(view) -> tuple[int, int]:
    return view.horizontalScrollBar().value(), view.verticalScrollBar().value()


def _assert_centred_on_canvas(window) -> None:
    hint, canvas = _global_rect(window.empty_hint), _global_rect(window.view.viewport())
    assert window.empty_hint.isVisible()
    assert canvas.contains(hint), (hint, canvas)
    assert abs(hint.center().x() - canvas.center().x()) <= 1
    assert abs(hint.center().y() - canvas.center().y()) <= 1


def test_the_hint_is_centred_on_the_canvas_after_new(win, qtbot) -> None:
    assert win.open_example(DEFAULT_EXAMPLE)
    qtbot.waitUntil(lambda: win.view.zoom() != 1.0)  # the example is fitted (show_start)
    win.view.centerOn(2000, 1500)  # the user pans away, then clicks the canvas
    viewport = win.view.viewport()
    qtbot.mouseMove(viewport, QPoint(600, 300))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=QPoint(600, 300))
    before = _scroll(win.view)
    win.new_document()  # Ctrl+N
    # show_start, a turn later, resets the zoom around the mouse and scrolls to the origin.
    qtbot.waitUntil(lambda: _scroll(win.view) != before and win.view.zoom() == 1.0)
    QApplication.processEvents()
    _assert_centred_on_canvas(win)


def test_the_hint_stays_put_while_the_empty_canvas_is_panned(win, qtbot) -> None:
    win.new_document()
    QApplication.processEvents()
    _assert_centred_on_canvas(win)
    placed = _global_rect(win.empty_hint)
    before = _scroll(win.view)
    win.view.centerOn(-3000, 900)
    assert _scroll(win.view) != before
    QApplication.processEvents()
    assert _global_rect(win.empty_hint) == placed


def _docks(window) -> dict[str, QRect]:
    return {
        "panels": window.panels_dock.geometry(),
        "inspector": window.inspector_dock.geometry(),
        "palette": window.palette_dock.geometry(),
    }


def test_listing_a_run_does_not_move_the_docks(win, qtbot) -> None:
    assert win.open_example(DEFAULT_EXAMPLE)
    panel = win.show_training_panel()
    qtbot.waitUntil(lambda: win.panels_dock.height() > 200)
    qtbot.wait(LAYOUT_SETTLE_MS)
    before = _docks(win)
    # The inspector runs the full height on the right; the bottom panels end at its left edge.
    assert before["panels"].right() < before["inspector"].left()
    runs = panel.runs
    # A saved project in a folder of its own: its runs folder path is long.
    folder = runs.runs_dir.parent / "experiments" / "handwritten-digits-classifier-comparison"
    record = RunRecord(
        id="20261206-022233",
        path=str(folder / "20261206-022233"),
        started="2026-12-06T02:22:33+00:00",
        status="completed",
        duration_s=3.5,
        epochs_done=20,
        summary="Adam lr 0.001, batch 32, 20 epochs, 1438 samples, validation split 0.2",
        best_metrics={"val_accuracy": 0.9721, "val_loss": 0.195, "accuracy": 0.9089, "loss": 0.3},
    )
    runs.refresh(folder, records=[record])
    panel.tabs.setCurrentWidget(runs)  # the Runs sub-tab
    qtbot.waitUntil(runs.isVisible)
    qtbot.wait(LAYOUT_SETTLE_MS)
    assert _docks(win) == before
    assert runs.table.topLevelItemCount() == 1
    assert str(folder) in runs.folder.toolTip()  # the whole path, however narrow the label
