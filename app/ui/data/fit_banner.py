"""The data panel's "Fit model to data" banner: what would change, and a button that does it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget

from app.data import Dataset, suggest_model_settings
from app.project.commands import fit_model_to_data
from app.ui.data.fit_model import fit_command
from app.ui.data.views import notice
from app.ui.undo import push

if TYPE_CHECKING:
    from app.ui.document import Document


class FitModelBanner(QFrame):
    """Offers to set the Input shape, the output layer and the loss to match the loaded data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fitBanner")
        self.setStyleSheet(
            "#fitBanner { border: 1px solid palette(highlight); border-radius: 4px; }"
        )
        box = QHBoxLayout(self)
        box.setContentsMargins(8, 4, 8, 4)
        self.message = notice("", self)
        self.apply_button = QPushButton("Fit model to data", self)
        self.apply_button.setToolTip(
            "Set the Input shape, the output layer and the loss to match this data (one undo step)"
        )
        box.addWidget(self.message, 1)
        box.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def offer(self, document: Document, dataset: Dataset) -> None:
        """Show the changes the model needs to fit `dataset`; hidden when it fits already."""
        try:
            cmd, losses, words = _fit_command(document, dataset)
        except Exception as exc:  # noqa: BLE001 — a graph the builder rejects: say so, keep going
            self.message.setText(f"The model cannot be fitted to this data automatically: {exc}")
            self.apply_button.setEnabled(False)
            self.show()
            return
        if cmd is None and not losses:
            self.hide()
            return
        self.message.setText("<b>Fit the model to this data?</b> " + " ".join(words))
        self.apply_button.setEnabled(True)
        self.show()

    def apply(self, document: Document, dataset: Dataset) -> bool:
        """Push the changes as one undo step; False when the model fits already."""
        cmd, losses, _ = _fit_command(document, dataset)
        if cmd is None and not losses:
            return False
        project = document.project
        push(document.undo_stack, project, fit_model_to_data(project, cmd, losses))
        return True


def _fit_command(document: Document, dataset: Dataset):
    current = document.project.training.losses
    return fit_command(document.graph, suggest_model_settings(dataset), current, dataset.task)
