"""Dropping a Keras script on the window: nothing runs until the user trusts it; then the
script's model opens as a new unsaved project with its settings and data."""

from __future__ import annotations

import warnings
from pathlib import Path

from _fixtures import errors, window  # noqa: F401 (fixtures)
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
SCRIPT = SCRIPTS / "sequential_cnn.py"
RUN_TIMEOUT = 180_000


def drop(win, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    with warnings.catch_warnings():  # the only QDragEnterEvent constructor takes a QPoint
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(
            QPoint(50, 50),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    QApplication.sendEvent(win.view.viewport(), enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(win.view.viewport(), event)
    assert event.isAccepted()


def test_a_dropped_script_runs_only_once_trusted(window, qtbot, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data_home"))
    marker = tmp_path / "ran.txt"
    script = tmp_path / "marked.py"
    script.write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n" + SCRIPT.read_text(), encoding="utf-8"
    )
    asked: list[Path] = []
    answer = [False]

    def ask(path: Path) -> bool:
        asked.append(path)
        return answer[0]

    window.ask_trust_script = ask
    before = window.document
    drop(window, script)
    qtbot.waitUntil(lambda: asked == [script], timeout=5000)
    qtbot.wait(300)
    assert not marker.exists()  # refused: nothing ran
    assert window.document is before

    answer[0] = True
    drop(window, script)
    qtbot.waitUntil(lambda: window.document is not before, timeout=180_000)
    assert marker.exists()
    project = window.document.project
    assert window.document.is_dirty and window.document.path is None
    assert [n.name for n in project.graph.nodes()][-1] == "label"
    assert project.training.batch_size == 16 and project.training.optimizer == "RMSprop"
    data = Path(project.data.options["path"])
    assert data.is_file() and data.is_relative_to(tmp_path / "data_home")
    qtbot.waitUntil(lambda: window.script_worker is None, timeout=10_000)


def trust_when_asked(qtbot, seen: list) -> QTimer:
    """Click "Trust and run" in the real trust dialog once it is shown (it runs modally)."""
    from app.ui.script_open import ScriptTrustDialog

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, ScriptTrustDialog):
            seen.append(dialog.windowTitle())
            timer.stop()
            qtbot.mouseClick(dialog.trust_button, Qt.MouseButton.LeftButton)

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(50)
    return timer


def train_in_panel(win, qtbot) -> dict:
    """Press Start in the Training panel and wait for the run to end; its result."""
    panel = win.show_training_panel()
    qtbot.mouseClick(panel.start_btn, Qt.MouseButton.LeftButton)
    assert panel.is_running
    qtbot.waitUntil(lambda: not panel.is_running, timeout=RUN_TIMEOUT)
    return panel.last_result


def test_a_dropped_script_trains_in_the_panel_and_saves_as_a_project_that_trains(
    window,  # noqa: F811
    qtbot,
    tmp_path,
    monkeypatch,
    errors,  # noqa: F811
):
    """custom_code.py: a custom layer, metric ("rmse"), loss and callback. Dropped, trusted in
    the dialog, trained from the Training panel on the data the script gave fit, with the
    script's metric in the plots; Save As writes a project that reopens and trains."""
    import json

    from app.compiler.custom_code import forget_trust

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data_home"))
    script = tmp_path / "custom_code.py"
    script.write_text((SCRIPTS / "custom_code.py").read_text(encoding="utf-8"), encoding="utf-8")
    seen: list[str] = []
    timer = trust_when_asked(qtbot, seen)
    before = window.document
    drop(window, script)
    qtbot.waitUntil(lambda: window.document is not before, timeout=RUN_TIMEOUT)
    timer.stop()
    assert seen == ["Run custom_code.py?"]
    qtbot.waitUntil(lambda: window.script_worker is None, timeout=10_000)
    doc = window.document
    assert doc.path is None and doc.is_dirty and doc.origin == "script"
    assert window.windowTitle().endswith("custom_code*"), window.windowTitle()
    project = doc.project
    assert [n.name for n in project.graph.nodes()] == ["features", "scaled", "hidden", "value"]
    data = Path(project.data.options["path"])
    assert data.is_file() and data.is_relative_to(tmp_path / "data_home" / "LayerLoom")

    result = train_in_panel(window, qtbot)
    assert result["status"] == "completed", (result, errors)
    assert not errors
    cards = window.training_panel.plots.cards
    assert "rmse" in cards, sorted(cards)
    xs, _ = cards["rmse"].curves["validation"].getData()
    assert list(xs) == [1.0, 2.0, 3.0]  # the script's epochs=3, its validation_split
    folder = Path(result["record"]["path"])
    settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
    assert Path(settings["data"]["options"]["path"]) == data

    saved = tmp_path / "saved" / "mine.llproj"
    saved.parent.mkdir()
    assert window.save_to(saved)
    assert window.document.path == saved and not window.document.is_dirty
    assert window.windowTitle().endswith("mine.llproj"), window.windowTitle()

    forget_trust()  # as in a new session: the saved code is trusted again before it runs
    window.new_document()
    assert window.open_path(saved)
    assert window.trust_banner.isVisible()
    window.trust_banner.trust_all()
    reopened = window.document.project
    assert Path(reopened.data.options["path"]) == data
    assert {c.name for c in reopened.code} >= {"RunningRMSE", "heavy_mse", "LossHistory"}
    result = train_in_panel(window, qtbot)
    assert result["status"] == "completed", (result, errors)
    assert Path(result["record"]["path"]).is_relative_to(saved.parent)
    assert "rmse" in window.training_panel.plots.cards
