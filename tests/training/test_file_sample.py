"""A sample from a file, prepared as the project's training samples: an image resized, converted
and scaled as the data source scales; a CSV row encoded with the training file's columns and
standardised with the training statistics; a text for a string input; refusals in words."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from app.compiler.build import build_model
from app.data import DataConfig, load_dataset
from app.project.examples import example_path
from app.project.fileio import load_project
from app.training.activations import ActivationProbe
from app.training.file_sample import FileSampleError, file_sample, sample_inputs_from


def write_png(path, pixels: np.ndarray) -> None:
    tf.io.write_file(str(path), tf.io.encode_png(pixels.astype(np.uint8)))


@pytest.fixture(scope="module")
def digits():
    project = load_project(example_path("digits_cnn"))
    config = project.data_config()
    return project, config, load_dataset(config)


def test_colour_png_becomes_a_grey_8x8_digit_scaled_as_the_source_scales(digits, tmp_path):
    project, config, ds = digits
    left_white = np.zeros((32, 32, 3), np.uint8)
    left_white[:, :16] = 255
    write_png(tmp_path / "d.png", left_white)
    sample = file_sample(tmp_path / "d.png", ds, config)
    x = sample.x["x"]
    assert x.shape == (1, 8, 8, 1) and x.dtype == np.float32
    # Scaled as the digits source scales them: 0..1 (its "scale" option is on).
    np.testing.assert_allclose(x[0, :, :4, 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(x[0, :, 4:, 0], 0.0, atol=1e-6)
    # Without the option the digits keep their own range, 0..16.
    raw = DataConfig.from_dict({**config.to_dict(), "options": {"scale": False}})
    np.testing.assert_allclose(file_sample(tmp_path / "d.png", ds, raw).x["x"].max(), 16.0)
    # The model runs on it: every node's output for the file's digit.
    model = build_model(project.graph)
    outputs = ActivationProbe(model).outputs(sample_inputs_from(model, sample))
    assert outputs["conv_1"].shape == (1, 6, 6, 16)


def test_image_is_normalised_with_the_training_statistics(digits, tmp_path):
    _project, config, _ = digits
    std = DataConfig.from_dict({**config.to_dict(), "normalization": "standard"})
    ds = load_dataset(std)
    shift, scale = ds.input_scaling["x"]
    write_png(tmp_path / "g.png", np.full((8, 8, 1), 255, np.uint8))
    x = file_sample(tmp_path / "g.png", ds, std).x["x"]
    np.testing.assert_allclose(x[0], np.broadcast_to((1.0 - shift) / scale, x[0].shape), rtol=1e-5)


def test_unreadable_image_and_image_for_a_text_model_are_refused(digits, tmp_path):
    _project, config, ds = digits
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(FileSampleError, match="cannot be read as an image"):
        file_sample(tmp_path / "bad.png", ds, config)
    with pytest.raises(FileSampleError, match="text input"):
        (tmp_path / "t.txt").write_text("hello")
        file_sample(tmp_path / "t.txt", ds, config)


@pytest.fixture
def flowers(tmp_path):
    """A CSV project: two numbers, one category, a class target; standardised, rows in order."""
    rng = np.random.default_rng(0)
    lines = ["length,colour,width,kind"]
    for i in range(30):
        lines.append(f"{rng.normal(5, 2):.3f},{['red', 'blue', 'green'][i % 3]},{i},{i % 2}")
    (tmp_path / "train.csv").write_text("\n".join(lines) + "\n")
    config = DataConfig(
        source="csv",
        options={"path": str(tmp_path / "train.csv"), "target": "kind"},
        validation="none",
        normalization="standard",
    )
    return config, load_dataset(config), lines


def test_csv_row_is_encoded_and_standardised_as_training_rows(flowers, tmp_path):
    config, ds, lines = flowers
    length, colour, width, _kind = lines[1 + 7].split(",")
    # Columns in another order, no target column: a one-row CSV.
    (tmp_path / "one.csv").write_text(f"width,colour,length\n{width},{colour},{length}\n")
    x = file_sample(tmp_path / "one.csv", ds, config).x["x"]
    np.testing.assert_allclose(x[0], ds.x["x"][7], rtol=1e-5, atol=1e-6)
    # Several rows: the chosen one (0-based).
    rows = ["width,colour,length"] + [",".join(lines[1 + i].split(",")[2::-1]) for i in (2, 5)]
    (tmp_path / "two.csv").write_text("\n".join(rows) + "\n")
    x = file_sample(tmp_path / "two.csv", ds, config, row=1).x["x"]
    np.testing.assert_allclose(x[0], ds.x["x"][5], rtol=1e-5, atol=1e-6)
    with pytest.raises(FileSampleError, match="has 2 rows; there is no row 3"):
        file_sample(tmp_path / "two.csv", ds, config, row=2)


def test_csv_with_missing_column_or_unknown_category_is_refused_in_words(flowers, tmp_path):
    config, ds, _ = flowers
    (tmp_path / "short.csv").write_text("length,width\n5.0,3\n")
    with pytest.raises(FileSampleError, match="has no column 'colour'"):
        file_sample(tmp_path / "short.csv", ds, config)
    (tmp_path / "pink.csv").write_text("length,colour,width\n5.0,pink,3\n")
    with pytest.raises(FileSampleError, match="a value of colour the training file does not"):
        file_sample(tmp_path / "pink.csv", ds, config)


def test_text_file_fills_the_string_input(tmp_path):
    project = load_project(example_path("text_folder_classifier"))
    config = project.data_config()
    ds = load_dataset(config)
    (tmp_path / "ticket.txt").write_text("My invoice was charged twice, please refund me.")
    sample = file_sample(tmp_path / "ticket.txt", ds, config)
    ((name, x),) = sample.x.items()
    assert x.shape == (1, *ds.x[name].shape[1:])
    assert x.flat[0] == "My invoice was charged twice, please refund me."
    model = build_model(project.graph)  # its input takes the text as the data's array
    inputs = sample_inputs_from(model, sample)
    got = next(iter(inputs.values())) if isinstance(inputs, dict) else np.asarray(inputs)
    text = got.flat[0]
    assert got.shape[0] == 1 and (text.decode() if isinstance(text, bytes) else text) == x.flat[0]


def test_images_of_a_numpy_file_keep_the_range_the_training_images_hold(tmp_path):
    rng = np.random.default_rng(1)
    white = np.full((10, 10, 1), 255, np.uint8)
    write_png(tmp_path / "w.png", white)
    for top in (1.0, 255.0):
        images = (rng.random((20, 6, 6, 1)) * top).astype(np.float32)
        images[0, 0, 0, 0] = top
        np.savez(tmp_path / "d.npz", images=images, labels=np.arange(20) % 2)
        config = DataConfig(
            source="numpy",
            options={"path": str(tmp_path / "d.npz"), "x": ["images"], "y": ["labels"]},
            validation="none",
        )
        ds = load_dataset(config)
        x = file_sample(tmp_path / "w.png", ds, config).x["images"]
        assert x.shape == (1, 6, 6, 1)
        np.testing.assert_allclose(x, top)
