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
    scan, which made importing numpy ~30% slower.
    """
    import app.model  # noqa: F401
    import app.project  # noqa: F401
    import app.project.examples  # noqa: F401
    import app.project.recovery  # noqa: F401


def run_gui(args: list[str]) -> int:
    """Start the editor; `args[0]` may name a .llproj or .keras file, else the default example opens.

    The window is shown empty first (menus, toolbar, canvas); the file or example opens on the
    first event-loop turn after its first paint, then Keras starts loading behind it.
    """
    from app.ui.platform_libs import window_problem

    problem = window_problem()  # Qt would abort with its plugin message instead
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
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
    path = args[0] if args and not args[0].startswith("-") else None
    sys.excepthook = _make_excepthook(window, sys.excepthook)
    _quit_cleanly_on_signals(app, window)
    window.show()
    QTimer.singleShot(0, lambda: _after_first_paint(app, window, path))
    from app.ui.canvas.clipboard import release_clipboard

    app.aboutToQuit.connect(release_clipboard)
    return app.exec()


def _after_first_paint(app, window, path: str | None) -> None:
    """Open `path` (or the default example), start loading Keras, offer crash leftovers."""
    from app.project.examples import DEFAULT_EXAMPLE

    app.processEvents()  # the expose and paint events that show() queued
    exit_after_shown = os.environ.get(EXIT_AFTER_SHOWN_ENV) == "1"
    if exit_after_shown:
        _report_shown(window)
    # A .keras file needs Keras, so Keras starts loading first; a project file does not.
    keras_file = path is not None and path.lower().endswith(".keras")
    if not keras_file and (path is None or not window.open_path(path)):
        window.open_example(DEFAULT_EXAMPLE)
    if not exit_after_shown:  # a measuring run ends below; it would wait seconds for Keras
        window.start_background_work()
    if keras_file and not window.open_path(path):
        window.open_example(DEFAULT_EXAMPLE)
    if exit_after_shown:
        _report_opened(window)
        window.shutdown()
        app.quit()
        return
    window.offer_recovery()


def _report_shown(window) -> None:
    """Print when the window was on screen (`benchmarks/bench_startup.py` reads this line)."""
    handle = window.windowHandle()
    exposed = handle is not None and handle.isExposed()
    keras_loaded = "tensorflow" in sys.modules or "keras" in sys.modules
    print(
        f"window_shown_s={process_age():.3f} cpu_s={time.process_time():.3f} "
        f"keras_imported={keras_loaded} exposed={exposed}",
        flush=True,
    )


def _report_opened(window) -> None:
    """Print what the window opened once it was up (the start-up tests read this line)."""
    doc = window.document
    if doc is None:
        print("opened nothing", flush=True)
        return
    origin, nodes = doc.origin, len(doc.project.graph)
    print(f"opened origin={origin} nodes={nodes} name={doc.project.name}", flush=True)


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
