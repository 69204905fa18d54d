"""keras.datasets (MNIST, Fashion-MNIST, CIFAR-10, IMDB, Reuters): used from the Keras cache,
downloaded only when the user allows it and the network answers."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import numpy as np

from app.data.dataset import DataError, Dataset
from app.data.source import SOURCES, DataSource, OptionSpec, ReaderCall

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


def read_keras_dataset(
    name: str, image: bool, scale: bool = True, num_words: int = 10000, maxlen: int = 200
) -> dict[str, Any]:
    """A keras.datasets dataset (downloaded by Keras when not cached) with its test split as
    validation data: images with a channel axis (`scale`: 0..1) or padded word-id sequences."""
    import keras

    module = getattr(keras.datasets, name)
    (x, y), (x_test, y_test) = (
        module.load_data() if image else module.load_data(num_words=num_words)
    )
    return keras_dataset_arrays(x, y, x_test, y_test, image, scale, maxlen)


def keras_dataset_arrays(
    x: Any, y: Any, x_test: Any, y_test: Any, image: bool, scale: bool, maxlen: int
) -> dict[str, Any]:
    """The arrays of keras' load_data() as named training and validation arrays."""
    notes = []
    if image:
        if x.ndim == 3:  # one grey channel
            x, x_test = x[..., None], x_test[..., None]
        if scale:
            x, x_test = x.astype(np.float32) / 255.0, x_test.astype(np.float32) / 255.0
            notes.append("Pixel values scaled from 0..255 to 0..1.")
    else:
        x, x_test = pad_word_ids(x, maxlen), pad_word_ids(x_test, maxlen)
        notes.append(f"Word-id sequences padded / cut to {maxlen}.")
    return {
        "x": {"x": x},
        "y": {"y": y.reshape(-1).astype(np.int64)},
        "x_val": {"x": x_test},
        "y_val": {"y": y_test.reshape(-1).astype(np.int64)},
        "task": "classification",
        "notes": notes,
    }


def pad_word_ids(seqs: Any, maxlen: int) -> np.ndarray:
    """Sequences as int32 rows of `maxlen`, zeros in front, longer ones keeping their end."""
    out = np.zeros((len(seqs), maxlen), dtype=np.int32)
    for i, s in enumerate(seqs):
        s = list(s)[-maxlen:]
        if s:
            out[i, -len(s) :] = s
    return out


class KerasDatasetSource(DataSource):
    """One keras.datasets module; its test split can serve as the validation set."""

    kind = "keras"
    has_test_set = True
    reads_quickly = False

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

    def reader(self, options: dict[str, Any], model: Any = None) -> ReaderCall:
        kwargs: dict[str, Any] = {"name": self.name, "image": self.image}
        if self.image:
            kwargs["scale"] = bool(self.option(options, "scale"))
        else:
            kwargs["num_words"] = int(self.option(options, "num_words"))
            kwargs["maxlen"] = int(self.option(options, "maxlen"))
        return ReaderCall(read_keras_dataset, kwargs, has_validation=True)

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
        call = self.reader(options)
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
            arrays = keras_dataset_arrays(*parts, image=True, scale=call.kwargs["scale"], maxlen=0)
        else:
            try:
                arrays = call.run()
            except Exception as exc:  # network errors, corrupt cache files
                raise DataError(f"{self.title} could not be loaded: {exc}") from exc
        classes = {"fashion_mnist": FASHION_CLASSES, "cifar10": CIFAR_CLASSES}.get(self.name)
        if self.name == "imdb":
            classes = ["negative", "positive"]
        if classes is None:
            ys = (arrays["y"]["y"], arrays["y_val"]["y"])
            n = 10 if self.image else max(int(ys[0].max()), int(ys[1].max())) + 1
            classes = [str(i) for i in range(n)]
        return Dataset(**arrays, class_names={"y": classes}, title=self.title)


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
