"""check_compatibility / fit_arrays / synthetic data against real Keras models."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from app.data import DataConfig, DataError, Dataset, check_compatibility, fit_arrays, load_dataset
from app.data.synthetic import input_vocab, synthetic_dataset


def mlp(inputs=64, units=10, name="digits"):
    x = keras.Input((inputs,), name=name)
    h = keras.layers.Dense(8, activation="relu")(x)
    return keras.Model(x, keras.layers.Dense(units, activation="softmax", name="digit")(h))


def test_shape_mismatch_is_reported_in_words():
    images = load_dataset(DataConfig(source="sklearn.digits_images", validation="none"))
    problems = check_compatibility(mlp(), images)
    assert problems == [
        "Input 'digits' expects shape (None, 64) but the data has shape (1797, 8, 8, 1)."
    ]
    assert check_compatibility(mlp(), load_dataset(DataConfig(source="sklearn.digits"))) == []


def test_class_count_vs_units_and_loss_kind():
    ds = load_dataset(DataConfig(source="sklearn.digits"))
    assert check_compatibility(mlp(units=3), ds) == [
        "Output 'digit' has 3 units but the data has 10 classes; set its units to 10."
    ]
    msg = check_compatibility(mlp(), ds, losses={"digit": "categorical_crossentropy"})
    assert "needs one-hot targets" in msg[0] and "sparse_categorical_crossentropy" in msg[0]
    inp = keras.Input((64,), name="digits")
    one = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid", name="o")(inp))
    assert "has 1 unit but the data has 10 classes" in check_compatibility(one, ds)[0]


def test_missing_inputs_dtype_and_nan(ticket_model):
    model = ticket_model()
    ds = Dataset(
        x={"title": np.random.rand(5, 6), "tags": np.full((5, 12), np.nan, "float32")},
        y={"priority": np.zeros(5), "department": np.zeros(4, "int64")},
    )
    problems = check_compatibility(model, ds)
    text = "\n".join(problems)
    assert "Input 'body' has no data" in text
    assert "Input 'title' expects whole-number ids (int32)" in text
    assert "Input 'tags': the data contains NaN" in text
    assert "different numbers of samples" in text


def test_input_map_and_single_array_mapping():
    ds = Dataset(
        x={"pixels": np.zeros((4, 64), "float32")},
        y={"label": np.zeros(4, "int64")},
        class_names={"label": list("0123456789")},
    )
    assert check_compatibility(mlp(), ds) == []  # one input, one array: they belong together
    x, y, val = fit_arrays(mlp(), ds)
    assert x.shape == (4, 64) and y.shape == (4,) and val is None
    two = Dataset(x={"a": np.zeros((4, 64)), "b": np.zeros((4, 64))}, y={"label": np.zeros(4)})
    assert "map one of them to 'digits'" in check_compatibility(mlp(), two)[0]
    assert check_compatibility(mlp(), two, input_map={"digits": "b"}) == []
    with pytest.raises(DataError, match="mapped to the array 'c'"):
        fit_arrays(mlp(), two, input_map={"digits": "c"})


def test_synthetic_data_follows_the_model(ticket_model):
    model = ticket_model()
    assert input_vocab(model, "title") == 500 and input_vocab(model, "tags") is None
    ds = synthetic_dataset(model, 64, seed=1)
    assert ds.x["title"].dtype == np.int32 and ds.x["title"].max() < 500
    assert ds.x["body"].max() < 800 and ds.x["body"].max() >= 500  # body's own vocabulary
    assert ds.x["tags"].dtype == np.float32
    assert set(np.unique(ds.y["priority"])) <= {0.0, 1.0} and ds.y["priority"].shape == (64, 1)
    assert ds.y["department"].shape == (64,) and ds.y["department"].max() < 4
    assert check_compatibility(model, ds) == []
    onehot = synthetic_dataset(model, 8, sparse_labels=False)
    assert onehot.y["department"].shape == (8, 4)
    via_config = load_dataset(DataConfig(source="synthetic", options={"num_samples": 50}), model)
    assert via_config.num_samples == 40 and via_config.num_val_samples == 10
    with pytest.raises(DataError, match="build the model first"):
        load_dataset(DataConfig(source="synthetic"))


def test_suggestions_and_preview():
    from app.data import preview, suggest_model_settings

    digits = load_dataset(DataConfig(source="sklearn.digits_images"))
    s = suggest_model_settings(digits)
    assert s["inputs"] == {"x": {"shape": [8, 8, 1], "dtype": "float32"}}
    assert s["outputs"]["y"]["units"] == 10 and s["outputs"]["y"]["activation"] == "softmax"
    assert s["outputs"]["y"]["loss"] == "sparse_categorical_crossentropy"
    cancer = suggest_model_settings(load_dataset(DataConfig(source="sklearn.breast_cancer")))
    assert (
        cancer["outputs"]["y"]["units"] == 1
        and cancer["outputs"]["y"]["loss"] == "binary_crossentropy"
    )
    reg = suggest_model_settings(load_dataset(DataConfig(source="sklearn.diabetes")))
    assert reg["outputs"]["y"]["activation"] == "linear"
    ae = suggest_model_settings(
        load_dataset(DataConfig(source="sklearn.digits_images", target="inputs"))
    )
    assert ae["outputs"]["x"]["activation"] == "sigmoid" and ae["outputs"]["x"]["shape"] == [
        8,
        8,
        1,
    ]
    grid = preview(digits, 4)
    assert grid["kind"] == "images" and len(grid["labels"]) == 4
    table = preview(load_dataset(DataConfig(source="sklearn.iris", validation="none")), 3)
    assert table["columns"][0] == "sepal length (cm)" and table["columns"][-1] == "target"
    assert table["rows"][0] == [5.1, 3.5, 1.4, 0.2, "setosa"]


def test_preview_of_wide_inputs_shows_the_first_columns_and_counts_the_rest():
    from app.data import preview

    rng = np.random.default_rng(0)
    ds = Dataset(
        x={"title": rng.random((20, 10_000)), "tags": rng.random((20, 5))},
        y={"y": rng.integers(0, 2, 20)},
        task="classification",
    )
    table = preview(ds, 4)
    assert len(table["columns"]) <= 45  # not 10,005
    assert table["columns"][:3] == ["title[0]", "title[1]", "title[2]"]
    i = table["columns"].index("title[…]")
    assert table["rows"][0][i] == "+9,980 more"
    assert "tags[4]" in table["columns"] and "tags[…]" not in table["columns"]
    assert all(len(row) == len(table["columns"]) for row in table["rows"])
