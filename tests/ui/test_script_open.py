"""Dropping a Keras script on the window: nothing runs until the user trusts it; then the
script's model opens as a new unsaved project with its settings and data."""

from __future__ import annotations

import warnings
from pathlib import Path

from _fixtures import errors, window  # noqa: F401 (fixtures)
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "sequential_cnn.py"


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
