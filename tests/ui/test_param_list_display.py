"""A Normalization node's mean and variance (one number per feature) stay compact in the inspector:
the form keeps its width, the text is not cut, and the tooltip sums the list up."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from app.model import ModelGraph
from app.project.standardise import NORMALIZATION
from app.ui.param_editors import list_summary

FEATURES = 3072  # a flattened 32x32x3 image: its JSON text is longer than Qt's default limit


@pytest.fixture
def inspector(qtbot):
    from app.ui.inspector import Inspector

    g = ModelGraph()
    x = g.add_node("keras.Input", name="x", params={"shape": [FEATURES]})
    mean = [float(f"{i * 0.000123456789 - 1.5:.9g}") for i in range(FEATURES)]
    norm = g.add_node(
        NORMALIZATION, name="norm", params={"mean": mean, "variance": [2.5] * FEATURES}
    )
    g.connect(x, norm)
    view = Inspector()
    qtbot.addWidget(view)
    view.resize(360, 600)
    view.set_context(g, QUndoStack(view))
    view.show()
    qtbot.waitExposed(view)
    return view, g, x, norm, mean


def test_long_lists_stay_compact_and_whole(qtbot, inspector):
    view, g, x, norm, mean = inspector
    view.set_node(x)
    narrow = view.widget().sizeHint().width()
    view.set_node(norm)
    editor = view.editors["mean"]
    assert view.widget().sizeHint().width() <= max(narrow, 360)
    assert editor.editor.cursorPosition() == 0
    assert editor.value() == mean  # the whole list reads back, nothing cut at 32767 characters
    assert len(editor.editor.text()) > 32767
    assert f"{FEATURES} values from -1.5 to" in editor.editor.toolTip()
    # Leaving the field unchanged is no edit.
    editor.committed.emit()
    assert view._stack.count() == 0 and g.node(norm).params["mean"] == mean


def test_list_summary_words():
    assert list_summary([1.0, 2.0]) == ""
    assert list_summary(list(range(10))) == "10 values from 0 to 9"
    assert list_summary(["a"] * 9) == "9 values"
    assert list_summary("text") == ""
