"""The main window's bottom panels (Data, Evaluation, Training, Project code): one table, built
on first show.

To add a panel: write a QWidget with `set_document(document)` and `shutdown()`, a `build_*`
function below that makes it from the PanelServices it needs, and a row in BOTTOM_TABS. The
module of a panel is imported by its build function only, so neither it nor pyqtgraph (the
plots) is on the start-up path: a tab holds an empty placeholder until it is first shown or a
panel is first asked for (`BottomPanels.panel`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabWidget, QWidget

from app.ui.keras_loader import KerasLoader
from app.ui.training.actions import TrainActions

if TYPE_CHECKING:
    from app.data import Dataset
    from app.ui.data.panel import DataPanel
    from app.ui.document import Document
    from app.ui.evaluation.panel import EvaluationPanel
    from app.ui.inside.panel import InsidePanel
    from app.ui.panels.project_code import ProjectCodePanel
    from app.ui.training.panel import TrainingPanel

DATA_TAB, EVALUATION_TAB, TRAINING_TAB = "Data", "Evaluation", "Training"
PROJECT_CODE_TAB = "Project code"
INSIDE_TAB = "Inside"

# A first window: 1440x900, more on big screens, never more than the screen (less its title
# bar, which a window manager adds outside the geometry); the bottom dock starts at a share of it.
PREFERRED_WINDOW = QSize(1440, 900)
BIG_SCREEN_SHARE = 0.85
TITLE_BAR_ALLOWANCE = 32
BOTTOM_DOCK_SHARE = 0.22


def first_window_geometry(available: QRect) -> QRect:
    """Where a window with no saved geometry goes on a screen whose free area is `available`."""
    width = max(PREFERRED_WINDOW.width(), round(available.width() * BIG_SCREEN_SHARE))
    height = max(PREFERRED_WINDOW.height(), round(available.height() * BIG_SCREEN_SHARE))
    size = QSize(
        min(width, available.width()), min(height, available.height() - TITLE_BAR_ALLOWANCE)
    )
    rect = QRect(available.topLeft(), size)
    rect.moveCenter(available.center())
    rect.moveTop(max(rect.top(), available.top() + TITLE_BAR_ALLOWANCE))
    return rect


class Panel(Protocol):
    """What every bottom panel offers the window."""

    def set_document(self, document: Document) -> None: ...

    def shutdown(self) -> None: ...


@dataclass(frozen=True)
class PanelServices:
    """What the window gives panels: each build function takes the collaborators it needs."""

    parent: QWidget
    status: Callable[[str], None]  # a line in the status bar
    report_error: Callable[[str, str], None]  # (title, message) the user must see
    open_path: Callable[[str], bool]  # open a project or .keras file in the window
    keras: KerasLoader
    train_actions: TrainActions
    data_panel: Callable[[], DataPanel]  # built on demand
    training_panel: Callable[[], TrainingPanel]  # built on demand


def build_data_panel(services: PanelServices) -> DataPanel:
    from app.ui.data.panel import DataPanel

    panel = DataPanel(services.parent)
    panel.status_message.connect(services.status)
    return panel


def build_training_panel(services: PanelServices) -> TrainingPanel:
    from app.ui.training.catalog import project_blocks, project_code_names, project_code_source
    from app.ui.training.panel import TrainingPanel

    panel = TrainingPanel(
        services.parent,
        actions=services.train_actions,
        keras=services.keras,
        report_error=services.report_error,
    )
    panel.status_message.connect(services.status)
    panel.open_model_requested.connect(services.open_path)
    # The loss and metric pickers offer the project's custom code by name.
    panel.form.code_names = lambda kind: project_code_names(
        panel.document.project if panel.document is not None else None, kind
    )
    # The training step row reads a step's __init__ from its text and offers the blocks.
    panel.form.code_source = lambda kind, name: project_code_source(
        panel.document.project if panel.document is not None else None, kind, name
    )
    panel.form.blocks = lambda: project_blocks(
        panel.document.project if panel.document is not None else None
    )
    return panel


def build_project_code_panel(services: PanelServices) -> ProjectCodePanel:
    from app.ui.panels.project_code import ProjectCodePanel

    panel = ProjectCodePanel(services.parent)
    panel.status_message.connect(services.status)
    return panel


def build_evaluation_panel(services: PanelServices) -> EvaluationPanel:
    from app.ui.evaluation.panel import EvaluationPanel

    panel = EvaluationPanel(services.parent)
    panel.status_message.connect(services.status)
    # The panel keeps the feed: Qt's connections to a plain object's methods do not keep it
    # alive, and a collected feed never hands the panel the data of a finished run.
    panel.feed = EvaluationFeed(panel, services.data_panel(), services.training_panel())
    return panel


def build_inside_panel(services: PanelServices) -> InsidePanel:
    from app.ui.inside.panel import InsidePanel

    panel = InsidePanel(services.parent)
    panel.set_keras(services.keras)
    panel.status_message.connect(services.status)
    data, training = services.data_panel(), services.training_panel()
    data.dataset_loaded.connect(panel.set_dataset)
    panel.data_wanted.connect(data.load)
    training.run_finished.connect(lambda _result: panel.refresh_sources())
    if data.dataset is not None:
        panel.set_dataset(data.dataset)
    return panel


@dataclass(frozen=True)
class BottomTab:
    """One lazily built tab of the bottom dock.

    The first time it shows, the dock grows to `roomy_height` pixels, but never past
    ROOMY_SHARE of the window: the canvas and the inspector keep the larger part.
    """

    title: str
    build: Callable[[PanelServices], Panel]
    roomy_height: int = 0


ROOMY_SHARE = 0.4
BOTTOM_TABS = (
    BottomTab(DATA_TAB, build_data_panel, roomy_height=360),
    BottomTab(EVALUATION_TAB, build_evaluation_panel, roomy_height=360),
    BottomTab(TRAINING_TAB, build_training_panel, roomy_height=400),
    BottomTab(PROJECT_CODE_TAB, build_project_code_panel, roomy_height=360),
    BottomTab(INSIDE_TAB, build_inside_panel, roomy_height=400),
)


class EvaluationFeed:
    """Gives the evaluation panel the last trained model and the data panel's dataset."""

    def __init__(
        self, evaluation: EvaluationPanel, data: DataPanel, training: TrainingPanel
    ) -> None:
        self.evaluation, self.data, self.training = evaluation, data, training
        training.run_finished.connect(self._run_finished)
        data.dataset_loaded.connect(self._dataset_loaded)
        if training.last_model is not None:
            self._run_finished({})

    def _run_finished(self, _result: dict) -> None:
        from app.training.step_model import run_step

        model = self.training.last_model
        document = self.training.document
        # A run with a training step leaves the graph's plain model: the panel makes the step
        # around it to evaluate, as `layerloom evaluate --run` does.
        step = run_step(document.project) if model is not None and document is not None else None
        self.evaluation.set_model(model, self.data.dataset, "Last trained model", step=step)
        if model is not None and self.data.dataset is None:
            self.data.load()  # evaluation needs the data; it arrives via dataset_loaded
        elif model is not None and self.evaluation.isVisible():
            self.evaluation.evaluate()

    def _dataset_loaded(self, dataset: Dataset) -> None:
        if self.evaluation.model is not None:
            self.evaluation.set_dataset(dataset)
            if self.evaluation.isVisible():
                self.evaluation.evaluate()


