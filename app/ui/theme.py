"""Light and dark palettes on the Fusion style, following the OS colour scheme unless the user picks."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEME_MODES = ("system", "light", "dark")
SETTINGS_KEY = "view/theme"

_DARK = {
    "window": "#2b2d31",
    "base": "#1f2023",
    "alt": "#27292d",
    "text": "#e3e5e8",
    "disabled": "#7b7f87",
    "button": "#34363b",
    "highlight": "#3d7be0",
    "highlight_text": "#ffffff",
    "tooltip": "#3a3d42",
    "link": "#6ea8fe",
    "mid": "#3f4248",
    "dark": "#16171a",
    "light": "#4a4d54",
}
_LIGHT = {
    "window": "#f3f4f6",
    "base": "#ffffff",
    "alt": "#f6f7f9",
    "text": "#1d1f23",
    "disabled": "#9a9ea6",
    "button": "#eceef1",
    "highlight": "#2f6fdb",
    "highlight_text": "#ffffff",
    "tooltip": "#ffffe8",
    "link": "#1a5fd0",
    "mid": "#c9ccd2",
    "dark": "#a0a4ab",
    "light": "#ffffff",
}


def system_is_dark() -> bool:
    """True when the OS asks for a dark colour scheme (Qt 6.5+), else judged from the palette."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return True
        if value == Qt.ColorScheme.Light:
            return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def build_palette(dark: bool) -> QPalette:
    """A complete QPalette for the dark or light look."""
    c = {k: QColor(v) for k, v in (_DARK if dark else _LIGHT).items()}
    p = QPalette()
    R = QPalette.ColorRole
    for role, key in (
        (R.Window, "window"), (R.WindowText, "text"), (R.Base, "base"), (R.AlternateBase, "alt"),
        (R.Text, "text"), (R.Button, "button"), (R.ButtonText, "text"), (R.BrightText, "highlight_text"),
        (R.Highlight, "highlight"), (R.HighlightedText, "highlight_text"), (R.ToolTipBase, "tooltip"),
        (R.ToolTipText, "text"), (R.Link, "link"), (R.Mid, "mid"), (R.Dark, "dark"), (R.Light, "light"),
        (R.Midlight, "light"), (R.Shadow, "dark"), (R.PlaceholderText, "disabled"),
    ):  # fmt: skip
        p.setColor(role, c[key])
    for role in (R.Text, R.WindowText, R.ButtonText, R.HighlightedText):
        p.setColor(QPalette.ColorGroup.Disabled, role, c["disabled"])
    p.setColor(QPalette.ColorGroup.Disabled, R.Highlight, c["mid"])
    return p


class ThemeManager(QObject):
    """Applies the chosen theme mode and re-applies it when the OS scheme changes."""

    theme_changed = Signal(bool)  # True when dark

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        self._mode = "system"
        self._dark = False
        app.setStyle("Fusion")
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._on_system_changed)

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def is_dark(self) -> bool:
        return self._dark

    def load(self) -> None:
        """Apply the mode saved in QSettings (default: follow the system)."""
        mode = str(QSettings().value(SETTINGS_KEY, "system"))
        self.set_mode(mode if mode in THEME_MODES else "system", save=False)

    def set_mode(self, mode: str, save: bool = True) -> None:
        """Switch to "system", "light" or "dark"."""
        if mode not in THEME_MODES:
            raise ValueError(f"unknown theme mode {mode!r}")
        self._mode = mode
        if save:
            QSettings().setValue(SETTINGS_KEY, mode)
        self._apply()

    def _on_system_changed(self, *_args) -> None:
        if self._mode == "system":
            self._apply()

    def _apply(self) -> None:
        dark = system_is_dark() if self._mode == "system" else self._mode == "dark"
        self._dark = dark
        self._app.setPalette(build_palette(dark))
        self._app.setStyleSheet(_style_sheet(dark))
        self.theme_changed.emit(dark)


def _style_sheet(dark: bool) -> str:
    c = _DARK if dark else _LIGHT
    return f"""
QToolTip {{ color: {c["text"]}; background: {c["tooltip"]}; border: 1px solid {c["mid"]}; padding: 4px; }}
QDockWidget::title {{ padding: 5px 8px; background: {c["button"]}; }}
QTabBar::tab {{ padding: 5px 14px; }}
QStatusBar QLabel {{ padding: 0 6px; }}
QLabel#inspectorError {{ color: {"#ff7b72" if dark else "#c62828"}; }}
QLabel#inspectorTitle {{ font-weight: 600; font-size: 11pt; }}
QLabel#inspectorSubtitle {{ color: {c["disabled"]}; }}
QLabel#emptyHint {{ color: {c["disabled"]}; }}
"""
