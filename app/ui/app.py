"""GUI entry point: the window is shown before TensorFlow is imported, then Keras loads behind it."""

from __future__ import annotations

import os
import sys
import time

_IMPORTED_AT = time.time()
EXIT_AFTER_SHOWN_ENV = "LAYERLOOM_EXIT_AFTER_SHOWN"


def process_age() -> float:
    """Seconds since this process started (from /proc on Linux, else since this module loaded)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.time() - _IMPORTED_AT


def _preload_core() -> None:
    """Import the pure-Python core before PySide6.

    Once PySide6 is loaded, every later import also pays for shiboken's per-module source
    scan, which costs ~30% of start-up for numpy and networkx.
    """
    import app.model  # noqa: F401
    import app.project  # noqa: F401
    import app.project.examples  # noqa: F401
    import app.project.recovery  # noqa: F401


def run_gui(args: list[str]) -> int:
    """Start the editor; `args[0]` may name a .llproj or .keras file, else the default example opens."""
    _preload_core()
    from PySide6.QtCore import QCoreApplication, Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    QCoreApplication.setOrganizationName("LayerLoom")
    QCoreApplication.setOrganizationDomain("layerloom.org")
    QCoreApplication.setApplicationName("LayerLoom")
    app = QApplication.instance() or QApplication([sys.argv[0], *args])
    from app import __version__

    app.setApplicationVersion(__version__)

    from app.ui.main_window import MainWindow
    from app.ui.theme import ThemeManager

    theme = ThemeManager(app)
    theme.load()
    window = MainWindow(theme=theme)
    exit_after_shown = os.environ.get(EXIT_AFTER_SHOWN_ENV) == "1"
    from app.project.examples import DEFAULT_EXAMPLE

    path = args[0] if args and not args[0].startswith("-") else None
    # A .keras file needs Keras, and a bad path needs a message box: both wait for the window.
    later = path is not None and (path.lower().endswith(".keras") or not os.path.isfile(path))
    if not later and (path is None or not window.open_path(path)):
        window.open_example(DEFAULT_EXAMPLE)
    sys.excepthook = _make_excepthook(window, sys.excepthook)
    _quit_cleanly_on_signals(app, window)
    window.show()

    def shown() -> None:
        if exit_after_shown:
            app.processEvents()
            keras_loaded = "tensorflow" in sys.modules or "keras" in sys.modules
            print(f"window_shown_s={process_age():.3f} keras_imported={keras_loaded}", flush=True)
            window.shutdown()
            app.quit()
            return
        window.start_background_work()
        if later and not window.open_path(path):
            window.open_example(DEFAULT_EXAMPLE)
        window.offer_recovery()

    QTimer.singleShot(0, shown)
    from app.ui.canvas.clipboard import release_clipboard

    app.aboutToQuit.connect(release_clipboard)
    return app.exec()


def _quit_cleanly_on_signals(app, window) -> None:
    """SIGTERM/SIGINT (logout, Ctrl+C): autosave unsaved work, stop threads, quit."""
    import signal

    from PySide6.QtCore import QTimer

    def on_signal(*_args) -> None:
        window.autosave.autosave_now()  # kept: offered back at the next start
        window.shutdown()
        app.exit(0)  # not quit(): that would close the window and ask about saving

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    # Python runs signal handlers only between bytecodes; wake it up now and then.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(300)


def _make_excepthook(window, previous):
    """Errors escaping a Qt slot: a LayerLoomError goes to the status bar, others to a message box."""
    from app.errors import LayerLoomError

    def hook(exc_type, exc, tb) -> None:
        if isinstance(exc, LayerLoomError):
            window.statusBar().showMessage(str(exc), 8000)
            return
        previous(exc_type, exc, tb)  # keep the traceback on stderr for bug reports
        if issubclass(exc_type, KeyboardInterrupt):
            return
        try:
            window.show_error(
                "Unexpected error",
                f"{exc_type.__name__}: {exc}\n\nYour work is autosaved; please report this.",
            )
        except Exception:
            pass

    return hook
