"""scikit-learn's bundled datasets: they ship with the package, so they work offline."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.data.source import SOURCES, DataSource, OptionSpec, ReaderCall


def read_sklearn_dataset(
    loader: str, task: str, images: bool = False, scale: bool = False
) -> dict[str, Any]:
    """One `sklearn.datasets.load_*` dataset: float32 features "x", class ids or values "y".

    `images` gives 8x8x1 digit images instead of 64 numbers; `scale` divides pixel values
    (0..16) by 16.
    """
    from sklearn import datasets

    bunch = getattr(datasets, loader)()
    x = np.asarray(bunch.data, dtype=np.float32)
    notes = []
    if scale:
        x = x / 16.0
        notes.append("Pixel values scaled from 0..16 to 0..1.")
    if images:
        x = x.reshape(-1, 8, 8, 1)
    if task == "classification":
        y = np.asarray(bunch.target, dtype=np.int64)
        names = [str(n) for n in getattr(bunch, "target_names", range(int(y.max()) + 1))]
        class_names = {"y": names}
    else:
        y = np.asarray(bunch.target, dtype=np.float32).reshape(-1, 1)
        class_names = {}
    features = [] if images else [str(f) for f in getattr(bunch, "feature_names", [])]
    return {
        "x": {"x": x},
        "y": {"y": y},
        "task": task,
        "class_names": class_names,
        "feature_names": features,
        "notes": notes,
    }


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

    def reader(self, options: dict[str, Any], model: Any = None) -> ReaderCall:
        kwargs: dict[str, Any] = {"loader": self.loader, "task": self.task}
        if self.images:
            kwargs["images"] = True
        if self.options and self.option(options, "scale"):
            kwargs["scale"] = True
        return ReaderCall(read_sklearn_dataset, kwargs)


for _args in (
    ("digits", "Digits (8x8 images as 64 numbers)", "classification"),
    ("digits", "Digits (8x8x1 images)", "classification", True),
    ("iris", "Iris flowers (4 features, 3 classes)", "classification"),
    ("wine", "Wine (13 features, 3 classes)", "classification"),
    ("breast_cancer", "Breast cancer (30 features, 2 classes)", "classification"),
    ("diabetes", "Diabetes progression (10 features, regression)", "regression"),
):
    SOURCES.register(SklearnSource(*_args))
