"""Inside panel: what the selected node outputs for one sample, and its weights per epoch.

The model is the untrained one (built from the graph, its preprocessing layers adapted to the
training split as a run's are) or a run's saved model (best or final, loaded through
load_run_model). Every node's output for a sample comes from one all-outputs model
(`app.training.activations`), computed on a worker thread and cached per (model, sample):
clicking another node shows its output at once. A node inside an opened block is found by its
probe name, "block/node" (`probe_name`). The sample is one of the project's data or a file
("From file…": an image, a CSV row, a text; `app.training.file_sample`). Feature maps appear as
a grid, vectors as a bar strip, sequences as a heatmap, a classifier's output as its classes.
The Weights tab shows the node's weight histograms per epoch of a run (weights_hist.npz) or,
for the untrained model, its current weights. The Grad-CAM tab (`gradcam_view.py`) shows where
an image classifier looks for the same model and sample.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.data.dataset import Dataset
from app.training.activations import (
    ActivationCache,
    feature_map_grid,
    grid_columns,
    sample_inputs,
    top_classes,
    view_kind,
)
from app.ui.data.views import notice
from app.ui.data.worker import TaskRunner
from app.ui.inside.gradcam_view import GradcamView, Target

if TYPE_CHECKING:
    from app.ui.document import Document

UNTRAINED = "untrained"
SPLITS = {"val": "Validation", "train": "Training"}


def graph_digest(graph: Any) -> str:
    """A digest of the graph's saved form: the untrained model changes when it changes."""
    from app.model.serialize import graph_to_dict

    text = json.dumps(graph_to_dict(graph), sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()


def model_sources(project: Any) -> list[tuple[str, tuple]]:
    """(label, source) for the combo: the untrained model, then each run's saved models."""
    from app.project.run_folders import project_runs

    out: list[tuple[str, tuple]] = [("Untrained model", (UNTRAINED,))]
    for rec in reversed(project_runs(project)):
        for which, name in (("best", rec.best_model), ("final", rec.final_model)):
            if name and (Path(rec.path) / name).is_file():
                out.append((f"Run {rec.id} ({which})", ("run", rec.path, name)))
    return out


def probe_name(graph: Any, node_id: str) -> str | None:
    """The name of a node's output in the all-outputs probe: its name, or "block/…/name" for a
    node inside blocks (each block's layer owner names its nested model); None if not found."""
    for path, sub in graph.walk():
        if node_id not in sub:
            continue
        names, level = [], graph
        for block_id in path:
            names.append(level.node(block_id).name)
            level = level.node(block_id).subgraph
        return "/".join([*names, sub.node(node_id).name])
    return None


class InsidePanel(QWidget):
    """`set_document`, `set_dataset`, `set_selection(node ids)`; `show_node()` computes."""

    status_message = Signal(str)
    shown = Signal(str)  # the node name whose output is on screen
    data_wanted = Signal()  # the panel needs the project's data loaded

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.dataset: Dataset | None = None
        self.node_name: str | None = None
        self.cache = ActivationCache()
        self.models: dict[tuple, Any] = {}
        self.keras: Any = None  # the window's KerasLoader: nothing is computed before it is ready
        self.from_file: tuple[str, int] | None = None  # (path, row): the sample is a file's
        self.file_data: dict[tuple, Dataset] = {}  # file sample key -> its one-sample data
        self.runner = TaskRunner(self)
        self.runner.busy_changed.connect(lambda b: self.busy.setVisible(b))
        self._build()

    # ----- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        top = QHBoxLayout()
        self.source = QComboBox(self)
        self.source.setMinimumContentsLength(18)
        self.source.currentIndexChanged.connect(lambda _i: self.show_node())
        self.refresh_button = QPushButton("↻", self)
        self.refresh_button.setToolTip("List the project's runs again")
        self.refresh_button.clicked.connect(self.refresh_sources)
        self.split = QComboBox(self)
        for key, text in SPLITS.items():
            self.split.addItem(text, key)
        self.split.currentIndexChanged.connect(lambda _i: self._data_sample_chosen())
        self.index = QSpinBox(self)
        self.index.setRange(0, 10**9)  # fitted to the data's sample count once it is loaded
        self.index.setKeyboardTracking(False)
        self.index.valueChanged.connect(lambda _v: self._data_sample_chosen())
        self.random_button = QPushButton("Random", self)
        self.random_button.clicked.connect(self.random_sample)
        self.file_button = QPushButton("From file…", self)
        self.file_button.setToolTip(
            "A sample from a file: an image, a row of a CSV file with the data's columns, or a "
            "text, prepared as the training samples are"
        )
        self.file_button.clicked.connect(self.choose_file_dialog)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedSize(60, 10)
        self.busy.hide()
        self.png_button = QPushButton("PNG…", self)
        self.png_button.setToolTip(
            "Save the view as a PNG picture (Grad-CAM: the input, the heatmap and the two "
            "together at the input's resolution, enlarged)"
        )
        self.png_button.clicked.connect(self.export_png_dialog)
        for w in (QLabel("Model", self), self.source, self.refresh_button):
            top.addWidget(w)
        top.addSpacing(8)
        for w in (
            QLabel("Sample", self),
            self.split,
            self.index,
            self.random_button,
            self.file_button,
        ):
            top.addWidget(w)
        top.addWidget(self.busy)
        top.addStretch(1)
        top.addWidget(self.png_button)
        self.info = notice("Select a node on the canvas to see what it outputs.", self)

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.output_plot = pg.PlotWidget(self.tabs)
        self.output_plot.setMenuEnabled(False)
        self._maps: np.ndarray | None = None  # the feature maps on screen, re-tiled on resize
        self._maps_item: pg.ImageItem | None = None
        self._maps_cols: int | None = None
        self.output_plot.getPlotItem().getViewBox().sigResized.connect(self._on_view_resized)
        self.tabs.addTab(self.output_plot, "Output")
        self.weights_page = QWidget(self.tabs)
        wbox = QVBoxLayout(self.weights_page)
        wbox.setContentsMargins(0, 0, 0, 0)
        whead = QHBoxLayout()
        self.weight_choice = QComboBox(self.weights_page)
        self.weight_choice.currentIndexChanged.connect(lambda _i: self._draw_weights())
        whead.addWidget(QLabel("Weight", self.weights_page))
        whead.addWidget(self.weight_choice)
        self.weights_info = QLabel("", self.weights_page)
        whead.addWidget(self.weights_info, 1)
        wbox.addLayout(whead)
        self.weights_plot = pg.GraphicsLayoutWidget(self.weights_page)
        wbox.addWidget(self.weights_plot, 1)
        self.tabs.addTab(self.weights_page, "Weights")
        self.gradcam = GradcamView(self.tabs)  # where an image classifier looks
        self.tabs.addTab(self.gradcam, "Grad-CAM")

        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 4)
        box.addLayout(top)
        box.addWidget(self.info)
        box.addWidget(self.tabs, 1)

    # ----- inputs ------------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        if document is not self.document:
            self.runner.shutdown()
            self.cache.forget()
            self.models.clear()
            self.gradcam.forget()
            self.node_name = None
        self.document = document
        self.refresh_sources()

    def set_keras(self, loader: Any) -> None:
        """Compute only once `loader` (a KerasLoader) has imported Keras: a worker importing
        Keras while the loader's thread does can meet a half-imported module."""
        self.keras = loader
        loader.ready.connect(lambda _version: self.show_node())

    def refresh_sources(self) -> None:
        """List the untrained model and the runs' models; the chosen one stays if it still is."""
        if self.document is None:
            return
        current = self.source.currentData()
        blocked = self.source.blockSignals(True)
        try:
            self.source.clear()
            for label, source in model_sources(self.document.project):
                self.source.addItem(label, source)
            at = self.source.findData(current) if current is not None else -1
            self.source.setCurrentIndex(max(at, 0))
        finally:
            self.source.blockSignals(blocked)

    def set_dataset(self, dataset: Dataset | None) -> None:
        self.dataset = dataset
        self.cache.results.clear()
        self.file_data.clear()
        has_val = dataset is not None and dataset.x_val is not None
        blocked = self.split.blockSignals(True)
        self.split.model().item(self.split.findData("val")).setEnabled(has_val)
        if not has_val:
            self.split.setCurrentIndex(self.split.findData("train"))
        self.split.blockSignals(blocked)
        self._fit_index()
        self.show_node()

    def _fit_index(self) -> None:
        if self.dataset is None:
            return  # a sample chosen before the data arrives is kept until it does
        x = self._split_x()
        count = len(next(iter(x.values()))) if x else 0
        blocked = self.index.blockSignals(True)
        self.index.setRange(0, max(count - 1, 0))
        self.index.blockSignals(blocked)

    def _split_x(self) -> dict:
        ds = self.dataset
        if self.split.currentData() == "val" and ds.x_val is not None:
            return ds.x_val
        return ds.x

    def _data_sample_chosen(self) -> None:
        """A split or sample number chosen: the sample comes from the project's data again."""
        self.from_file = None
        self.show_node()

    def use_file(self, path: str | Path, row: int = 0) -> bool:
        """Show the selected node's output for a file (`row`: 0-based, of a CSV file)."""
        self.from_file = (str(path), int(row))
        return self.show_node()

    def choose_file_dialog(self) -> None:
        from app.training.file_sample import file_kind

        chosen, _ = QFileDialog.getOpenFileName(
            self,
            "A sample from a file",
            "",
            "Images, CSV rows, texts (*.png *.jpg *.jpeg *.bmp *.gif *.csv *.tsv *.txt);;"
            "All files (*)",
        )
        if not chosen:
            return
        row = 0
        if file_kind(chosen) == "csv":
            rows = _csv_row_count(chosen)
            if rows > 1:
                number, ok = QInputDialog.getInt(
                    self, "Which row", f"Row of {Path(chosen).name} (1 to {rows}):", 1, 1, rows
                )
                if not ok:
                    return
                row = number - 1
        self.use_file(chosen, row)

    def _sample_key(self) -> tuple:
        """The cache key of the chosen sample: (split, index), or the file and its version."""
        if self.from_file is None:
            return (self.split.currentData(), self.index.value())
        path, row = self.from_file
        try:
            version = Path(path).stat().st_mtime_ns
        except OSError:
            version = None
        return ("file", path, row, version)

    def _sample_words(self) -> str:
        if self.from_file is None:
            return f"sample {self.index.value()}"
        path, row = self.from_file
        name = Path(path).name
        return f"row {row + 1} of {name}" if name.lower().endswith((".csv", ".tsv")) else name

    def random_sample(self) -> None:
        if self.index.maximum() > 0:
            self.index.setValue(int(np.random.default_rng().integers(0, self.index.maximum() + 1)))

    def set_selection(self, node_ids: list) -> None:
        """Show the output of the one selected node (of the model, or inside an opened block)."""
        if self.document is None or len(node_ids) != 1:
            return
        name = probe_name(self.document.project.graph, node_ids[0])
        if name is None:
            self.node_name = None
            self._say("The selected node is not part of the model.")
            return
        self.node_name = name
        if self.isVisible():  # a hidden panel computes when it is shown (showEvent)
            self.show_node()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.show_node()

    # ----- computing ---------------------------------------------------------------------------
    def _source_key(self) -> tuple | None:
        source = self.source.currentData()
        if source is None or self.document is None:
            return None
        if source[0] == UNTRAINED:
            return (UNTRAINED, graph_digest(self.document.project.graph))
        return source

    def show_node(self) -> bool:
        """Show the selected node's output for the chosen sample (from the cache, or start the
        worker). False if something is missing (said in the panel)."""
        if self.node_name is None:
            return False
        if self.dataset is None:
            self._say("Loading the project's data…")
            self.data_wanted.emit()
            return False
        if self.keras is not None and not self.keras.is_ready:
            self._say("Waiting for Keras to load…")
            return False
        self._fit_index()
        key = self._source_key()
        if key is None:
            return False
        sample = self._sample_key()
        found = self.cache.cached(key, sample)
        if found is not None and key in self.models:
            self._render(key, found)
            return True
        project, dataset, from_file = self.document.project, self.dataset, self.from_file
        self._say(f"Computing the outputs of every node for {self._sample_words()}…")

        def task() -> dict:
            model = self.models.get(key)
            if model is None:
                model = self._load_model(key, project, dataset)
            one = None
            if from_file is None:
                x, _ = sample_inputs(model, dataset, *sample)
            else:
                from app.training.file_sample import file_sample, sample_inputs_from

                one = file_sample(from_file[0], dataset, project.data_config(), from_file[1])
                x = sample_inputs_from(model, one)
            outputs = self.cache.outputs(key, model, sample, x)
            return {"key": key, "model": model, "outputs": outputs, "sample": sample, "one": one}

        self.runner.run("outputs", task, self._on_outputs, self._say_error)
        return True

    @staticmethod
    def _load_model(key: tuple, project: Any, dataset: Dataset) -> Any:
        if key[0] == UNTRAINED:  # as a run starts: preprocessing adapted to the training split
            from app.compiler.build import build_model
            from app.training.adapt import adapt_graph, nodes_to_adapt

            graph = project.graph
            if nodes_to_adapt(graph):
                graph, _ = adapt_graph(graph, dataset, project.data_config().input_map)
            return build_model(graph)
        from app.training.run_model import load_run_model

        return load_run_model(Path(key[1]) / key[2], project, compile=False)

    def _on_outputs(self, result: dict) -> None:
        self.models[result["key"]] = result["model"]
        if result["one"] is not None:
            self.file_data[result["sample"]] = result["one"]
        self._render(result["key"], result["outputs"])

    def _say(self, text: str) -> None:
        self.info.setStyleSheet("")
        self.info.setText(text)

    def _say_error(self, message: str) -> None:
        self.info.setStyleSheet("color: #c0392b;")
        self.info.setText(message)

    # ----- drawing -----------------------------------------------------------------------------
    def _render(self, key: tuple, outputs: dict) -> None:
        name = self.node_name
        model = self.models.get(key)
        sample = self._sample_key()
        if self.from_file is None:
            target = Target(key, model, self.dataset, *sample, name)
        else:  # the file's one sample as data of one sample (any split but "val": its x)
            one = self.file_data.get(sample)
            split = "file " + " ".join(map(str, sample[1:]))  # one heatmap per file version
            target = None if one is None else Target(key, model, one, split, 0, name)
        self.gradcam.set_target(target)
        if name not in outputs:
            block = name.rsplit("/", 1)[0] if "/" in name else None
            self._say(
                f"'{name}' has no output of its own in this model (a shared layer or op)."
                if block is None or block in outputs
                else f"'{name}' is inside '{block}', a block used more than once: its inner "
                f"outputs differ per use. Select the block's nodes on the canvas instead."
            )
            self.output_plot.clear()
            self._maps, self._maps_item, self._maps_cols = None, None, None
            self._draw_weights_for(key, model)
            return
        value = np.asarray(outputs[name])
        kind = view_kind(value.shape)
        shape = "×".join(str(d) for d in value.shape[1:])
        self._say(f"{name}: output {shape} for {self._sample_words()} ({kind})")
        self._draw_output(name, value[0], kind, model)
        self._draw_weights_for(key, model)
        self.shown.emit(name)

    def _draw_output(self, name: str, a: np.ndarray, kind: str, model: Any) -> None:
        plot = self.output_plot
        plot.clear()
        self._maps, self._maps_item, self._maps_cols = None, None, None
        item = plot.getPlotItem()
        item.getAxis("bottom").setTicks(None)
        item.invertY(False)
        item.setAspectLocked(False)
        for side in ("left", "bottom"):  # a tiled grid's pixel numbers mean nothing
            item.showAxis(side, kind != "maps")
        if kind == "maps":
            self._maps = a
            channels = a.shape[-1]
            item.setTitle(f"{min(channels, 64)} of {channels} feature maps")
            item.invertY(True)
            item.setAspectLocked(True)
            self._tile_maps()
            return
        if kind == "sequence":
            image = a.astype(np.float32)
            plot.addItem(self._image_item(image))
            item.invertY(True)
            item.setTitle(f"{a.shape[0]} steps × {a.shape[1]} features")
            plot.autoRange()
            return
        v = np.ravel(a)
        names = self._class_names(name, model, v.size)
        bars = pg.BarGraphItem(x=np.arange(v.size), height=v, width=0.8, brush="#4c8bf5")
        plot.addItem(bars)
        if names is not None:
            best = top_classes(v, names, 3)
            item.setTitle("Predicted: " + ", ".join(f"{n} {p:.2f}" for n, p in best))
            if v.size <= 30:
                item.getAxis("bottom").setTicks([list(enumerate(names))])
        else:
            item.setTitle(f"{v.size} values (min {v.min():.3g}, max {v.max():.3g})")
        plot.autoRange()

    @staticmethod
    def _image_item(image: np.ndarray) -> pg.ImageItem:
        """The picture in viridis colours; NaN pixels (the gaps between maps) transparent."""
        gaps = np.isnan(image)
        lo, hi = (float(np.nanmin(image)), float(np.nanmax(image))) if not gaps.all() else (0, 1)
        scaled = np.nan_to_num((image - lo) / (hi - lo) if hi > lo else image * 0.0, nan=0.0)
        rgba = pg.colormap.get("viridis").map(scaled, mode="byte")
        rgba[gaps, 3] = 0
        img = pg.ImageItem(rgba)
        img.setOpts(axisOrder="row-major")
        return img

    def _view_aspect(self) -> float:
        """Width / height of the plot's view box in pixels (0 before it is laid out)."""
        rect = self.output_plot.getPlotItem().getViewBox().boundingRect()
        return rect.width() / rect.height() if rect.height() > 0 else 0.0

    def _tile_maps(self) -> None:
        """Draw the shown feature maps in the grid that fills the view best (again on resize)."""
        if self._maps is None:
            return
        h, w, c = self._maps.shape
        cols = grid_columns(min(c, 64), h, w, self._view_aspect())
        item = self.output_plot.getPlotItem()
        if self._maps_cols != cols or self._maps_item is None:
            self._maps_cols = cols
            if self._maps_item is not None:
                item.removeItem(self._maps_item)
            self._maps_item = self._image_item(feature_map_grid(self._maps, cols=cols))
            item.addItem(self._maps_item)
        rows, width = self._maps_item.image.shape[:2]
        item.getViewBox().setRange(xRange=(0, width), yRange=(0, rows), padding=0.01)

    def _on_view_resized(self) -> None:
        if self._maps is not None:
            self._tile_maps()

    def _class_names(self, name: str, model: Any, size: int) -> list[str] | None:
        """The class names when `name` is a classifier output of `size` classes."""
        if model is None or name not in list(model.output_names) or self.dataset is None:
            return None
        ds = self.dataset
        if ds.task != "classification":
            return None
        names = ds.class_names.get(name) or (
            next(iter(ds.class_names.values())) if len(ds.class_names) == 1 else None
        )
        if names is not None and len(names) == size:
            return [str(n) for n in names]
        return [str(i) for i in range(size)] if size > 1 else None

    def _draw_weights_for(self, key: tuple, model: Any) -> None:
        """Fill the weight choice with the node's weights: per epoch of a run, or current."""
        from app.training.weights_history import (
            layer_weights,
            read_weights_history,
            weight_variables,
        )

        name = self.node_name
        self._weights: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        history = read_weights_history(key[1]) if key[0] == "run" else {}
        for path, h in layer_weights(history, name).items():
            self._weights[path] = (h.edges, h.counts, h.epochs)
        self._weights_note = "per epoch of the run"
        if not self._weights and model is not None:
            for path, w in layer_weights(weight_variables(model), name).items():
                values = np.ravel(np.asarray(w.numpy(), dtype=np.float64))
                counts, edges = np.histogram(values, bins=32)
                self._weights[path] = (edges, counts[None, :], np.array([0]))
            self._weights_note = (
                "current values (this run kept no per-epoch histograms)"
                if key[0] == "run"
                else "current values of the untrained model"
            )
        current = self.weight_choice.currentText()
        blocked = self.weight_choice.blockSignals(True)
        self.weight_choice.clear()
        self.weight_choice.addItems(list(self._weights))
        at = self.weight_choice.findText(current)
        self.weight_choice.setCurrentIndex(max(at, 0))
        self.weight_choice.blockSignals(blocked)
        self._draw_weights()

    def _draw_weights(self) -> None:
        view = self.weights_plot
        view.clear()
        path = self.weight_choice.currentText()
        if not path or path not in getattr(self, "_weights", {}):
            self.weights_info.setText("This node has no weights.")
            return
        edges, counts, epochs = self._weights[path]
        self.weights_info.setText(f"{path}: {self._weights_note}")
        centres = (edges[:-1] + edges[1:]) / 2
        if len(epochs) > 1:
            heat = view.addPlot(title="Histogram per epoch (rows: epochs)")
            img = pg.ImageItem(np.log1p(counts.astype(np.float32)))
            img.setOpts(axisOrder="row-major")
            img.setColorMap(pg.colormap.get("inferno"))
            img.setRect(float(edges[0]), -0.5, float(edges[-1] - edges[0]), float(len(epochs)))
            heat.addItem(img)
            heat.setLabel("bottom", "weight value")
            heat.setLabel("left", "epoch")
            view.nextColumn()
        lines = view.addPlot(title="First and last epoch" if len(epochs) > 1 else "Histogram")
        lines.setLabel("bottom", "weight value")
        if len(epochs) > 1:
            lines.addLegend(offset=(-10, 10))
            lines.plot(
                centres, counts[0], pen=pg.mkPen("#888", width=2), name=f"epoch {epochs[0] + 1}"
            )
        lines.plot(
            centres,
            counts[-1],
            pen=pg.mkPen("#e67e22", width=2),
            name=f"epoch {epochs[-1] + 1}" if len(epochs) > 1 else None,
        )

    # ----- export ------------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> Path:
        """Save the shown tab as a PNG picture: the output or weights as shown, the Grad-CAM
        tab's explanation as images at the input's resolution (`GradcamView.export_png`)."""
        path = Path(path)
        widget = self.tabs.currentWidget()
        if widget is self.gradcam and self.gradcam.explanation is not None:
            return self.gradcam.export_png(path)
        if not widget.grab().save(str(path), "PNG"):
            raise OSError(f"Could not write {path}.")
        return path

    def export_png_dialog(self) -> None:
        name = f"{self.node_name or 'node'}_{self.tabs.tabText(self.tabs.currentIndex()).lower()}"
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save view as PNG", f"{name}.png", "PNG (*.png)"
        )
        if chosen:
            try:
                self.status_message.emit(f"Saved {self.export_png(chosen)}")
            except OSError as exc:
                self._say_error(str(exc))

    def shutdown(self) -> None:
        self.runner.shutdown()
        self.gradcam.shutdown()


def _csv_row_count(path: str) -> int:
    """Data rows of a CSV file (0 when it cannot be read: the sample then says why)."""
    from app.data.tabular import read_csv

    try:
        return len(read_csv(path)[1])
    except ValueError:
        return 0
