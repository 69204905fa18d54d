"""How the child process of a script import is started: through LayerLoom's own entry point.

The child runs `layerloom _run-script SCRIPT OUT_DIR MAX_BYTES`: a hidden subcommand of
app.__main__.main, which calls runner.main.  Frozen (the PyInstaller bundle) sys.executable is
the LayerLoom binary itself, which takes the subcommand as it is: there is no Python interpreter
in the bundle to start runner.py with.  From source the same main is called by
`python -c ...`, with the folder holding this `app` package first on sys.path: the child's
working directory is the script's folder, where `python -m app` would run a module of the
user's called app (app.py is a common name), and the child must run the same copy of
LayerLoom as the parent.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

RUN_SCRIPT = "_run-script"  # the hidden subcommand; app.__main__ dispatches the same name

_FROM_SOURCE = (
    "import sys; sys.path.insert(0, {root!r}); from app.__main__ import main; sys.exit(main())"
)


def child_command(*args: str) -> list[str]:
    """The child's argv for the runner's `args` (SCRIPT, OUT_DIR, MAX_BYTES)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, RUN_SCRIPT, *args]
    root = str(Path(__file__).resolve().parents[3])  # the folder holding the app package
    return [sys.executable, "-c", _FROM_SOURCE.format(root=root), RUN_SCRIPT, *args]


def popen_options() -> dict[str, Any]:
    """Platform options of the child: its own process group (stopped as a whole); on Windows no
    console window of its own (the frozen binary is a console program)."""
    if sys.platform == "win32":
        import subprocess

        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW}
    return {"start_new_session": True}
