"""scikit-learn's bundled datasets: they ship with the package, so they work offline."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.data.dataset import Dataset
from app.data.source import SOURCES, DataSource, OptionSpec


class SklearnSource(DataSource):
    """One `sklearn.datasets.load_*` dataset as float32 features and integer / float targets."""

    kind = "bundled"

    def __init__(self, name: str, title: str, task: str, images: bool = False):
        self.id = f"sklearn.{name}" + ("_images" if images else "")
        self.title = title
        self.loader = "load_" + name
        self.task = task
        self.images = images
        self.options = (
            (OptionSpec("scale", "bool", True, help="Divide pixel values (0..16) by 16."),)
            if name == "digits"
            else ()
        )

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, self.loader)()
        x = np.asarray(bunch.data, dtype=np.float32)
        notes = []
        if self.loader == "load_digits" and self.option(options, "scale"):
            x = x / 16.0
            notes.append("Pixel values scaled from 0..16 to 0..1.")
        if self.images:
            x = x.reshape(-1, 8, 8, 1)
        if self.task == "classification":
            y = np.asarray(bunch.target, dtype=np.int64)
            names = [str(n) for n in getattr(bunch, "target_names", range(int(y.max()) + 1))]
            class_names = {"y": names}
        else:
            y = np.asarray(bunch.target, dtype=np.float32).reshape(-1, 1)
            class_names = {}
        features = [str(f) for f in getattr(bunch, "feature_names", [])]
        return Dataset(
            x={"x": x},
            y={"y": y},
            task=self.task,
            class_names=class_names,
            feature_names=[] if self.images else features,
            title=self.title,
            notes=notes,
        )


for _args in (
    ("digits", "Digits (8x8 images as 64 numbers)", "classification"),
    ("digits", "Digits (8x8x1 images)", "classification", True),
    ("iris", "Iris flowers (4 features, 3 classes)", "classification"),
    ("wine", "Wine (13 features, 3 classes)", "classification"),
    ("breast_cancer", "Breast cancer (30 features, 2 classes)", "classification"),
    ("diabetes", "Diabetes progression (10 features, regression)", "regression"),
):
    SOURCES.register(SklearnSource(*_args))
