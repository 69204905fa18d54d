"""Data panel: sources load off the GUI thread, shapes / class balance / preview, CSV columns,
fitting the model to the data in one undo step, mismatches in words."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.model import commands as cmds
from app.project.examples import example_path

LOAD_MS = 60_000


@pytest.fixture
def doc(qapp):
    from app.ui.document import Document

    return Document.open_project(example_path("digits_mlp"), origin="example")


@pytest.fixture
def panel(qtbot, doc, no_dangling_qthreads):  # noqa: F405
    from app.ui.data.panel import DataPanel

    p = DataPanel()
    qtbot.addWidget(p)
    p.resize(1300, 420)
    p.set_document(doc)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()


def wait_loaded(qtbot, panel, check=lambda ds: True) -> None:
    qtbot.waitUntil(
        lambda: (
            panel.dataset is not None
            and not panel.loading
            and not panel._load_timer.isActive()
            and check(panel.dataset)
        ),
        timeout=LOAD_MS,
    )


def wait_checked(qtbot, panel) -> None:
    qtbot.waitUntil(
        lambda: (
            not panel.runner.busy
            and not panel._check_timer.isActive()
            and not panel._load_timer.isActive()
        ),
        timeout=LOAD_MS,
    )


def test_digits_images_show_shapes_balance_and_preview(qtbot, panel, doc):
    panel.select_source("sklearn.digits_images")
    wait_loaded(qtbot, panel, lambda ds: ds.x["x"].ndim == 4)
    ds = panel.dataset
    assert ds.x["x"].shape[1:] == (8, 8, 1)
    shapes = {
        (panel.shapes.item(r, 0).text(), panel.shapes.item(r, 1).text()): panel.shapes.item(
            r, 3
        ).text()
        for r in range(panel.shapes.rowCount())
    }
    assert shapes[("train", "input")] == f"({ds.num_samples}, 8, 8, 1)"
    assert shapes[("validation", "target")] == f"({ds.num_val_samples},)"
    assert len(panel.balance.values) == 10 and sum(panel.balance.values) == ds.num_samples
    assert panel.preview_stack.currentIndex() == 0 and panel.image_grid.count == 24
    assert set(panel.image_grid.captions()) <= {str(i) for i in range(10)}
    # 1,797 digits split 80/20; counts are written with thousands separators
    assert panel.title.text() == (
        "Digits (8x8x1 images) — 1,438 training, 359 validation samples · classification"
    )
    # saved in the project's data settings and the document is dirty
    assert doc.project.data.source == "sklearn.digits_images"
    assert doc.is_dirty


def test_csv_source_with_picked_columns(qtbot, panel, tmp_path, doc):
    path = tmp_path / "animals.csv"
    rows = ["height,colour,weight,notes,kind"]
    for i in range(40):
        colour = ["red", "green", ""][i % 3]
        weight = "" if i == 5 else str(10 + i % 7)
        rows.append(f"{1.0 + i * 0.1:.1f},{colour},{weight},n{i},{'cat' if i % 2 else 'dog'}")
    path.write_text("\n".join(rows) + "\n")
    panel.select_source("csv")
    form = panel.form
    form.editors["path"].set_value(str(path))
    form.editors["path"].changed.emit()
    assert form.target.currentText() == "kind"
    info = {
        form.features.item(i).data(Qt.ItemDataRole.UserRole): form.features.item(i).text()
        for i in range(form.features.count())
    }
    assert "categorical, 2 values, 13 missing" in info["colour"]
    assert "numeric, 1 missing" in info["weight"]
    assert info["notes"] == "notes  (text, 40 values)"  # a different value in every row
    assert form.columns_table.columnCount() == 5
    # leave out the free-text column
    for i in range(form.features.count()):
        item = form.features.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == "notes":
            item.setCheckState(Qt.CheckState.Unchecked)
    wait_loaded(qtbot, panel, lambda ds: ds.feature_names and "notes=n0" not in ds.feature_names)
    ds = panel.dataset
    assert ds.feature_names == ["height", "colour=green", "colour=red", "weight"]
    assert ds.class_names == {"y": ["cat", "dog"]}
    assert panel.preview_stack.currentIndex() == 1
    assert panel.preview_table.columnCount() == 5 and panel.preview_table.rowCount() == 24
    assert "missing values filled" in panel.notes.text()
    assert doc.project.data.options["features"] == ["height", "colour", "weight"]


def test_csv_text_columns_are_labelled_text_and_categories_categorical(qtbot, panel):
    from app.project.examples import examples_dir

    panel.select_source("csv")
    form = panel.form
    form.editors["path"].set_value(str(examples_dir() / "data" / "tickets.csv"))
    form.editors["path"].changed.emit()
    info = {
        form.features.item(i).data(Qt.ItemDataRole.UserRole): form.features.item(i).text()
        for i in range(form.features.count())
    }
    assert info["body"].startswith("body  (text, ")  # feeds a TextVectorization
    assert info["title"].startswith("title  (text, ")
    assert info["tags"].startswith("tags  (text, ")  # 81 tag lists: the example vectorizes them
    assert info["department"] == "department  (categorical, 4 values)"  # a StringLookup
    assert info["priority"] == "priority  (numeric)"


def test_the_target_picker_takes_several_columns_undoably(qtbot, panel, doc):
    from app.project.examples import examples_dir

    panel.select_source("csv")
    form = panel.form
    form.editors["path"].set_value(str(examples_dir() / "data" / "tickets.csv"))
    form.editors["path"].changed.emit()
    wait_loaded(qtbot, panel, lambda ds: len(ds.y) == 1)
    entries = {a.text(): a for a in form.target_menu.actions()}
    assert [n for n, a in entries.items() if a.isChecked()] == ["difficulty"]
    stack = doc.undo_stack

    entries["department"].trigger()  # tick a second target column
    assert form.target.currentText() == "department, difficulty"  # in the file's order
    assert doc.project.data.options["target"] == "department, difficulty"
    features = [form.features.item(i).data(Qt.ItemDataRole.UserRole) for i in range(form.features.count())]  # fmt: skip
    assert "department" not in features and "difficulty" not in features
    wait_loaded(qtbot, panel, lambda ds: sorted(ds.y) == ["department", "difficulty"])
    # Undoable like every edit of the form (consecutive ones of the form are one step).
    stack.undo()
    assert doc.project.data.options.get("target") != "department, difficulty"
    stack.redo()
    assert doc.project.data.options["target"] == "department, difficulty"
    form = panel.form  # the form shows the project's settings again
    entries = {a.text(): a for a in form.target_menu.actions()}
    assert form.target.currentText() == "department, difficulty"
    assert [n for n, a in entries.items() if a.isChecked()] == ["department", "difficulty"]

    entries["difficulty"].trigger()  # untick: one target again
    assert doc.project.data.options["target"] == "department"
    entries["department"].trigger()  # the last target cannot be unticked
    assert entries["department"].isChecked()
    assert doc.project.data.options["target"] == "department"


def test_fit_model_to_data_is_one_undo_step(qtbot, panel, doc):
    graph = doc.graph
    inp = graph.node_by_name("digits")
    out = graph.node_by_name("digit")
    assert inp.params["shape"] == [64] and out.params["units"] == 10
    panel.select_source("sklearn.breast_cancer")
    wait_loaded(qtbot, panel, lambda ds: ds.x["x"].shape[1] == 30)
    wait_checked(qtbot, panel)
    assert panel.banner.isVisible()
    assert "shape (30,)" in panel.banner_text.text()
    assert any("expects shape" in p for p in panel.problems)
    depth = doc.undo_stack.count()
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert doc.undo_stack.count() == depth + 1
    assert graph.node_by_name("digits").params["shape"] == [30]
    dense = graph.node_by_name("digit")
    assert dense.params["units"] == 1 and dense.params["activation"] == "sigmoid"
    assert doc.project.training.losses["digit"] == "binary_crossentropy"
    wait_checked(qtbot, panel)
    assert panel.problems == [] and "fits the model" in panel.compat.text()
    assert not panel.banner.isVisible()
    doc.undo_stack.undo()
    assert graph.node_by_name("digits").params["shape"] == [64]
    assert graph.node_by_name("digit").params["units"] == 10
    assert doc.project.training.losses["digit"] == "sparse_categorical_crossentropy"
    doc.undo_stack.redo()
    assert graph.node_by_name("digits").params["shape"] == [30]
    wait_checked(qtbot, panel)


def test_wrong_input_shape_is_reported_in_words(qtbot, panel, doc):
    panel.select_source("sklearn.digits")
    wait_loaded(qtbot, panel, lambda ds: ds.x["x"].ndim == 2)
    wait_checked(qtbot, panel)
    assert panel.problems == []
    inp = doc.graph.node_by_name("digits")
    from app.ui.undo import push

    push(doc.undo_stack, doc.graph, cmds.update_node(doc.graph, inp.id, params={"shape": [10]}))
    qtbot.waitUntil(lambda: any("expects shape" in p for p in panel.problems), timeout=LOAD_MS)
    assert "Input 'digits' expects shape (None, 10)" in panel.compat.text()
    assert panel.banner.isVisible() and "shape (64,)" in panel.banner_text.text()
    wait_checked(qtbot, panel)


def test_keras_dataset_not_downloaded_says_so(
    qtbot, tmp_path, monkeypatch, doc, no_dangling_qthreads
):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras_home"))
    from app.ui.data.panel import DataPanel

    p = DataPanel()
    qtbot.addWidget(p)
    p.set_document(doc)
    index = p.source_combo.findData("keras.cifar10")
    assert "not downloaded" in p.source_combo.itemText(index)
    p.select_source("keras.cifar10")
    qtbot.waitUntil(lambda: not p.runner.busy, timeout=LOAD_MS)
    assert "Not downloaded; needs network" in p.availability.text()
    assert p.dataset is None and not p._load_timer.isActive()  # nothing is downloaded unasked
    p.shutdown()


def test_main_window_data_tab_and_model_export(qtbot, window, errors, tmp_path, monkeypatch):
    """The Data tab loads the project's data when opened; File > Export writes model weights."""
    from _fixtures import KERAS_TIMEOUT_MS
    from PySide6.QtWidgets import QFileDialog

    from app.ui.document import Document

    win = window
    win.set_document(Document.open_project(example_path("digits_mlp"), origin="example"))
    assert win.tabs.indexOf(win.data_panel) >= 0 and win.tabs.indexOf(win.evaluation) >= 0
    win.tabs.setCurrentWidget(win.data_panel)
    wait_loaded(qtbot, win.data_panel)
    assert win.data_panel.image_grid.count or win.data_panel.preview_table.rowCount()
    wait_checked(qtbot, win.data_panel)
    # edits made while the Data tab is hidden are checked when it is shown again
    win.tabs.setCurrentIndex(0)
    from app.ui.undo import push

    graph = win.document.graph
    inp = graph.node_by_name("digits")
    push(win.document.undo_stack, graph, cmds.update_node(graph, inp.id, params={"shape": [7]}))
    qtbot.wait(900)
    assert not win.data_panel.runner.busy and win.data_panel.problems == []
    win.tabs.setCurrentWidget(win.data_panel)
    qtbot.waitUntil(
        lambda: any("expects shape" in p for p in win.data_panel.problems), timeout=KERAS_TIMEOUT_MS
    )
    texts = {a.text() for a in win.exporter.actions.values()}
    assert texts == {
        "Trained model (.keras)…",
        "Keras weights (.weights.h5)…",
        "TensorFlow SavedModel (folder)…",
        "TensorFlow Lite (.tflite)…",
        "ONNX (.onnx)…",
    }
    target = tmp_path / "model.weights.h5"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    win.exporter.actions["weights"].trigger()
    qtbot.waitUntil(lambda: not win.exporter.busy, timeout=KERAS_TIMEOUT_MS)
    assert errors == [] and target.is_file() and target.stat().st_size > 1000
    assert "Exported the untrained model built from the graph" in win.statusBar().currentMessage()


