"""RunsTable: the recorded runs of the project (start, settings, best metrics, duration, status)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.project.run_groups import RunGroup, format_spread, group_runs
from app.project.runs import RunRecord
from app.training.runs import list_runs

COLUMNS = ["Started", "Status", "Duration", "Epochs", "Best metrics", "Settings"]
STATUS_COLORS = {
    "completed": "#16a34a",
    "stopped": "#d97706",
    "failed": "#dc2626",
    "running": "#2563eb",
    "interrupted": "#9a3412",  # its process ended mid-run (app.project.runs.settled)
}


def _started(text: str) -> str:
    try:
        return datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def metrics_text(rec: RunRecord, limit: int = 4) -> str:
    """'val_loss 0.123 · val_accuracy 0.95' (validation metrics first)."""
    items = [(k, v) for k, v in rec.best_metrics.items() if k != "best_epoch"]
    items.sort(key=lambda kv: (not kv[0].startswith("val_"), kv[0]))
    return " · ".join(f"{k} {v:.4g}" for k, v in items[:limit])


class FolderLabel(QLabel):
    """A path elided in the middle to the width the layout gives it (whole in the tooltip).

    Its width hint is ignored: a long runs folder must not widen the bottom dock under the
    inspector (a QLabel's minimum width is its whole text, and the window would honour it).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full_text = ""
        self.setTextFormat(Qt.TextFormat.PlainText)  # a path is never markup
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def set_full_text(self, text: str) -> None:
        self._full_text = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        self.setText(
            metrics.elidedText(self._full_text, Qt.TextElideMode.ElideMiddle, self.width())
        )


def group_cells(group: RunGroup) -> list[str]:
    """The row of a k-fold group: its folds done of k, total time, mean ± std of the folds'
    best validation metrics (all best metrics when none is a validation one)."""
    best = group.best_spread()
    keys = sorted(k for k in best if k.startswith("val_")) or sorted(
        k for k in best if k != "best_epoch"
    )
    first = group.runs[0].summary if group.runs else ""
    settings = first.split(", ", 1)[1] if first.startswith("fold ") else first
    return [
        _started(group.started),
        f"{group.status} {group.done}/{group.folds}",
        _duration(group.duration_s),
        f"{group.folds} folds",
        format_spread(best, keys[:3]) or "no fold completed",
        f"{group.folds}-fold cross-validation · {settings}",
    ]


class RunsTable(QWidget):
    """A table of runs with Open model / Re-run / Overlay / Delete actions; the runs of a
    k-fold cross-validation are one row (mean ± std) that expands to its folds."""

    open_requested = Signal(str)  # path of a .keras file
    rerun_requested = Signal(str)  # run folder
    overlay_requested = Signal(list)  # run folders
    delete_requested = Signal(list)  # run folders

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunRecord] = []
        self.runs_dir: Path | None = None
        self.table = QTreeWidget(self)
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHeaderLabels(COLUMNS)
        self.table.setRootIsDecorated(True)
        self.table.setUniformRowHeights(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        hh = self.table.header()
        hh.setStretchLastSection(False)
        for c in range(4):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _i: self._overlay())
        self.open_btn = QPushButton("Open model", self)
        self.open_btn.setToolTip("Open the run's best (or final) model as a new graph")
        self.rerun_btn = QPushButton("Re-run", self)
        self.rerun_btn.setToolTip("Use this run's settings and train again")
        self.overlay_btn = QPushButton("Overlay in plots", self)
        self.delete_btn = QPushButton("Delete…", self)
        self.open_btn.clicked.connect(self._open)
        self.rerun_btn.clicked.connect(lambda: self._emit_one(self.rerun_requested))
        self.overlay_btn.clicked.connect(self._overlay)
        self.delete_btn.clicked.connect(lambda: self.delete_requested.emit(self.selected_paths()))
        self.folder = FolderLabel(self)
        self.folder.setEnabled(False)
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar = QHBoxLayout()
        for b in (self.open_btn, self.rerun_btn, self.overlay_btn, self.delete_btn):
            bar.addWidget(b)
        bar.addWidget(self.folder, 1)  # it takes the room left, and no more
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        self._update_buttons()

    def refresh(self, runs_dir: Path | None = None, records: list[RunRecord] | None = None) -> None:
        """Show `records` (newest first), else re-read the run folders under runs_dir."""
        if runs_dir is not None:
            self.runs_dir = Path(runs_dir)
        if records is not None:
            self.runs = list(records)
        else:
            self.runs = list_runs(self.runs_dir) if self.runs_dir else []
        self.folder.set_full_text(f"Runs folder: {self.runs_dir}" if self.runs_dir else "")
        t = self.table
        expanded = {
            t.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole + 1)
            for i in range(t.topLevelItemCount())
            if t.topLevelItem(i).isExpanded()
        }
        t.clear()
        for entry in group_runs(self.runs):
            if isinstance(entry, RunGroup):
                item = self._group_item(entry)
                t.addTopLevelItem(item)
                item.setExpanded(entry.id in expanded)
            else:
                t.addTopLevelItem(self._run_item(entry))
        self._update_buttons()

    def _run_item(self, rec: RunRecord, fold: bool = False) -> QTreeWidgetItem:
        epochs = str(rec.epochs_done)
        if "best_epoch" in rec.best_metrics:
            epochs += f" (best {int(rec.best_metrics['best_epoch'])})"
        started = f"fold {rec.fold + 1}" if fold else _started(rec.started)
        cells = [started, rec.status, _duration(rec.duration_s), epochs, metrics_text(rec)]
        item = QTreeWidgetItem([*cells, rec.summary])
        item.setData(0, Qt.ItemDataRole.UserRole, [rec.path])
        item.setForeground(1, QColor(STATUS_COLORS.get(rec.status, "#888")))
        if rec.message:
            item.setToolTip(1, rec.message)
        item.setToolTip(4, "\n".join(f"{k}: {v:.6g}" for k, v in rec.best_metrics.items()))
        return item

    def _group_item(self, group: RunGroup) -> QTreeWidgetItem:
        item = QTreeWidgetItem(group_cells(group))
        item.setData(0, Qt.ItemDataRole.UserRole, [r.path for r in group.runs])
        item.setData(0, Qt.ItemDataRole.UserRole + 1, group.id)
        item.setForeground(1, QColor(STATUS_COLORS.get(group.status, "#888")))
        tips = [f"mean ± std (population) over the {group.done} completed folds"]
        for title, values in (("final", group.final_spread()), ("best", group.best_spread())):
            tips += [f"{title} {k}: {m:.6g} ± {sd:.3g}" for k, (m, sd) in values.items()]
        item.setToolTip(4, "\n".join(tips))
        item.setToolTip(0, f"k-fold cross-validation {group.id}: expand for its folds")
        for rec in group.runs:
            item.addChild(self._run_item(rec, fold=True))
        return item

    def selected_paths(self) -> list[str]:
        """The selected runs' folders; a selected k-fold row stands for all its folds."""
        out: list[str] = []
        for item in self.table.selectedItems():
            for p in item.data(0, Qt.ItemDataRole.UserRole) or []:
                if p not in out:
                    out.append(p)
        return out

    def select_run(self, path: str) -> None:
        """Select the row of the run in `path` (a fold's own row, its group expanded)."""
        t = self.table
        for i in range(t.topLevelItemCount()):
            top = t.topLevelItem(i)
            rows = [top] + [top.child(j) for j in range(top.childCount())]
            for item in rows:
                if item.data(0, Qt.ItemDataRole.UserRole) == [path]:
                    if item is not top:
                        top.setExpanded(True)
                    t.setCurrentItem(item)
                    return

    def model_file(self, path: str) -> Path | None:
        """The best model of a run, else its final model."""
        rec = next((r for r in self.runs if r.path == path), None)
        if rec is None:
            return None
        for name in (rec.best_model, rec.final_model):
            if name and (Path(rec.path) / name).is_file():
                return Path(rec.path) / name
        return None

    def _update_buttons(self) -> None:
        paths = self.selected_paths()
        one = len(paths) == 1
        self.open_btn.setEnabled(one and self.model_file(paths[0]) is not None)
        self.rerun_btn.setEnabled(one)
        self.overlay_btn.setEnabled(bool(paths))
        self.delete_btn.setEnabled(bool(paths))

    def _emit_one(self, signal) -> None:
        paths = self.selected_paths()
        if len(paths) == 1:
            signal.emit(paths[0])

    def _open(self) -> None:
        paths = self.selected_paths()
        f = self.model_file(paths[0]) if len(paths) == 1 else None
        if f is not None:
            self.open_requested.emit(str(f))

    def _overlay(self) -> None:
        paths = self.selected_paths()
        if paths:
            self.overlay_requested.emit(paths)
