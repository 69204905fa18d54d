"""The data panel's right column: which data is loaded, whether it fits the model, and what it
looks like (shapes, class balance, a preview), or a placeholder until it is loaded."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.data import Dataset
from app.ui.data.fit_banner import FitModelBanner
from app.ui.data.results import DatasetView
from app.ui.data.views import OK, WARN, notice


class DataOverview(QWidget):
    """Title line, the "Fit model to data" banner, the data/model check and the DatasetView."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problems: list[str] = []  # what the last check found wrong, in words
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 4, 4)
        self.title = QLabel("No data loaded", self)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        box.addWidget(self.title)
        self.banner = FitModelBanner(self)
        box.addWidget(self.banner)
        self.compat = notice("", self)
        box.addWidget(self.compat)
        self.results = DatasetView(self)
        box.addWidget(self.results, 1)
        self.placeholder = notice(
            "Shapes, class balance and a preview appear here once the data is loaded.", self
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setEnabled(False)
        box.addWidget(self.placeholder, 1)

    def clear(self) -> None:
        """No data shown: the placeholder, no banner, no check."""
        self.title.setText("No data loaded")
        self.results.hide()
        self.results.clear()
        self.placeholder.show()
        self.banner.hide()
        self.set_compat([], loaded=False)

    def show_failure(self, message: str) -> None:
        """The data could not be loaded: say why."""
        self.clear()
        self.title.setText("The data could not be loaded")
        self.set_compat([message], loaded=False)

    def show_dataset(self, ds: Dataset, preview: dict) -> str:
        """Show the loaded `ds` and its `preview`; returns its title."""
        s = ds.summary()
        val = f", {s['val_samples']:,} validation" if s["val_samples"] else ", no validation"
        self.title.setText(f"{s['title']} — {s['samples']:,} training{val} samples · {s['task']}")
        self.placeholder.hide()
        self.results.show_dataset(ds, preview)
        self.results.show()
        return s["title"]

    def set_compat(self, problems: list[str], loaded: bool) -> None:
        """Every mismatch of data and model in words; with none, "fits" when data is `loaded`."""
        self.problems = list(problems)
        if not problems:
            self.compat.setText("✓ The data fits the model." if loaded else "")
            self.compat.setStyleSheet(f"color: {OK};" if loaded else "")
            return
        self.compat.setText("\n".join(f"⚠ {p}" for p in problems))
        self.compat.setStyleSheet(f"color: {WARN};")
