"""Data panel: "Standardise in the model" puts Normalization nodes with the training statistics into
the model and turns the data's standardisation off, as one undo step; exports of a project that
keeps standardising outside the model say that the model expects standardised input."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from app.model import graph_to_dict
from app.project.examples import example_path
from app.project.standardise import NORMALIZATION

LOAD_MS = 60_000


@pytest.fixture
def doc(qapp):
    from app.ui.document import Document

    d = Document.open_project(example_path("digits_mlp"), origin="example")
    data = d.project.data.to_dict()
    d.project.data = d.project.data.from_dict({**data, "normalization": "standard"})
    return d


@pytest.fixture
def panel(qtbot, doc, no_dangling_qthreads):  # noqa: F405
    from app.ui.data.panel import DataPanel

    p = DataPanel()
    qtbot.addWidget(p)
    p.resize(1300, 520)
    p.set_document(doc)
    p.show()
    qtbot.waitExposed(p)
    qtbot.waitUntil(lambda: p.dataset is not None and not p.runner.busy, timeout=LOAD_MS)
    yield p
    p.shutdown()


def snapshot(doc) -> str:
    p = doc.project
    return json.dumps({"data": p.data.to_dict(), "graph": graph_to_dict(p.graph)}, sort_keys=True)


def norm_nodes(doc):
    return [n for n in doc.graph.nodes() if n.spec_id == NORMALIZATION]


def test_standardise_in_the_model_is_one_undo_step(qtbot, panel, doc):
    from app.data import load_dataset
    from app.data.feature_stats import feature_statistics

    stack = doc.undo_stack
    before, count = snapshot(doc), stack.count()
    assert panel.norm_note.isVisible()
    assert "expects standardised input" in panel.norm_note.text()
    messages: list[str] = []
    panel.status_message.connect(messages.append)

    qtbot.mouseClick(panel.standardise_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(norm_nodes(doc)) and not panel.runner.busy, timeout=LOAD_MS)

    assert stack.count() == count + 1
    assert doc.project.data.normalization == "none"
    assert panel.normalization.currentData() == "none"
    assert "Standardised inside the model" in panel.norm_note.text()
    assert panel.standardise_button.isEnabled()
    (norm,) = norm_nodes(doc)
    x_id = doc.graph.inputs[0]
    assert doc.graph.successors(x_id) == [norm.id]
    raw = load_dataset({**doc.project.data_config().to_dict(), "normalization": "none"})
    expected = feature_statistics(raw.x["x"])
    assert norm.params["mean"] == expected.mean and norm.params["variance"] == expected.variance
    assert any("Standardised inside the model" in m for m in messages)

    stack.undo()
    assert snapshot(doc) == before
    qtbot.waitUntil(lambda: panel.normalization.currentData() == "standard", timeout=LOAD_MS)
    assert "expects standardised input" in panel.norm_note.text()
    stack.redo()
    assert len(norm_nodes(doc)) == 1 and doc.project.data.normalization == "none"
    qtbot.waitUntil(lambda: not panel.runner.busy and not panel.loading, timeout=LOAD_MS)


def test_a_second_press_updates_the_same_node(qtbot, panel, doc):
    panel.standardise_in_model()
    qtbot.waitUntil(lambda: bool(norm_nodes(doc)) and not panel.runner.busy, timeout=LOAD_MS)
    qtbot.waitUntil(lambda: not panel.loading and not panel._load_timer.isActive(), timeout=LOAD_MS)
    count = doc.undo_stack.count()
    assert panel.standardise_in_model()  # the data is raw now: its statistics come straight
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=LOAD_MS)
    assert len(norm_nodes(doc)) == 1
    assert doc.undo_stack.count() == count + 1


def test_an_autoencoder_keeps_its_data_normalisation(qtbot, panel, doc):
    panel.target.setCurrentIndex(panel.target.findData("inputs"))
    assert not panel.standardise_button.isEnabled()
    count = doc.undo_stack.count()
    assert not panel.standardise_in_model()
    assert doc.undo_stack.count() == count and not norm_nodes(doc)
    assert "autoencoder" in panel.norm_note.text()


def test_export_says_the_model_expects_standardised_input(qtbot, tmp_path, window, errors):
    win = window
    assert win.open_path(example_path("digits_mlp"), origin="example")
    doc = win.document
    data = doc.project.data.to_dict()
    doc.project.data = doc.project.data.from_dict({**data, "normalization": "standard"})
    assert win.export_keras(tmp_path / "a.keras")
    assert "expects standardised input" in win.statusBar().currentMessage()
    doc.project.data = doc.project.data.from_dict({**data, "normalization": "none"})
    assert win.export_keras(tmp_path / "b.keras")
    assert "expects" not in win.statusBar().currentMessage()
    doc.project.data = doc.project.data.from_dict({**data, "normalization": "minmax"})
    assert win.exporter.export("keras", tmp_path / "c.keras")
    qtbot.waitUntil(lambda: not win.exporter.busy, timeout=LOAD_MS)
    message = win.statusBar().currentMessage()
    assert "c.keras" in message and "expects scaled input" in message
    assert errors == []
