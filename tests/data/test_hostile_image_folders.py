"""Image folders with bad images or too few classes: one sentence naming the folder (and the
image), never TensorFlow's own message."""

from __future__ import annotations

import numpy as np
import pytest

from app.data import DataConfig, DataError, load_dataset


def png(value: int) -> bytes:
    import tensorflow as tf

    return tf.io.encode_png(np.full((6, 5, 3), value, "uint8")).numpy()


def folder_of(tmp_path, classes: dict[str, int]):
    root = tmp_path / "images"
    for name, count in classes.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            (root / name / f"{i}.png").write_bytes(png(40 * i))
    return root


def refused(path) -> str:
    options = {"path": str(path), "image_size": [4, 4]}
    with pytest.raises(DataError) as err:
        load_dataset(DataConfig(source="image_folder", validation="none", options=options))
    message = str(err.value)
    assert f"'{path}'" in message and "\n" not in message, message
    assert "{{" not in message and "Op:" not in message and "node" not in message, message
    return message


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("cut.png", png(9)[:40], "Invalid PNG"),
        ("text.jpg", b"not an image at all", "Unknown image file format"),
        ("empty.png", b"", "Input is empty"),
    ],
)
def test_a_corrupt_image_is_named(tmp_path, name, content, words):
    root = folder_of(tmp_path, {"cats": 2, "dogs": 3})
    (root / "dogs" / "sub").mkdir()
    (root / "dogs" / "sub" / name).write_bytes(content)
    message = refused(root)
    assert message.startswith(f"The image 'dogs/sub/{name}' in '{root}' cannot be read: ")
    assert words in message


def test_a_classifier_needs_two_classes_of_images(tmp_path):
    root = folder_of(tmp_path, {"only": 3})
    assert "images of one class only ('only'); a classifier needs two or more" in refused(root)
    (root / "empty").mkdir()
    (root / ".hidden").mkdir()
    (root / ".hidden" / "0.png").write_bytes(png(1))
    assert "images of one class only ('only')" in refused(root)


def test_folders_without_images(tmp_path):
    root = folder_of(tmp_path, {"a": 0, "b": 0})
    (root / "a" / "notes.txt").write_text("no images here")
    assert "has no images (.bmp, .gif, .jpeg, .jpg, .png) in its sub-folders" in refused(root)
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "0.png").write_bytes(png(1))
    assert "has no images" in refused(flat) and "in sub-folders, one per class" in refused(flat)
    assert "is a file, not a folder of images" in refused(flat / "0.png")


def test_two_classes_read_in_keras_order(tmp_path):
    root = folder_of(tmp_path, {"b": 2, "a": 3})
    (root / "a" / "sub").mkdir()
    (root / "a" / "sub" / "9.PNG").write_bytes(png(255))
    options = {"path": str(root), "image_size": [4, 4], "scale": False}
    ds = load_dataset(DataConfig(source="image_folder", validation="none", options=options))
    assert ds.class_names == {"y": ["a", "b"]} and ds.y["y"].tolist() == [0, 0, 0, 0, 1, 1]
    assert ds.x["x"][:, 0, 0, 0].tolist() == [0, 40, 80, 255, 0, 40]
