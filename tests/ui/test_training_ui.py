"""Training panel: background runs with live plots, stop / pause / resume, errors, exports, runs."""

from __future__ import annotations

import csv
import gc
import weakref
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage

from app.project.examples import example_path
from app.training import list_runs

keras = pytest.importorskip("keras")

RUN_TIMEOUT = 90_000


def _set_data(doc, **changes) -> None:
    data = doc.project.data
    doc.project.data = type(data).from_dict({**data.to_dict(), **changes})


@pytest.fixture
def panel(qtbot, tmp_path, isolated_settings, no_dangling_qthreads, errors):
    """A shown TrainingPanel on the digits MLP example (300 samples) whose questions say yes."""
    from app.ui.document import Document
    from app.ui.training.panel import TrainingPanel

    doc = Document.open_project(example_path("digits_mlp"), origin="example")
    _set_data(doc, max_samples=300)
    p = TrainingPanel()
    p.runs_root = tmp_path / "runs"
    p.show_error = lambda title, message: errors.append((title, message))
    p.ask = lambda title, question: True
    qtbot.addWidget(p)
    p.set_document(doc)
    p.form.refresh_names()
    p.resize(1300, 760)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()


def _wait_done(qtbot, panel) -> dict:
    qtbot.waitUntil(lambda: not panel.is_running, timeout=RUN_TIMEOUT)
    return panel.last_result


def _set_epochs(panel, n: int) -> None:
    panel.form.epochs.setValue(n)


def test_run_feeds_plots_lists_run_and_exports(qtbot, panel, errors, tmp_path):
    _set_epochs(panel, 2)
    # The bar's range as each batch reaches the GUI: the run's "started" event sets it to the
    # run's steps (2 epochs x 8 batches); until that event arrives it is 0..1.
    ranges = []
    panel.batch_received.connect(lambda d: ranges.append(panel.progress.maximum()))
    assert panel.start()
    worker_ref = weakref.ref(panel.worker)
    assert panel.is_running and not panel.start_btn.isEnabled() and panel.stop_btn.isEnabled()
    result = _wait_done(qtbot, panel)
    assert result["status"] == "completed", result
    assert not errors
    # 300 samples, 20 % validation -> 240 training samples -> 8 batches of 32 per epoch.
    assert panel.plots.batches["loss"].n == 16
    assert panel.plots.epochs["loss"].n == 2 and panel.plots.epochs["val_loss"].n == 2
    assert panel.plots.redraws >= 1
    cards = panel.plots.cards
    assert {"batch_loss", "learning_rate", "loss", "accuracy"} <= set(cards)
    xs, ys = cards["loss"].curves["validation"].getData()
    assert len(xs) == 2 and list(xs) == [1.0, 2.0]
    xs, _ = cards["batch_loss"].curves["smoothed"].getData()
    assert len(xs) == 16
    assert len(ranges) == 16 and set(ranges) == {16}, ranges
    assert panel.last_model is not None and panel.worker is None
    gc.collect()
    worker = worker_ref()  # a finished run's worker is deleted and holds nothing big
    assert worker is None or not shiboken6.isValid(worker)
    assert worker is None or (
        worker.project is None and worker.hooks.model is None and worker.model is None
    )
    assert panel.progress.format() == "Done"
    # The runs table shows the finished run.
    runs = list_runs(tmp_path / "runs")
    assert len(runs) == 1 and runs[0].status == "completed"
    assert panel.runs.table.topLevelItemCount() == 1
    assert panel.runs.table.topLevelItem(0).text(1) == "completed"
    assert "val_accuracy" in panel.runs.table.topLevelItem(0).text(4)
    # Exports: PNG, SVG and CSV of a plot.
    card = cards["loss"]
    png, svg, csv_path = (card.export(tmp_path / f"loss.{s}") for s in ("png", "svg", "csv"))
    img = QImage(str(png))
    assert not img.isNull() and img.width() >= 800
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    rows = list(csv.DictReader(open(csv_path, encoding="utf-8")))
    assert {r["series"] for r in rows} == {"training", "validation"}
    assert len(rows) == 4
    assert float(rows[1]["y"]) == pytest.approx(runs[0].final_metrics["loss"])
    with pytest.raises(ValueError):
        card.export(tmp_path / "loss.bmp")
    # Log scale, hover values.
    panel.plots.log_y.setChecked(True)
    assert card.getPlotItem().getAxis("left").logMode
    assert not cards["learning_rate"].getPlotItem().getAxis("left").logMode
    panel.plots.log_y.setChecked(False)
    vb = card.getPlotItem().getViewBox()
    card._hover(vb.mapViewToScene(QPointF(2.0, float(ys[-1]))))
    assert card.vline.isVisible() and "validation:" in card.label.toPlainText()


