"""Evaluation views: metrics, confusion matrix, per-class report, predictions, reconstructions."""

from app.ui.evaluation.panel import EvaluationPanel

__all__ = ["EvaluationPanel"]
