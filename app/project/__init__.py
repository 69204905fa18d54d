"""The project file: graph + data + training settings + runs as versioned JSON (.llproj).

Saves are atomic, older formats are migrated step by step, and bad files give a
ProjectFileError with a plain message.  Importing this package does not import TensorFlow.
"""

from app.project.fileio import load_project, save_project
from app.project.migrations import FORMAT_VERSION, MIGRATIONS
from app.project.project import PROJECT_SUFFIX, Project
from app.project.runs import RunRecord
from app.project.settings import DataSettings, TrainingSettings
from app.project.training_config import CallbackConfig, TrainingConfig, TrainingError

__all__ = [
    "FORMAT_VERSION",
    "MIGRATIONS",
    "PROJECT_SUFFIX",
    "CallbackConfig",
    "DataSettings",
    "Project",
    "RunRecord",
    "TrainingConfig",
    "TrainingError",
    "TrainingSettings",
    "load_project",
    "save_project",
]
