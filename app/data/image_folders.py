"""Reading a folder of images with one sub-folder per class, with plain sentences for bad ones.

The folder is indexed here first (as keras.utils.image_dataset_from_directory indexes it), so a
folder without two classes of images is refused before anything is decoded, and an image
TensorFlow cannot decode is found and named instead of ending in TensorFlow's own message.
Pasted into generated scripts: numpy and the standard library at module level, ValueError for
every problem with the data.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def image_folder_files(folder: Path) -> dict[str, list[Path]]:
    """Class name -> its image files, in the order Keras reads them (sorted names, sub-folders
    included, hidden class folders left out)."""
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    files: dict[str, list[Path]] = {}
    for name in classes:
        found = []
        for root, dirs, names in os.walk(folder / name):
            dirs.sort()
            found += [Path(root, n) for n in sorted(names) if n.lower().endswith(IMAGE_EXTENSIONS)]
        files[name] = found
    return files


def first_unreadable_image(files: list[Path], channels: int) -> tuple[Path, str] | None:
    """The first file TensorFlow cannot decode as an image, and why; None when all decode."""
    import tensorflow as tf

    for path in files:
        try:
            tf.io.decode_image(tf.io.read_file(str(path)), channels, expand_animations=False)
        except (tf.errors.OpError, OSError) as exc:
            # "{{function_node ...}} Invalid PNG data, size 426 [Op:DecodeImage]" -> the middle.
            text = getattr(exc, "message", "") or str(exc)
            reason = re.sub(r"\{\{.*?\}\}\s*|\s*\[Op:[^\]]*\].*$", "", text, flags=re.S).strip()
            return path, reason.splitlines()[0].rstrip(
                "."
            ) if reason else "TensorFlow cannot decode it"
    return None


def read_image_folder(
    path: str | Path,
    image_size: list[int] | tuple[int, int] = (64, 64),
    color_mode: str = "rgb",
    scale: bool = True,
    max_images: int = 50000,
) -> dict[str, Any]:
    """Images "x" resized to `image_size` and class ids "y" from a folder with one sub-folder
    per class (keras.utils.image_dataset_from_directory, in file order)."""
    import keras

    folder = Path(path)
    if not str(path) or not folder.exists():
        raise ValueError(f"The image folder '{folder}' does not exist.")
    if not folder.is_dir():
        raise ValueError(f"'{folder}' is a file, not a folder of images.")
    try:
        files = image_folder_files(folder)
    except OSError as exc:
        raise ValueError(f"The image folder '{folder}' cannot be read: {exc}.") from exc
    with_images = [name for name, found in files.items() if found]
    if not with_images:
        where = "its sub-folders" if files else "sub-folders, one per class"
        raise ValueError(f"'{folder}' has no images ({', '.join(IMAGE_EXTENSIONS)}) in {where}.")
    if len(with_images) == 1:
        raise ValueError(
            f"'{folder}' has images of one class only ('{with_images[0]}'); a classifier needs "
            f"two or more sub-folders of images, one per class."
        )
    count = sum(len(found) for found in files.values())
    if count > max_images:
        raise ValueError(
            f"'{folder}' has {count} images, more than the limit of {max_images} that fit in "
            f"memory."
        )
    try:
        ds = keras.utils.image_dataset_from_directory(
            str(folder),
            labels="inferred",
            label_mode="int",
            batch_size=None,
            image_size=tuple(image_size),
            color_mode=color_mode,
            shuffle=False,
            verbose=False,
        )
    except (ValueError, OSError) as exc:
        raise ValueError(f"Images in '{folder}' could not be read: {exc}") from exc
    images, labels = [], []
    try:
        for img, lab in ds.as_numpy_iterator():
            images.append(img)
            labels.append(lab)
    except Exception as exc:  # TensorFlow's error for a file it cannot decode, as it says it
        channels = {"grayscale": 1, "rgb": 3, "rgba": 4}.get(color_mode, 3)
        bad = first_unreadable_image([f for found in files.values() for f in found], channels)
        if bad is None:
            raise ValueError(f"The images in '{folder}' could not be read.") from exc
        raise ValueError(
            f"The image '{bad[0].relative_to(folder)}' in '{folder}' cannot be read: {bad[1]}."
        ) from exc
    x = np.stack(images).astype(np.float32)
    notes = []
    if scale:
        x /= 255.0
        notes.append("Pixel values scaled from 0..255 to 0..1.")
    return {
        "x": {"x": x},
        "y": {"y": np.asarray(labels, dtype=np.int64)},
        "task": "classification",
        "class_names": {"y": list(ds.class_names)},
        "notes": notes,
    }
