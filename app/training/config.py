"""Moved to app.project.training_config; the names app.ui still imports from here."""

from app.project.training_config import (  # noqa: F401  re-exported for app.ui; imports move later
    SCHEDULES,
    TrainingConfig,
    TrainingError,
)
