"""The data panel's settings column: source and its options, validation, normalisation,
targets, seed, sample limit and the Load button (the panel connects and fills them)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.data.folds import MAX_FOLDS
from app.ui.data.options import PathEdit
from app.ui.data.sources import AvailabilityNote, compact, fill_sources
from app.ui.data.standardise import BUTTON_TIP
from app.ui.data.views import notice
from app.ui.data.worker import TaskRunner

VALIDATION_LABELS = {
    "split": "Hold out a split",
    "kfold": "k-fold cross-validation",
    "source": "The source's test set",
    "separate": "A separate file",
    "none": "No validation",
}
NORM_LABELS = {
    "none": "None",
    "standard": "Standardise outside the model",
    "minmax": "Min-max to 0..1",
}


class DataSettingsColumn(QWidget):
    """The widgets of the data settings, in one form layout (`form`)."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.source_combo = QComboBox(self)
        fill_sources(self.source_combo)
        self.form.addRow("Source", self.source_combo)
        self.availability = AvailabilityNote(runner, self)
        self.form.addRow(self.availability)
        self.options_box = QGroupBox("Options", self)
        self.options_layout = QVBoxLayout(self.options_box)
        self.form.addRow(self.options_box)
        self.validation = QComboBox(self)
        for key, text in VALIDATION_LABELS.items():
            self.validation.addItem(text, key)
        self.split = QDoubleSpinBox(self)
        self.split.setRange(0.0, 0.9)
        self.split.setSingleStep(0.05)
        self.split.setDecimals(2)
        self.folds = QSpinBox(self)
        self.folds.setRange(2, MAX_FOLDS)
        self.folds.setSuffix(" folds")
        self.folds.setToolTip(
            "Train one run per fold, each validating on its own part of the data and training "
            "on the rest (shuffled first with the seed, when training shuffles); the runs "
            "table shows their mean ± std."
        )
        self.val_path = PathEdit(False, "Data files (*.csv *.npz *.npy)", self)
        self.form.addRow("Validation", self.validation)
        self.form.addRow("Split fraction", self.split)
        self.form.addRow("Folds", self.folds)
        self.form.addRow("Validation file", self.val_path)
        self.normalization = QComboBox(self)
        for key, text in NORM_LABELS.items():
            self.normalization.addItem(text, key)
        self.form.addRow("Normalise", self.normalization)
        self.standardise_button = QPushButton("Standardise in the model", self)
        self.standardise_button.setToolTip(BUTTON_TIP)
        self.form.addRow("", self.standardise_button)
        self.norm_note = notice("", self)
        self.norm_note.hide()
        self.form.addRow(self.norm_note)
        self.target = QComboBox(self)
        self.target.addItem("The labels", "labels")
        self.target.addItem("The inputs (autoencoder)", "inputs")
        self.form.addRow("Targets", self.target)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.form.addRow("Seed", self.seed)
        self.max_samples = QSpinBox(self)
        self.max_samples.setRange(0, 100_000_000)
        self.max_samples.setSpecialValueText("All")
        self.max_samples.setSingleStep(1000)
        self.form.addRow("Max samples", self.max_samples)
        load_row = QHBoxLayout()
        self.load_button = QPushButton("Load data", self)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedSize(80, 10)
        self.busy.hide()
        load_row.addWidget(self.load_button)
        load_row.addWidget(self.busy)
        load_row.addStretch(1)
        self.form.addRow(load_row)
        for combo in self.findChildren(QComboBox):
            compact(combo)
