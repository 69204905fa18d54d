"""Where file dialogs start: the folder last used for the same kind of file, kept in QSettings.

Kinds are short names ("project", "keras", "script", "image", "plots", "export"); a kind never
used yet starts in the open project's folder, else the last project folder, else the home folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

DIRS_KEY = "dialogs/last_dir"
PROJECT_DIR_KEY = "recent/dir"  # the folder of the last project opened or saved


def start_dir(kind: str, project_path: str | os.PathLike | None = None) -> Path:
    """The folder a dialog for `kind` files opens in."""
    settings = QSettings()
    candidates = (
        settings.value(f"{DIRS_KEY}/{kind}", ""),
        Path(project_path).parent if project_path else "",
        settings.value(PROJECT_DIR_KEY, ""),
    )
    for folder in candidates:
        if folder and Path(folder).is_dir():
            return Path(folder)
    return Path.home()


def remember_dir(kind: str, chosen: str | os.PathLike) -> None:
    """Record the folder of a file (or the folder itself) the user chose for `kind`."""
    path = Path(chosen)
    folder = path if path.is_dir() else path.parent
    QSettings().setValue(f"{DIRS_KEY}/{kind}", str(folder))
