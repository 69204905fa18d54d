"""The data panel: dataset source, split, normalisation, shapes, class balance and preview."""

from app.ui.data.panel import DataPanel

__all__ = ["DataPanel"]
