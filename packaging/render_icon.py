"""Renders LayerLoom's app icon (drawn in code by app/ui/icons.py) into image files for installers.

Run as `python packaging/render_icon.py OUT.png [OUT.ico ...]`: the format follows the suffix
(Qt writes .png, .ico and .icns).  A separate process: it needs a QGuiApplication.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZE = 256  # the largest size desktops ask for; .ico keeps 256 as its upper limit


def render(outputs: list[Path], size: int = SIZE) -> None:
    """Draw the app icon at `size` pixels and save it to every path of `outputs`."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter

    from app.ui import icons

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / 24.0, size / 24.0)  # the icons' 24x24 design grid
    icons._draw_app(painter, icons.QColor("#3d7be0"))  # the drawing behind icons.app_icon()
    painter.end()
    for out in outputs:
        out.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(out)):
            raise SystemExit(f"Qt could not write {out}")


if __name__ == "__main__":
    render([Path(p) for p in sys.argv[1:]])