def test_stop_mid_epoch_within_one_batch(qtbot, panel):
    _set_data(panel.document, max_samples=1500)
    panel.form.batch_size.setValue(4)
    _set_epochs(panel, 3)
    seen = {}

    def on_batch(d):
        if d["batch"] == 3 and "stop_step" not in seen:
            panel.stop()
            seen["stop_step"] = seen["trained"]  # the steps trained when Stop was pressed

    assert panel.start()
    hooks = panel.worker.hooks
    forward = hooks.on_batch  # the training thread's listener: count steps as they end

    def count_steps(d):
        seen["trained"] = d["step"]
        forward(d)

    hooks.on_batch = count_steps  # in place before the run's Trainer is made (it builds first)
    panel.batch_received.connect(on_batch)
    result = _wait_done(qtbot, panel)
    assert result["status"] == "stopped"
    rec = result["record"]
    # Stopped before the end (the GUI sees batch 3 at its next redraw tick, maybe epochs later).
    assert rec["status"] == "stopped" and rec["epochs_done"] < 3
    # Batches after the stop request: at most the one that was running.
    assert panel.plots.batches["loss"].n <= seen["stop_step"] + 1
    assert rec["final_model"] == "final.keras"
    assert (Path(rec["path"]) / "final.keras").is_file()
    assert panel.last_model is not None
    assert panel.progress.format() == "Stopped"


def test_a_run_stopped_in_its_second_epoch_shows_its_first_and_best(qtbot, panel):
    """Stopped in epoch 2: the run counts the one epoch it finished (plots, record, runs
    table) and its status line says so, with the best validation accuracy."""
    _set_data(panel.document, max_samples=1500)
    panel.form.batch_size.setValue(4)
    _set_epochs(panel, 20)

    def on_batch(d):
        if d["epoch"] >= 1 and panel.is_running:
            panel.stop()

    assert panel.start()
    panel.batch_received.connect(on_batch)
    result = _wait_done(qtbot, panel)
    rec = result["record"]
    assert result["status"] == "stopped" and rec["epochs_done"] >= 1
    acc = rec["best_metrics"]["val_accuracy"]
    n = rec["epochs_done"]
    assert panel.stats.text().startswith(
        f"Stopped after {n} epoch{'' if n == 1 else 's'} · best val_accuracy {acc:.4f}"
    ), panel.stats.text()
    assert panel.plots.epochs["val_accuracy"].n == n
    row = panel.runs.table.topLevelItem(0)
    assert row.text(1) == "stopped" and row.text(3).startswith(str(n))
    assert "val_accuracy" in row.text(4)


def test_pause_and_resume(qtbot, panel):
    _set_data(panel.document, max_samples=1000)
    panel.form.batch_size.setValue(8)
    _set_epochs(panel, 12)  # long enough that the first redraw tick comes mid-run
    paused = []

    def on_batch(d):
        if not paused:
            paused.append(True)
            panel.pause()

    assert panel.start()
    panel.batch_received.connect(on_batch)
    qtbot.waitUntil(lambda: panel.stats.text().startswith("Paused"), timeout=RUN_TIMEOUT)
    assert panel.resume_btn.isVisible() and not panel.pause_btn.isVisible()
    qtbot.wait(300)  # batches finished before the pause reach the plots on the next redraw tick
    n = panel.plots.batches["loss"].n
    qtbot.wait(400)
    assert panel.plots.batches["loss"].n == n  # nothing trains while paused
    assert panel.is_running
    panel.resume()
    result = _wait_done(qtbot, panel)
    assert result["status"] == "completed"
    assert panel.plots.epochs["loss"].n == 12


