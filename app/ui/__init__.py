"""Everything Qt: main window, canvas, palette, inspector, panels. The only package importing PySide6."""

from app.ui.qt_compat import guard_none_refcount

guard_none_refcount()
