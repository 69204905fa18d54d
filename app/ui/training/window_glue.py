"""How the training panel sits in the main window: the Training tab, the Train menu, closing."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

ROOMY_HEIGHT = 470  # the bottom dock grows to this when the Training tab is shown


class WindowGlue:
    """Mixin of TrainingPanel: wiring into a MainWindow (tabs, menu, status bar, closing)."""

    @classmethod
    def install_in(cls, window: Any) -> Any:
        """Create the panel as the "Training" tab of a MainWindow's bottom panels and wire it."""
        panel = cls(window)
        panel.install(window)
        return panel

    def install(self, window: Any) -> None:
        """Wire into a MainWindow: Training tab, Train menu, Keras readiness, status bar, opening
        run models, error boxes."""
        self.window_ = window
        self.loader = window.keras
        window.keras.ready.connect(self._on_keras_ready)
        if window.keras.is_ready:
            self._on_keras_ready()
        self.status_message.connect(lambda m: window.statusBar().showMessage(m, 8000))
        self.open_model_requested.connect(window.open_path)
        self.show_error = lambda title, msg: window.show_error(title, msg)
        tabs = getattr(window, "tabs", None)
        if tabs is not None:
            tabs.addTab(self, "Training")
            tabs.currentChanged.connect(lambda _i: self._make_room())
        menu = window.menuBar().addMenu("&Train")
        self.show_action = QAction("Show training panel", self)
        self.show_action.triggered.connect(self.reveal)
        for act in (self.start_action, self.pause_action, self.resume_action, self.stop_action):
            menu.addAction(act)
            window.addAction(act)
        menu.addSeparator()
        menu.addAction(self.show_action)
        self.start_action.triggered.connect(self.reveal)

    def reveal(self) -> None:
        """Show the Training tab (and its dock) in the main window."""
        window = getattr(self, "window_", None)
        if window is None:
            return
        dock = getattr(window, "panels_dock", None)
        if dock is not None and not dock.isVisible():
            dock.show()
        if getattr(window, "tabs", None) is not None:
            window.tabs.setCurrentWidget(self)
        self._make_room()

    def _make_room(self) -> None:
        window = getattr(self, "window_", None)
        dock = getattr(window, "panels_dock", None)
        if (
            dock is not None
            and window.tabs.currentWidget() is self
            and not dock.isFloating()
            and dock.height() < ROOMY_HEIGHT
        ):
            window.resizeDocks([dock], [ROOMY_HEIGHT], Qt.Orientation.Vertical)

    def confirm_close(self) -> bool:
        """Closing the window: ask whether to stop a running training; True if it may close."""
        if not self.is_running:
            return True
        if not self.ask(
            "Training is running",
            "Stop the training and close? The model trained so far is kept in the run folder.",
        ):
            return False
        self.shutdown()
        return True