def test_a_pause_between_epochs_shows_one_epoch_number_in_bar_and_status(qtbot, panel):
    """Paused after epoch 2 ends: training holds before epoch 3's first batch, and the bar
    says epoch 3 as the status does (it said "Epoch 2/6" beside "Paused in epoch 3")."""
    _set_epochs(panel, 6)
    assert panel.start()
    hooks = panel.worker.hooks
    forward = hooks.on_epoch

    def pause_after_second_epoch(d):  # on the training thread, at the end of an epoch
        forward(d)
        if d["epoch"] == 1:
            hooks.control.pause()

    hooks.on_epoch = pause_after_second_epoch
    qtbot.waitUntil(lambda: panel.stats.text().startswith("Paused"), timeout=RUN_TIMEOUT)
    qtbot.wait(300)  # a redraw tick or two: nothing may move the bar back to epoch 2
    assert panel.progress.format() == "Epoch 3/6"
    assert panel.stats.text() == "Paused in epoch 3/6, before batch 1/8"
    assert panel.progress.value() == 2 * 8  # two epochs of 8 batches done
    assert panel.resume_btn.isVisible()  # the panel knows training holds
    panel.resume()
    assert _wait_done(qtbot, panel)["status"] == "completed"


def test_data_that_does_not_fit_the_model_is_reported_before_training(qtbot, panel, errors):
    _set_data(panel.document, source="sklearn.iris", options={})
    assert panel.start()
    result = _wait_done(qtbot, panel)
    assert result["status"] == "failed"
    assert panel.plots.batches["loss"].n == 0  # nothing trained
    assert errors and errors[-1][0] == "Training failed"
    text = errors[-1][1]
    assert "does not fit" in text and "64" in text and "4" in text, text
    assert panel.banner.isVisible() and panel.banner.text() == text
    assert not panel.runs_dir().exists()  # checked before a run folder was made
    assert panel.start_btn.isEnabled()  # the panel keeps working


def test_contradicting_settings_are_reported_before_starting(panel, errors):
    panel.form.schedule.setCurrentText("ExponentialDecay")
    panel.form.cb_boxes["ReduceLROnPlateau"].setChecked(True)
    assert not panel.start()
    assert not panel.is_running
    assert errors[-1][0] == "Training cannot start" and "ReduceLROnPlateau" in errors[-1][1]


def test_nan_loss_shows_the_nan_message(qtbot, panel, errors):
    panel.form.optimizer.setCurrentText("SGD")
    panel.form.learning_rate.setText("1e12")
    panel.form.learning_rate.editingFinished.emit()
    _set_epochs(panel, 2)
    assert panel.start()
    result = _wait_done(qtbot, panel)
    assert result["status"] == "failed"
    assert "NaN" in result["message"]
    assert errors and "NaN" in errors[-1][1]
    assert "NaN" in panel.banner.text()
    assert panel.plots.batches["loss"].n < 16  # stopped at the first bad batch


def test_settings_edits_are_undoable_and_saved_in_the_project(qtbot, panel):
    from app.project.settings import settings_from_project

    doc = panel.document
    stack = doc.undo_stack
    before = settings_from_project(doc.project)[1]["epochs"]
    panel.form.epochs.setValue(7)
    assert settings_from_project(doc.project)[1]["epochs"] == 7
    assert doc.is_dirty
    panel.form.cb_boxes["EarlyStopping"].setChecked(True)
    cbs = settings_from_project(doc.project)[1]["callbacks"]
    assert any(c["class_name"] == "EarlyStopping" and c["params"]["patience"] == 5 for c in cbs)
    stack.undo()
    assert not panel.form.cb_boxes["EarlyStopping"].isChecked()
    stack.undo()
    assert panel.form.epochs.value() == before
    assert settings_from_project(doc.project)[1]["epochs"] == before
    stack.redo()
    assert panel.form.epochs.value() == 7
    # Bad text is reported and not stored.
    class_weights = panel.form.out_widgets["digit"][3]
    class_weights.setText("zero: one")
    class_weights.editingFinished.emit()
    assert panel.banner.isVisible() and "class" in panel.banner.text()
    assert settings_from_project(doc.project)[1].get("class_weight") is None
    # Good text is stored per output, and shows again after undo / redo.
    class_weights.setText("0: 2, 3: 0.5")
    class_weights.editingFinished.emit()
    stored = settings_from_project(doc.project)[1]["class_weight"]
    assert stored == {"digit": {"0": 2.0, "3": 0.5}}
    stack.undo()
    assert panel.form.out_widgets["digit"][3].text() == ""
    stack.redo()
    assert panel.form.out_widgets["digit"][3].text() == "0: 2, 3: 0.5"


