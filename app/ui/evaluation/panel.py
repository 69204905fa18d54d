"""Evaluation panel: metrics, confusion matrix, per-class precision/recall, prediction preview and
autoencoder reconstructions for the last trained model, computed off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.data.dataset import Dataset, is_text
from app.data.suggest import text_cell
from app.errors import LayerLoomError
from app.ui.data.views import BAD, GOOD, DataTable, ImageGrid, array_to_qimage, notice
from app.ui.data.worker import TaskRunner
from app.ui.evaluation.confusion import ConfusionMatrixView

if TYPE_CHECKING:
    from app.training.step_model import RunStep
    from app.ui.document import Document

PREVIEW_SAMPLES = 16
GENERATED_SAMPLES = 16
RECON_SAMPLES = 8
SPLITS = {"val": "Validation (test) data", "train": "Training data"}


def _is_image(arr: np.ndarray) -> bool:
    return arr.ndim >= 3 and arr.shape[1] >= 4 and arr.shape[2] >= 4


def evaluation_task(
    model: Any,
    dataset: Dataset,
    split: str,
    input_map: dict | None = None,
    output_map: dict | None = None,
    step: RunStep | None = None,
) -> dict[str, Any]:
    """Worker body: metrics, classification report, preview rows and reconstructions.

    With a training `step` the metrics are what the step's test_step returns, the step made
    around `model` (the run's plain graph model) as `layerloom evaluate --run` makes it. A step
    of sub-models (the GAN, the VAE) has no class predictions to count, and its graph's model is
    previewed only when its inputs take the data. When one of its sub-models is a generator
    (a latent vector in, a sample of the data's shape out: app.training.generated), "generator"
    is it and "generated" its outputs for the first seed's latent vectors.
    """
    from app.data.compat import input_problems
    from app.training import evaluate as ev

    out: dict[str, Any] = {"split": split, "notes": []}
    if split == "val" and dataset.x_val is None:
        split = out["split"] = "train"
        out["notes"].append("There is no validation data; evaluated on the training data.")
    x, _ = ev._split(dataset, split)
    if step is not None:
        maps = {"input_map": input_map, "output_map": output_map}
        out["metrics"] = {}
        try:
            sub_models = step.of_sub_models()
        except LayerLoomError as exc:  # untrusted, gone or broken: nothing of it runs
            out["notes"].append(exc.message)
            return out
        try:
            out["metrics"] = step.evaluate(model, dataset, split, **maps)
        except LayerLoomError as exc:  # no test_step; the step's code failed
            out["notes"].append(exc.message)
        if sub_models:
            found = _generator(step, model, x)
            if found is not None:
                out["generator"] = found
                out["generated"] = generated_task(found, 0)
            out["no_report"] = (
                f"No confusion matrix: training step '{step.name}' trains sub-models with its "
                f"own train_step, so there are no class predictions to count."
            ) + (" The metrics are what its test_step returns." if out["metrics"] else "")
            problems = input_problems(model, x, input_map)
            if problems:
                if found is None:
                    out["notes"].append(f"No predictions to preview: {problems[0]}")
                return out
    elif getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None:
        out["metrics"] = ev.evaluate(model, dataset, split, input_map, output_map)
    else:
        out["metrics"] = {}
        out["notes"].append(
            "The model has not been trained (compiled), so there are no metrics; "
            "predictions are shown."
        )
    if dataset.task == "classification" and dataset.class_names and "no_report" not in out:
        out["report"] = ev.classification_report(model, dataset, None, split, input_map, output_map)
    first = next(iter(x.values()))
    if dataset.task == "reconstruction":
        inputs, outputs = ev.reconstructions(model, dataset, RECON_SAMPLES, split, input_map)
        out["reconstructions"] = (np.asarray(inputs), np.asarray(outputs))
    else:
        out["preview"] = ev.prediction_preview(
            model, dataset, PREVIEW_SAMPLES, split, input_map, output_map
        )
        texts = {k: v[:PREVIEW_SAMPLES] for k, v in x.items() if is_text(v)}
        if texts:  # the raw text of each sample, as the data preview shows it
            out["texts"] = {k: [text_cell(t) for t in np.ravel(v)] for k, v in texts.items()}
        else:
            out["inputs"] = np.asarray(first[:PREVIEW_SAMPLES])
    return out


def _generator(step: RunStep, model: Any, x: dict[str, np.ndarray]) -> Any:
    """The step's generator (see app.training.generated), None without one or when the step's
    sub-models cannot be found in `model`."""
    from app.training.generated import find_generator

    try:
        subs = step.sub_models(model)
    except LayerLoomError:
        return None
    return find_generator(subs, [tuple(v.shape[1:]) for v in x.values()])


def generated_task(generator: Any, seed: int) -> dict[str, Any]:
    """Worker body: GENERATED_SAMPLES outputs of the generator for latent vectors of `seed`."""
    from app.training.generated import generate

    z, images = generate(generator, GENERATED_SAMPLES, seed)
    return {"name": generator.name, "seed": seed, "latents": z, "images": images}


class EvaluationPanel(QWidget):
    """`set_model(model, dataset)` then `evaluate()`; results appear when the worker is done."""

    evaluated = Signal(dict)
    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.model: Any = None
        self.dataset: Dataset | None = None
        self.input_map: dict | None = None
        self.output_map: dict | None = None
        self.step: RunStep | None = None  # the project's training step the model was trained by
        self.generator: Any = None  # the step's generator (app.training.generated.Generator)
        self.generated: dict[str, Any] | None = None  # its shown samples (generated_task)
        self.result: dict[str, Any] | None = None
        self.feed: object | None = None  # what hands it models and data (window_parts)
        self.runner = TaskRunner(self)
        self.runner.busy_changed.connect(self._on_busy)
        self._build()
        self._update_enabled()

    # ----- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        top = QHBoxLayout()
        self.split = QComboBox(self)
        for key, text in SPLITS.items():
            self.split.addItem(text, key)
        self.evaluate_button = QPushButton("Evaluate", self)
        self.evaluate_button.clicked.connect(lambda: self.evaluate())
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedSize(80, 10)
        self.busy.hide()
        self.info = QLabel("Train a model to evaluate it.", self)
        top.addWidget(QLabel("Evaluate on", self))
        top.addWidget(self.split)
        top.addWidget(self.evaluate_button)
        top.addWidget(self.busy)
        top.addWidget(self.info, 1)
        self.message = notice("", self)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(split)
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addWidget(_caption("Metrics", left))
        self.metrics = DataTable(left)
        self.metrics.verticalHeader().setVisible(False)
        self.metrics.fit_height(2)
        lbox.addWidget(self.metrics)
        self.per_class_title = _caption("Per class", left)
        lbox.addWidget(self.per_class_title)
        self.per_class = DataTable(left)
        self.per_class.verticalHeader().setVisible(False)
        lbox.addWidget(self.per_class, 1)
        lbox.addStretch(0)  # takes the room when the per-class table is hidden

        middle = QWidget(split)
        mbox = QVBoxLayout(middle)
        mbox.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.cm_title = _caption("Confusion matrix", middle)
        head.addWidget(self.cm_title, 1)
        self.png_button = QPushButton("PNG…", middle)
        self.png_button.setToolTip("Save the confusion matrix as a PNG picture")
        self.png_button.clicked.connect(self.export_png_dialog)
        self.csv_button = QPushButton("CSV…", middle)
        self.csv_button.setToolTip("Save the confusion matrix counts as CSV")
        self.csv_button.clicked.connect(self.export_csv_dialog)
        head.addWidget(self.png_button)
        head.addWidget(self.csv_button)
        mbox.addLayout(head)
        self.confusion = ConfusionMatrixView(middle)
        mbox.addWidget(self.confusion, 1)
        self.cm_placeholder = notice(
            "The confusion matrix appears here after evaluating a classifier.", middle
        )
        self.cm_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        mbox.addWidget(self.cm_placeholder, 1)

        self.samples = QTabWidget(split)
        self.samples.setDocumentMode(True)
        self.pred_stack = QStackedWidget(self.samples)
        self.pred_grid = ImageGrid(None, tile=56)
        self.pred_stack.addWidget(_scroll(self.pred_grid, self.pred_stack))
        self.pred_table = DataTable(self.pred_stack)
        self.pred_table.verticalHeader().setVisible(False)
        self.pred_stack.addWidget(self.pred_table)
        self.samples.addTab(self.pred_stack, "Predictions")
        self.recon_grid = ImageGrid(None, tile=56)
        self.samples.addTab(_scroll(self.recon_grid, self.samples), "Reconstructions")
        gen = QWidget(self.samples)
        gbox = QVBoxLayout(gen)
        gbox.setContentsMargins(0, 0, 0, 0)
        ghead = QHBoxLayout()
        self.gen_title = QLabel("", gen)
        self.new_samples_button = QPushButton("New samples", gen)
        self.new_samples_button.setToolTip("Draw other random latent vectors for the generator")
        self.new_samples_button.clicked.connect(lambda: self.new_samples())
        self.gen_png_button = QPushButton("PNG…", gen)
        self.gen_png_button.setToolTip("Save the generated samples as a PNG picture")
        self.gen_png_button.clicked.connect(self.export_samples_dialog)
        ghead.addWidget(self.gen_title, 1)
        ghead.addWidget(self.new_samples_button)
        ghead.addWidget(self.gen_png_button)
        gbox.addLayout(ghead)
        self.gen_grid = ImageGrid(None, tile=56)
        gbox.addWidget(_scroll(self.gen_grid, gen), 1)
        self.gen_tab = self.samples.addTab(gen, "Generated")
        for w in (left, middle, self.samples):
            split.addWidget(w)
        split.setSizes([380, 380, 520])
        split.setStretchFactor(2, 1)

        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 4)
        box.addLayout(top)
        box.addWidget(self.message)
        box.addWidget(split, 1)

    # ----- model and data ----------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Follow `document`: the previous document's model and results go."""
        if self.document is not None and document is not self.document:
            self.set_model(None, None)
        self.document = document

    def set_model(
        self,
        model: Any,
        dataset: Dataset | None,
        title: str = "",
        input_map: dict | None = None,
        output_map: dict | None = None,
        step: RunStep | None = None,
    ) -> None:
        """The model to evaluate and its data (None clears); earlier results are dropped.

        `step`: the training step the model was trained by (the graph's plain model of a step
        run); evaluating makes the step around it, as `layerloom evaluate --run` does."""
        self.runner.shutdown()
        self.model, self.dataset, self.step = model, dataset, step
        self.input_map, self.output_map = input_map, output_map
        self.clear()
        if model is None:
            self.info.setText("Train a model to evaluate it.")
        elif dataset is None:
            self.info.setText("Load data in the Data panel to evaluate the model.")
        else:
            what = title or getattr(model, "name", "model")
            self.info.setText(f"{what} on {dataset.title or 'the loaded data'}")
        has_val = dataset is not None and dataset.x_val is not None
        self.split.model().item(self.split.findData("val")).setEnabled(has_val)
        self.split.setCurrentIndex(self.split.findData("val" if has_val else "train"))
        self._update_enabled()

    def set_dataset(self, dataset: Dataset | None) -> None:
        """New data for the same model (the Data panel loaded something else)."""
        self.set_model(self.model, dataset, step=self.step)

    def clear(self) -> None:
        self.result = None
        self.message.setText("")
        self.metrics.set_rows([], [])
        self.per_class.set_rows([], [])
        self.confusion.set_matrix([], [])
        self.cm_title.setText("Confusion matrix")
        self.pred_grid.set_items([])
        self.pred_table.set_rows([], [])
        self.recon_grid.set_items([])
        self.generator, self.generated = None, None
        self.gen_grid.set_items([])
        self.gen_title.setText("")
        self._update_enabled()

    def shutdown(self) -> None:
        """Wait for a running evaluation (window closing, tests)."""
        self.runner.shutdown()

    @property
    def running(self) -> bool:
        return self.runner.is_busy("evaluate")

    # ----- evaluating --------------------------------------------------------------------------
    def evaluate(self, split: str | None = None) -> bool:
        """Start evaluating on `split` ("val" or "train"; default: the chosen one)."""
        if self.model is None or self.dataset is None:
            self.message.setText("Train a model and load data first.")
            return False
        split = split or self.split.currentData()
        model, ds, imap, omap = self.model, self.dataset, self.input_map, self.output_map
        step = self.step
        self.message.setText("Evaluating…")
        self.message.setStyleSheet("")
        self.runner.run(
            "evaluate",
            lambda: evaluation_task(model, ds, split, imap, omap, step),
            self._on_result,
            self._on_failed,
        )
        self._update_enabled()
        return True

    def _on_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self._update_enabled()

    def _update_enabled(self) -> None:
        ready = self.model is not None and self.dataset is not None
        self.evaluate_button.setEnabled(ready and not self.runner.busy)
        has_cm = len(self.confusion.matrix) > 0
        self.per_class.setVisible(has_cm)
        self.per_class_title.setVisible(has_cm)
        self.confusion.setVisible(has_cm)
        self.cm_placeholder.setVisible(not has_cm)
        self.png_button.setEnabled(has_cm)
        self.csv_button.setEnabled(has_cm)
        has_gen = self.generator is not None
        self.samples.setTabVisible(self.gen_tab, has_gen)  # only a step with a generator
        self.new_samples_button.setEnabled(has_gen and not self.runner.is_busy("samples"))
        self.gen_png_button.setEnabled(self.generated is not None)

    def _on_failed(self, message: str) -> None:
        self.message.setText(f"⚠ Evaluation failed: {message}")
        self.message.setStyleSheet("color: #c0392b;")
        self.status_message.emit("Evaluation failed")

    def _on_result(self, res: dict[str, Any]) -> None:
        self.result = res
        self.message.setText(" ".join(res["notes"]))
        self.message.setStyleSheet("")
        rows = [[k, v] for k, v in res["metrics"].items()]
        report = res.get("report")
        if report is not None and "accuracy" not in res["metrics"]:
            rows.append(["accuracy (from predictions)", report["accuracy"]])
        self.metrics.set_rows(["Metric", SPLITS[res["split"]].split()[0]], rows, fill=True)
        self.metrics.fit_height(6)
        if report is not None:
            self._show_report(report)
        else:
            self.cm_title.setText("Confusion matrix")
            self.cm_placeholder.setText(
                res.get("no_report", "No confusion matrix: the targets are not class labels.")
            )
        if "reconstructions" in res:
            self._show_reconstructions(*res["reconstructions"])
            self.samples.setCurrentIndex(1)
        else:
            self._show_preview(res.get("preview", []), res.get("inputs"), res.get("texts"))
            self.samples.setCurrentIndex(0)
        self.generator = res.get("generator")
        if "generated" in res:
            self._show_generated(res["generated"])
            self.samples.setCurrentIndex(self.gen_tab)
        self._update_enabled()
        self.status_message.emit("Evaluation finished")
        self.evaluated.emit(res)

    def _show_report(self, report: dict[str, Any]) -> None:
        self.confusion.set_matrix(report["matrix"], report["classes"])
        self.cm_title.setText(
            f"Confusion matrix — output '{report['output']}', accuracy {report['accuracy']:.1%}"
        )
        rows = [
            [r["class"], r["precision"], r["recall"], r["f1"], r["support"]]
            for r in report["per_class"]
        ]
        self.per_class.set_rows(["Class", "Precision", "Recall", "F1", "Support"], rows, fill=True)

    def _show_preview(
        self, rows: list[dict], inputs: np.ndarray | None, texts: dict[str, list] | None = None
    ) -> None:
        # The first classifier output (with class names and confidences), else the first.
        several = len({r["output"] for r in rows}) > 1
        named = [r["output"] for r in rows if "confidence" in r]
        shown_output = named[0] if named else rows[0]["output"] if rows else None
        rows = [r for r in rows if r["output"] == shown_output]
        if inputs is not None and _is_image(inputs):
            items = []
            for r in rows:
                true, pred = r.get("true"), r.get("predicted")
                ok = true is not None and true == pred
                caption = f"{_text(pred)}" + (
                    f" ({_text(true)})" if true is not None and not ok else ""
                )
                colour = None if true is None else (GOOD if ok else BAD)
                items.append(([array_to_qimage(inputs[r["index"]])], caption, colour))
            self.pred_grid.set_items(items)
            self.pred_grid.setToolTip("Predicted label; the true label in brackets when it differs")
            self.pred_stack.setCurrentIndex(0)
            return
        columns = ["#", "True", "Predicted", "Confidence"]
        if several:  # say which output the rows show
            columns[1:3] = [f"True {shown_output}", f"Predicted {shown_output}"]
        columns += list(texts or {})
        feats = []
        if inputs is not None:
            flat = inputs.reshape(len(inputs), -1)
            feats = [f"x[{i}]" for i in range(min(flat.shape[1], 6))]
        table, colours = [], []
        for r in rows:
            true, pred = r.get("true"), r.get("predicted")
            row = [r["index"], _text(true), _text(pred), r.get("confidence")]
            row += [values[r["index"]] for values in (texts or {}).values()]
            if feats:
                row += [float(v) for v in flat[r["index"], : len(feats)]]
            table.append(row)
            colours.append(
                None if true is None or "confidence" not in r else (GOOD if true == pred else BAD)
            )
        self.pred_table.set_rows(columns + feats, table, colours)
        self.pred_stack.setCurrentIndex(1)

    def _show_reconstructions(self, inputs: np.ndarray, outputs: np.ndarray) -> None:
        items = []
        for i in range(min(len(inputs), len(outputs))):
            a, b = inputs[i], outputs[i]
            same = b.size == a.size
            caption = f"#{i}"
            if same:
                err = float(np.mean((a.astype(np.float64) - b.reshape(a.shape)) ** 2))
                caption += f"  mse {err:.3g}"
            items.append(([array_to_qimage(a), array_to_qimage(b)], caption, None))
        self.recon_grid.set_items(items)
        self.recon_grid.setToolTip("Each pair: the input (left) and the model's output (right)")

    # ----- a generator's samples ---------------------------------------------------------------
    def new_samples(self) -> bool:
        """Draw the generator's outputs for the next seed's latent vectors, on a worker."""
        if self.generator is None:
            return False
        seed = (self.generated or {}).get("seed", -1) + 1
        generator = self.generator
        self.runner.run(
            "samples",
            lambda: generated_task(generator, seed),
            self._on_generated,
            self._on_failed,
        )
        self._update_enabled()
        return True

    def _on_generated(self, generated: dict[str, Any]) -> None:
        self._show_generated(generated)
        self._update_enabled()

    def _show_generated(self, generated: dict[str, Any]) -> None:
        self.generated = generated
        images = generated["images"]
        self.gen_grid.set_items(
            [([array_to_qimage(img)], f"#{i}", None) for i, img in enumerate(images)]
        )
        self.gen_grid.setToolTip("The generator's outputs for random normal latent vectors")
        self.gen_title.setText(
            f"{len(images)} outputs of '{generated['name']}' for random normal latent "
            f"vectors (seed {generated['seed']})"
        )

    def export_samples_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save generated samples", "generated_samples.png", "PNG pictures (*.png)"
        )
        if path:
            self.export_samples(path)

    def export_samples(self, path: str | Path) -> bool:
        """Write the grid of generated samples as a PNG picture; a message says how it went."""
        from app.project.atomic import temp_name

        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".png")
        tmp = temp_name(path)
        ok = self.gen_grid.grab().save(str(tmp), "PNG")
        try:
            if not ok:
                raise OSError(f"could not write {path.name}")
            tmp.replace(path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            self.message.setText(f"⚠ The samples could not be saved: {exc}")
            return False
        self.status_message.emit(f"Saved {path.name}")
        return True

    # ----- exporting the confusion matrix ------------------------------------------------------
    def export_png_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save confusion matrix", "confusion_matrix.png", "PNG pictures (*.png)"
        )
        if path:
            self.export_confusion(path)

    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save confusion matrix", "confusion_matrix.csv", "CSV files (*.csv)"
        )
        if path:
            self.export_confusion(path)

    def export_confusion(self, path: str | Path) -> bool:
        """Write the confusion matrix as .png or .csv (by suffix); a message says how it went."""
        path = Path(path)
        try:
            if path.suffix.lower() == ".csv":
                self.confusion.save_csv(path)
            else:
                self.confusion.save_png(path.with_suffix(".png") if not path.suffix else path)
        except OSError as exc:
            self.message.setText(f"⚠ The confusion matrix could not be saved: {exc}")
            return False
        self.status_message.emit(f"Saved {path.name}")
        return True


def _text(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, list):
        return ", ".join(f"{x:.4g}" for x in v)
    return str(v)


def _caption(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def _scroll(widget: QWidget, parent: QWidget) -> QScrollArea:
    area = QScrollArea(parent)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area