def test_image_folder_source(qtbot, panel, tmp_path):
    from PySide6.QtGui import QColor, QImage

    for cls, colour in (("red", "#d04040"), ("blue", "#3050d0")):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(3):
            img = QImage(12, 10, QImage.Format.Format_RGB32)
            img.fill(QColor(colour))
            img.save(str(tmp_path / "imgs" / cls / f"{i}.png"))
    panel.select_source("image_folder")
    form = panel.form
    form.editors["image_size"].set_value([16, 16])
    form.editors["path"].set_value(str(tmp_path / "imgs"))
    form.editors["path"].changed.emit()
    wait_loaded(qtbot, panel, lambda ds: ds.x["x"].shape[1:] == (16, 16, 3))
    assert panel.dataset.class_names == {"y": ["blue", "red"]}
    assert panel.image_grid.count == 5  # 6 images, 1 held out for validation
    assert sorted(panel.balance.values) == [2, 3]


def test_synthetic_data_from_the_model(qtbot, panel, doc):
    panel.select_source("synthetic")
    panel.form.editors["num_samples"].setValue(40)
    wait_loaded(qtbot, panel, lambda ds: ds.num_samples + ds.num_val_samples == 40)
    ds = panel.dataset
    assert ds.x["digits"].shape[1:] == (64,)
    assert "Generated from the model" in panel.availability.text()
    wait_checked(qtbot, panel)
    assert panel.problems == [] and not panel.banner.isVisible()