def test_weighted_metrics_are_chosen_per_output_and_undoable(qtbot, panel):
    doc = panel.document
    stack = doc.undo_stack
    weighted = panel.form.weighted_widgets["digit"]
    assert weighted.text() == "none" and "weighted_metrics" not in doc.project.training.to_dict()
    plain = dict(doc.project.training.metrics)
    (accuracy,) = [a for a in weighted.menu().actions() if a.text() == "accuracy"]
    accuracy.setChecked(True)
    assert doc.project.training.weighted_metrics == {"digit": ["accuracy"]}
    assert doc.project.training.metrics == plain  # the plain metrics unchanged
    panel.form.epochs.setValue(3)  # another edit keeps them
    assert doc.project.training.weighted_metrics == {"digit": ["accuracy"]}
    stack.undo()
    stack.undo()
    assert doc.project.training.weighted_metrics == {}
    assert panel.form.weighted_widgets["digit"].text() == "none"
    stack.redo()
    assert panel.form.weighted_widgets["digit"].text() == "accuracy"


def test_runs_overlay_rerun_and_delete(qtbot, panel, tmp_path):
    _set_epochs(panel, 2)
    assert panel.start()
    _wait_done(qtbot, panel)
    path = panel.runs.runs[0].path
    panel.runs.table.setCurrentItem(panel.runs.table.topLevelItem(0))
    assert panel.runs.open_btn.isEnabled()
    opened = []
    panel.open_model_requested.connect(opened.append)
    panel.runs.open_btn.click()
    assert opened and opened[0].endswith(".keras") and Path(opened[0]).is_file()
    panel.runs.overlay_btn.click()
    assert any(n.startswith("run ") for n in panel.plots.cards["loss"].curves)
    panel.plots.clear_overlays()
    assert not any(n.startswith("run ") for n in panel.plots.cards["loss"].curves)
    panel.runs.table.setCurrentItem(panel.runs.table.topLevelItem(0))
    panel.runs.rerun_btn.click()
    assert panel.is_running
    _wait_done(qtbot, panel)
    assert len(list_runs(tmp_path / "runs")) == 2
    panel.runs.select_run(path)
    panel.runs.delete_btn.click()
    assert not Path(path).exists()
    assert panel.runs.table.topLevelItemCount() == 1


def test_main_window_train_menu_and_closing_during_training(qtbot, window, tmp_path):
    from app.ui.training.panel import TrainingPanel

    win = window
    panel = win.training_panel
    assert isinstance(panel, TrainingPanel)
    assert win.tabs.indexOf(panel) >= 0
    menus = {
        a.menu().title().replace("&", ""): a.menu()
        for a in win.menuBar().actions()
        if a.menu() is not None
    }
    shortcuts = {a.text(): a.shortcut().toString() for a in menus["Train"].actions()}
    assert shortcuts["Start training"] == "F5" and shortcuts["Stop training"] == "Shift+F5"
    assert "Pause training" in shortcuts
    assert win.open_example("digits_mlp")
    assert panel.document is win.document
    _set_data(win.document, max_samples=1500)
    panel.form.batch_size.setValue(4)
    panel.form.epochs.setValue(50)
    panel.runs_root = tmp_path / "runs"
    asked = []
    panel.ask = lambda title, question: asked.append(title) or True
    panel.start_action.trigger()
    assert panel.is_running and win.tabs.currentWidget() is panel
    qtbot.waitUntil(lambda: panel.plots.batches["loss"].n > 0, timeout=RUN_TIMEOUT)
    win.close()
    assert asked == ["Training is running"]
    assert not panel.is_running
    runs = list_runs(tmp_path / "runs")
    assert len(runs) == 1 and runs[0].status == "stopped"