class BottomPanels:
    """The table's panels in the window's bottom tabs: built on first show or first request."""

    def __init__(
        self,
        window: QMainWindow,
        tabs: QTabWidget,
        dock: QDockWidget,
        services: PanelServices,
        table: tuple[BottomTab, ...] = BOTTOM_TABS,
    ) -> None:
        self.window, self.tabs, self.dock, self.services = window, tabs, dock, services
        self.specs = {spec.title: spec for spec in table}
        self._placeholders: dict[str, QWidget] = {}
        self._panels: dict[str, Panel] = {}
        self._grown: set[str] = set()  # tabs that have had their roomy height
        self.document: Document | None = None
        self.selection: list[str] = []  # the canvas' selected node ids, for panels that show it
        for spec in table:
            placeholder = QWidget(tabs)
            self._placeholders[spec.title] = placeholder
            tabs.addTab(placeholder, spec.title)
        tabs.currentChanged.connect(self._tab_changed)

    def panel(self, title: str) -> Panel:
        """The panel of tab `title`, built now if it was not yet."""
        built = self._panels.get(title)
        if built is not None:
            return built
        panel = self.specs[title].build(self.services)
        self._panels[title] = panel
        if self.document is not None:
            panel.set_document(self.document)
        if self.selection and hasattr(panel, "set_selection"):
            panel.set_selection(self.selection)
        self._put_in_tab(title, panel)
        return panel

    def existing(self, title: str) -> Panel | None:
        """The panel of tab `title` if it has been built, else None."""
        return self._panels.get(title)

    def show(self, title: str) -> Panel:
        """Bring tab `title` (and the dock) into view."""
        panel = self.panel(title)
        if not self.dock.isVisible():
            self.dock.show()
        self.tabs.setCurrentWidget(panel)
        return panel

    def set_document(self, document: Document) -> None:
        self.document = document
        for panel in self._panels.values():
            panel.set_document(document)

    def set_selection(self, node_ids: list[str]) -> None:
        """The canvas' selection, for the panels that follow it (Inside)."""
        self.selection = list(node_ids)
        for panel in self._panels.values():
            if hasattr(panel, "set_selection"):
                panel.set_selection(self.selection)

    def shutdown(self) -> None:
        for panel in self._panels.values():
            panel.shutdown()

    def _put_in_tab(self, title: str, panel: QWidget) -> None:
        placeholder = self._placeholders.pop(title)
        index = self.tabs.indexOf(placeholder)
        current = self.tabs.currentIndex()
        blocked = self.tabs.blockSignals(True)  # the same tab stays current: no change to tell
        try:
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, panel, title)
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(blocked)
        placeholder.deleteLater()

    def _tab_changed(self, index: int) -> None:
        title = self.tabs.tabText(index)
        if title not in self.specs:
            return
        if self._placeholders.get(title) is self.tabs.widget(index):
            self.panel(title)
        if title in self._grown:  # once: a dock the user made smaller stays so
            return
        self._grown.add(title)
        height = min(self.specs[title].roomy_height, int(self.window.height() * ROOMY_SHARE))
        if height and not self.dock.isFloating() and self.dock.height() < height:
            self.window.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)
