"""Everything Qt: main window, canvas, palette, inspector, panels. The only package importing PySide6."""
