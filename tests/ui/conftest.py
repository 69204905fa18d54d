"""Fixtures for the canvas tests: an offscreen QApplication (via pytest-qt), a scene and its view."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from _fixtures import errors, isolated_settings, no_dangling_qthreads, window  # noqa: E402, F401
from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent, QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.model import ModelGraph  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _release_clipboard_at_the_end(qapp):
    """What the app does on quit: copied layers must not outlive the interpreter (Qt would
    delete them in a static destructor after Python has shut down, and crash)."""
    yield
    from app.ui.canvas.clipboard import release_clipboard

    release_clipboard()


@pytest.fixture
def graph() -> ModelGraph:
    return ModelGraph("digits_mlp")


@pytest.fixture
def stack(qapp) -> QUndoStack:
    return QUndoStack()


@pytest.fixture
def scene(qapp, graph, stack):
    from app.ui.canvas.scene import GraphScene

    sc = GraphScene(graph, stack)
    yield sc
    sc.dispose()


@pytest.fixture
def view(qtbot, scene):
    from app.ui.canvas.view import CanvasView

    v = CanvasView(scene)
    qtbot.addWidget(v)
    v.resize(1400, 800)
    v.show()
    qtbot.waitExposed(v)
    v.centerOn(600, 200)
    return v


def _send(view, kind: QEvent.Type, local: QPointF, button, buttons, modifiers) -> None:
    vp = view.viewport()
    event = QMouseEvent(
        kind, local, QPointF(vp.mapToGlobal(local.toPoint())), button, buttons, modifiers
    )
    QApplication.sendEvent(vp, event)


def mouse_drag(
    view,
    start: QPointF,
    end: QPointF,
    modifiers=Qt.KeyboardModifier.NoModifier,
    button=Qt.MouseButton.LeftButton,
    steps: int = 4,
) -> None:
    """Press at `start`, move in steps, release at `end` (scene coordinates), as a user would.

    The points are mapped to the viewport once, at the press, like a hand on a mouse.
    """
    nobtn = Qt.MouseButton.NoButton
    start, end = QPointF(view.mapFromScene(start)), QPointF(view.mapFromScene(end))
    _send(view, QEvent.Type.MouseButtonPress, start, button, button, modifiers)
    for i in range(1, steps + 1):
        t = i / steps
        p = QPointF(start.x() + (end.x() - start.x()) * t, start.y() + (end.y() - start.y()) * t)
        _send(view, QEvent.Type.MouseMove, p, nobtn, button, modifiers)
    _send(view, QEvent.Type.MouseButtonRelease, end, button, nobtn, modifiers)


def mouse_click(view, pos: QPointF, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    left, nobtn = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    pos = QPointF(view.mapFromScene(pos))
    _send(view, QEvent.Type.MouseButtonPress, pos, left, left, modifiers)
    _send(view, QEvent.Type.MouseButtonRelease, pos, left, nobtn, modifiers)


@pytest.fixture
def drag():
    """The `mouse_drag(view, start, end, ...)` helper."""
    return mouse_drag


@pytest.fixture
def click():
    """The `mouse_click(view, pos, ...)` helper."""
    return mouse_click