def test_plots_star_the_epoch_the_run_summary_and_best_model_name(qtbot, tmp_path):
    """A regression run watching val_r2_score: the plots' best epoch is the checkpoint's."""
    from app.model import ModelGraph
    from app.project import CallbackConfig, DataSettings, Project, TrainingSettings
    from app.training.headless import RunHooks, train_project
    from app.ui.training.plots import TrainingPlots

    g = ModelGraph("diabetes")
    x = g.add_node("keras.Input", "features", {"shape": [10]})
    o = g.add_node("keras.layers.Dense", "progression", {"units": 1})
    g.connect(x, o)
    g.set_outputs([o])
    project = Project(
        graph=g,
        data=DataSettings("sklearn.diabetes", normalization="standard"),
        training=TrainingSettings(
            learning_rate=0.05,
            epochs=5,
            seed=3,
            losses={"progression": "mean_squared_error"},
            metrics={"progression": ["r2_score"]},
            callbacks=[CallbackConfig("ModelCheckpoint", {"monitor": "val_r2_score"})],
        ),
        path=tmp_path / "diabetes.llproj",
    )
    epochs: list[dict] = []
    rec = train_project(project, hooks=RunHooks(on_epoch=epochs.append))
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.reset(["progression"])
    plots.set_epochs(5)
    plots.start()
    for d in epochs:
        plots.add_epoch(d)
    plots.finish()
    best = plots.best_epochs()
    assert best["r2_score"][0] == rec.best_metrics["best_epoch"]
    assert best["r2_score"][1] == pytest.approx(rec.best_metrics["val_r2_score"])
    assert best["loss"][1] == pytest.approx(rec.best_metrics["val_loss"])  # losses: lowest
    assert plots.cards["r2_score"].best_marker.isVisible()


def test_devices_row_says_when_there_is_no_gpu_and_is_undoable(qtbot, panel, errors):
    from app.training.devices import gpu_names

    doc, form = panel.document, panel.form
    gpus = len(gpu_names())
    form.show_gpus(gpus)
    assert form.devices.currentData() == "gpu" and doc.project.training.devices == "gpu"
    form.devices.setCurrentIndex(form.devices.findData("all"))
    assert doc.project.training.devices == "all" and doc.is_dirty
    if gpus == 0:
        assert form.devices_note.isVisible()
        assert form.devices_note.text() == "no GPU found: training on the CPU"
    form.devices.setCurrentIndex(form.devices.findData("cpu"))
    assert not form.devices_note.isVisible()
    doc.undo_stack.undo()  # edits of one field merge into one step
    assert form.devices.currentData() == "gpu" and doc.project.training.devices == "gpu"
    doc.undo_stack.redo()
    assert form.devices.currentData() == "cpu" and doc.project.training.devices == "cpu"
    form.devices.setCurrentIndex(form.devices.findData("all"))
    # A run with that setting says where it trains.
    messages = []
    panel.status_message.connect(messages.append)
    _set_epochs(panel, 1)
    panel.start()
    result = _wait_done(qtbot, panel)
    assert result["status"] == "completed", (result, errors)
    where = [m for m in messages if m.startswith("Training on")]
    assert where and (gpus or where[0].endswith("no GPU found: training on the CPU."))


def test_a_start_refused_while_keras_loads_is_cleared_once_it_is_ready(
    qtbot, isolated_settings, errors
):
    """Start before Keras is loaded is refused in words; once Keras is ready the panel says
    nothing stale and a start goes ahead."""
    from app.ui.document import Document
    from app.ui.keras_loader import KerasLoader
    from app.ui.training.panel import TrainingPanel

    loader = KerasLoader()  # not started: Keras is not ready for the panel yet
    p = TrainingPanel(keras=loader)
    qtbot.addWidget(p)
    p.show_error = lambda title, message: errors.append((title, message))
    p.set_document(Document.open_project(example_path("digits_mlp"), origin="example"))
    p.show()
    assert not p.start()
    assert p.banner.isVisible() and "Keras is still loading" in p.banner.text()
    assert errors == [("Training cannot start", p.banner.text())]
    with qtbot.waitSignal(loader.ready, timeout=RUN_TIMEOUT):
        loader.start()  # already imported in this process: ready at once
    assert not p.banner.isVisible()
