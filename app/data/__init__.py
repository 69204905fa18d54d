"""Dataset sources and the checks that data fits a model (no Qt; Keras imported lazily)."""

from app.data import (  # noqa: F401 (register)
    bundled,
    files,
    keras_datasets,
    synthetic,
    tabular,
    text_folders,
)
from app.data.compat import check_compatibility, fit_arrays, model_inputs, model_outputs
from app.data.dataset import DataConfig, DataError, Dataset, class_ids
from app.data.prepare import load_dataset
from app.data.source import SOURCES, DataSource, OptionSpec
from app.data.suggest import preview, suggest_model_settings
from app.data.synthetic import synthetic_dataset

__all__ = [
    "SOURCES",
    "DataConfig",
    "DataError",
    "DataSource",
    "Dataset",
    "OptionSpec",
    "check_compatibility",
    "class_ids",
    "fit_arrays",
    "load_dataset",
    "model_inputs",
    "model_outputs",
    "preview",
    "suggest_model_settings",
    "synthetic_dataset",
]