def test_fit_to_data_shows_in_the_training_settings_and_example_data_resolves(qtbot, window):
    """The loss that "Fit model to data" picks appears in the Training tab's form; an example's
    relative data file resolves next to the bundled example."""
    from pathlib import Path

    from app.ui.document import Document

    win = window
    win.set_document(Document.open_project(example_path("conv_autoencoder"), origin="example"))
    data = win.document.project.data_config()
    files = [v for v in data.to_dict()["options"].values() if isinstance(v, str) and "." in v]
    assert files and all(Path(f).is_file() for f in files)

    win.set_document(Document.open_project(example_path("digits_mlp"), origin="example"))
    panel = win.data_panel
    win.tabs.setCurrentWidget(panel)
    panel.select_source("sklearn.breast_cancer")
    wait_loaded(qtbot, panel, lambda ds: ds.x["x"].shape[1] == 30)
    wait_checked(qtbot, panel)
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert win.training_panel.form.config()["losses"]["digit"] == "binary_crossentropy"
    win.document.undo_stack.undo()
    assert win.training_panel.form.config()["losses"]["digit"] == "sparse_categorical_crossentropy"


def test_k_fold_validation_is_an_undoable_setting_with_its_own_row(qtbot, panel, doc):
    form = panel.settings_form
    assert form.isRowVisible(panel.split) and not form.isRowVisible(panel.folds)
    panel.validation.setCurrentIndex(panel.validation.findData("kfold"))
    assert doc.project.data.validation == "kfold" and doc.project.data.folds == 5
    assert form.isRowVisible(panel.folds) and not form.isRowVisible(panel.split)
    panel.folds.setValue(3)
    assert doc.project.data.folds == 3
    wait_loaded(qtbot, panel, lambda ds: ds.num_val_samples > 0)
    assert panel.dataset.num_val_samples in (1797 // 3, 1797 // 3 + 1)  # one fold's part
    doc.undo_stack.undo()
    assert doc.project.data.folds == 5 and panel.folds.value() == 5
    doc.undo_stack.undo()
    assert doc.project.data.validation == "split" and not form.isRowVisible(panel.folds)
    wait_checked(qtbot, panel)


def test_csv_options_keep_several_target_columns(qtbot, tmp_path):
    """A project naming two target columns shows them as the target, not the last column."""
    from app.data import SOURCES
    from app.ui.data.options import SourceOptionsForm

    path = tmp_path / "tickets.csv"
    path.write_text(
        "title,priority,team,extra\nrefund,0.2,billing,x\ncrash,0.9,tech,y\n", encoding="utf-8"
    )
    form = SourceOptionsForm(SOURCES["csv"])
    qtbot.addWidget(form)
    form.set_values({"path": str(path), "target": "priority, team", "layout": "columns"})
    values = form.values()
    assert values["target"] == "priority, team"
    features = [form.features.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(form.features.count())]  # fmt: skip
    assert features == ["title", "extra"]  # neither target is offered as a feature
    form.target.setCurrentText("team")  # one column still works as before
    assert form.values()["target"] == "team"


def test_npz_options_use_only_the_arrays_the_project_names(qtbot, tmp_path):
    """A project using 'vectors' of a file that also holds 'images' and 'labels' loads
    'vectors' alone, as the command line does: a name's guessed role does not add it."""
    import numpy as np

    from app.data import SOURCES
    from app.ui.data.options import SourceOptionsForm

    path = tmp_path / "digits.npz"
    np.savez(path, images=np.zeros((4, 2, 2)), vectors=np.zeros((4, 4)), labels=np.zeros(4))
    form = SourceOptionsForm(SOURCES["numpy"])
    qtbot.addWidget(form)
    form.set_values({"path": str(path), "x": ["vectors"], "y": []})
    values = form.values()
    assert (values["x"], values["y"], values["weights"]) == (["vectors"], [], "")
    fresh = SourceOptionsForm(SOURCES["numpy"])  # nothing stored yet: the names guess roles
    qtbot.addWidget(fresh)
    fresh.set_values({"path": str(path)})
    assert (fresh.values()["x"], fresh.values()["y"]) == (["images"], ["labels"])
