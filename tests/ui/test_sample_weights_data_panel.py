"""The Data panel sets sample weights: an .npz array picked 'sample weights' in the arrays table
(undoable), shown as their own row under the shapes, never as an input or target."""

from __future__ import annotations

import numpy as np
from test_data_panel import doc, panel, wait_loaded  # noqa: F401 (fixtures)


def _shapes(data_panel) -> dict[tuple[str, str], str]:
    t = data_panel.shapes
    return {
        (t.item(r, 0).text(), t.item(r, 1).text()): t.item(r, 3).text() for r in range(t.rowCount())
    }


def test_an_array_picked_as_sample_weights_is_saved_undoably(qtbot, panel, tmp_path, doc):  # noqa: F811
    np.savez(tmp_path / "d.npz", x=np.ones((50, 64), "float32"), y=np.arange(50) % 10,
             w=np.linspace(0, 1, 50))  # fmt: skip
    panel.select_source("numpy")
    form = panel.form
    assert "weights" not in form.editors  # the arrays table edits it
    form.editors["path"].set_value(str(tmp_path / "d.npz"))
    form.editors["path"].changed.emit()
    wait_loaded(qtbot, panel, lambda ds: "x" in ds.x and "w" not in ds.x)  # w: no role yet
    rows = {form.arrays.item(r, 0).text(): r for r in range(form.arrays.rowCount())}
    combo = form.arrays.cellWidget(rows["w"], 3)
    assert "sample weights" in [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentText("sample weights")
    wait_loaded(qtbot, panel, lambda ds: ds.sample_weight is not None)
    assert doc.project.data.options["weights"] == "w"
    assert "w" not in doc.project.data.options["x"]
    assert "w" not in panel.dataset.x and "w" not in panel.dataset.y
    assert _shapes(panel)[("train", "sample weights")] == "(40,)"
    assert _shapes(panel)[("validation", "sample weights")] == "(10,)"
    doc.undo_stack.undo()  # data edits in a row merge into one step
    assert not doc.project.data.options.get("weights")


def test_validation_sample_weights_have_their_role_in_the_arrays_table(qtbot, panel, tmp_path, doc):  # noqa: F811
    """An imported script's .npz: its validation samples' weights are an array role too."""
    np.savez(tmp_path / "d.npz", x=np.ones((20, 3), "float32"), y=np.ones((20, 1), "float32"),
             val_x=np.ones((6, 3), "float32"), val_y=np.ones((6, 1), "float32"),
             w=np.linspace(0, 1, 20), val_w=np.linspace(1, 2, 6))  # fmt: skip
    options = {"path": str(tmp_path / "d.npz"), "x": ["x"], "y": ["y"], "x_val": ["val_x"],
               "y_val": ["val_y"], "weights": "w", "weights_val": "val_w"}  # fmt: skip
    panel.select_source("numpy")
    form = panel.form
    assert "weights_val" not in form.editors  # the arrays table edits it
    form.editors["path"].set_value(options["path"])
    form.editors["path"].changed.emit()
    wait_loaded(qtbot, panel, lambda ds: "x" in ds.x)
    form.set_values(options)
    rows = {form.arrays.item(r, 0).text(): r for r in range(form.arrays.rowCount())}
    role = {n: form.arrays.cellWidget(r, 3).currentText() for n, r in rows.items()}
    assert role["val_w"] == "validation sample weights" and role["w"] == "sample weights"
    assert {k: form.values()[k] for k in options if k != "path"} == {
        k: v for k, v in options.items() if k != "path"
    }
    form.arrays.cellWidget(rows["val_w"], 3).setCurrentText("—")
    assert form.values()["weights_val"] == ""
