"""The graph canvas: scene (items kept in step with the model), view, gestures, clipboard, export."""

from app.ui.canvas.scene import GraphScene
from app.ui.canvas.view import CanvasView

__all__ = ["CanvasView", "GraphScene"]
