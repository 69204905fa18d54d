"""keras.datasets (MNIST, Fashion-MNIST, CIFAR-10, IMDB, Reuters): used from the Keras cache,
downloaded only when the user allows it and the network answers."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import numpy as np

from app.data.dataset import DataError, Dataset
from app.data.source import SOURCES, DataSource, OptionSpec

DOWNLOAD_HOST = ("storage.googleapis.com", 443)

FASHION_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
CIFAR_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


def keras_home() -> Path:
    """Where Keras caches downloads: $KERAS_HOME or ~/.keras (as keras.utils.get_file does)."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def network_reachable(timeout: float = 3.0) -> bool:
    """True if the Keras dataset host accepts a connection within `timeout` seconds."""
    try:
        with socket.create_connection(DOWNLOAD_HOST, timeout=timeout):
            return True
    except OSError:
        return False


class KerasDatasetSource(DataSource):
    """One keras.datasets module; its test split can serve as the validation set."""

    kind = "keras"
    has_test_set = True

    def __init__(self, name: str, title: str, cache: tuple[str, ...], image: bool):
        self.id = f"keras.{name}"
        self.name = name
        self.title = title
        self.cache = cache  # paths relative to <keras home>/datasets that must all exist
        self.image = image
        opts = [
            OptionSpec(
                "download", "bool", True, help="Download when not cached (needs the network)."
            )
        ]
        if image:
            opts.append(OptionSpec("scale", "bool", True, help="Divide pixel values by 255."))
        else:
            opts += [
                OptionSpec("num_words", "int", 10000, help="Keep the most frequent words."),
                OptionSpec("maxlen", "int", 200, help="Pad / cut every sequence to this."),
            ]
        self.options = tuple(opts)

    def cached(self) -> bool:
        """True if every file the loader needs is already in the Keras cache."""
        base = keras_home() / "datasets"
        return all((base / rel).exists() for rel in self.cache)

    def available(self) -> tuple[bool, str]:
        if self.cached():
            return True, ""
        if network_reachable():
            return True, "not cached; it will be downloaded"
        return False, self._offline_message()

    def _offline_message(self) -> str:
        where = keras_home() / "datasets" / self.cache[0]
        return (
            f"{self.title} is not in the Keras cache ({where}) and the download server "
            f"cannot be reached. Connect to the network once, or choose a bundled dataset."
        )

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        if not self.cached():
            if not self.option(options, "download"):
                raise DataError(
                    f"{self.title} is not in the Keras cache "
                    f"({keras_home() / 'datasets' / self.cache[0]}) and downloading "
                    f"is switched off in the data settings."
                )
            if not network_reachable():
                raise DataError(self._offline_message())
        if self.name == "mnist" and self.cached():
            # Read the cached archive directly: keras' loader re-downloads on a hash mismatch.
            try:
                with np.load(keras_home() / "datasets" / "mnist.npz", allow_pickle=False) as f:
                    parts = [f[k] for k in ("x_train", "y_train", "x_test", "y_test")]
            except (OSError, KeyError, ValueError) as exc:
                raise DataError(
                    f"The cached MNIST file is damaged ({exc}); delete "
                    f"{keras_home() / 'datasets' / 'mnist.npz'} and load again."
                ) from exc
            return self._dataset(options, *parts)
        import keras

        module = getattr(keras.datasets, self.name)
        kwargs = {}
        if not self.image:
            kwargs["num_words"] = int(self.option(options, "num_words"))
        try:
            (x, y), (xt, yt) = module.load_data(**kwargs)
        except Exception as exc:  # network errors, corrupt cache files
            raise DataError(f"{self.title} could not be loaded: {exc}") from exc
        return self._dataset(options, x, y, xt, yt)

    def _dataset(self, options, x, y, xt, yt) -> Dataset:
        notes = []
        if self.image:
            if x.ndim == 3:
                x, xt = x[..., None], xt[..., None]
            if self.option(options, "scale"):
                x, xt = x.astype(np.float32) / 255.0, xt.astype(np.float32) / 255.0
                notes.append("Pixel values scaled from 0..255 to 0..1.")
            classes = {"fashion_mnist": FASHION_CLASSES, "cifar10": CIFAR_CLASSES}.get(
                self.name, [str(i) for i in range(10)]
            )
        else:
            maxlen = int(self.option(options, "maxlen"))
            x, xt = _pad(x, maxlen), _pad(xt, maxlen)
            notes.append(f"Word-id sequences padded / cut to {maxlen}.")
            n = int(max(y.max(), yt.max())) + 1
            classes = (
                ["negative", "positive"] if self.name == "imdb" else [str(i) for i in range(n)]
            )
        y, yt = y.reshape(-1).astype(np.int64), yt.reshape(-1).astype(np.int64)
        return Dataset(
            x={"x": x},
            y={"y": y},
            x_val={"x": xt},
            y_val={"y": yt},
            task="classification",
            class_names={"y": classes},
            title=self.title,
            notes=notes,
        )


def _pad(seqs, maxlen: int) -> np.ndarray:
    out = np.zeros((len(seqs), maxlen), dtype=np.int32)
    for i, s in enumerate(seqs):
        s = list(s)[-maxlen:]
        if s:
            out[i, -len(s) :] = s
    return out


for _args in (
    ("mnist", "MNIST handwritten digits (28x28)", ("mnist.npz",), True),
    (
        "fashion_mnist",
        "Fashion-MNIST (28x28)",
        tuple(f"fashion-mnist/{f}" for f in FASHION_FILES),
        True,
    ),
    ("cifar10", "CIFAR-10 (32x32 colour)", ("cifar-10-batches-py-target",), True),
    ("imdb", "IMDB movie reviews (word ids, 2 classes)", ("imdb.npz",), False),
    ("reuters", "Reuters newswires (word ids, 46 topics)", ("reuters.npz",), False),
):
    SOURCES.register(KerasDatasetSource(*_args))
