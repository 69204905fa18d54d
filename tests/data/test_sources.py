"""Data sources on real files: bundled sklearn, CSV, NumPy, image folders, keras.datasets cache."""

from __future__ import annotations

import numpy as np
import pytest

from app.data import SOURCES, DataConfig, DataError, load_dataset
from app.data.keras_datasets import KerasDatasetSource


@pytest.mark.parametrize(
    "source, shape, classes",
    [
        ("sklearn.digits", (64,), 10),
        ("sklearn.digits_images", (8, 8, 1), 10),
        ("sklearn.iris", (4,), 3),
        ("sklearn.wine", (13,), 3),
        ("sklearn.breast_cancer", (30,), 2),
        ("sklearn.diabetes", (10,), 0),
    ],
)
def test_bundled_sources_load_offline(source, shape, classes):
    ds = load_dataset(DataConfig(source=source, validation_split=0.25, seed=1))
    assert ds.x["x"].shape[1:] == shape
    assert ds.num_val_samples == pytest.approx(0.25 * (ds.num_samples + ds.num_val_samples), abs=1)
    assert ds.num_classes() == classes
    assert ds.task == ("regression" if classes == 0 else "classification")
    if classes:
        assert set(np.unique(ds.y["y"])) <= set(range(classes))


def test_split_is_seeded_and_disjoint():
    a = load_dataset(DataConfig(source="sklearn.iris", seed=3))
    b = load_dataset(DataConfig(source="sklearn.iris", seed=3))
    c = load_dataset(DataConfig(source="sklearn.iris", seed=4))
    np.testing.assert_array_equal(a.x_val["x"], b.x_val["x"])
    assert not np.array_equal(a.x_val["x"], c.x_val["x"])
    import sklearn.datasets

    everything = np.sort(sklearn.datasets.load_iris().data.astype("float32"), axis=0)
    joined = np.sort(np.concatenate([a.x["x"], a.x_val["x"]]), axis=0)
    np.testing.assert_array_equal(joined, everything)  # every sample used once


def test_normalisation_uses_training_statistics():
    ds = load_dataset(DataConfig(source="sklearn.wine", normalization="standard"))
    np.testing.assert_allclose(ds.x["x"].mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(ds.x["x"].std(axis=0), 1, atol=1e-3)
    assert abs(ds.x_val["x"].mean()) > 1e-6  # validation data is scaled, not re-fitted
    mm = load_dataset(DataConfig(source="sklearn.wine", normalization="minmax"))
    assert mm.x["x"].min() == pytest.approx(0) and mm.x["x"].max() == pytest.approx(1)


def test_reconstruction_target_copies_inputs():
    ds = load_dataset(DataConfig(source="sklearn.digits_images", target="inputs"))
    assert ds.task == "reconstruction"
    np.testing.assert_array_equal(ds.y["x"], ds.x["x"])
    assert ds.y_val["x"].shape == ds.x_val["x"].shape


def test_csv_encodes_columns_fills_missing_and_reports(tmp_path):
    path = tmp_path / "pets.csv"
    path.write_text(
        "age,colour,weight,kind\n"
        "3,red,4.5,cat\n"
        ",blue,10.0,dog\n"
        "5,,3.9,cat\n"
        "7,red,,dog\n"
        "2,red,12.5,dog\n"
        "4,red,4.0,\n",
        encoding="utf-8",
    )
    ds = load_dataset(
        DataConfig(source="csv", options={"path": str(path), "target": "kind"}, validation="none")
    )
    assert ds.task == "classification"
    assert ds.class_names == {"y": ["cat", "dog"]}
    assert ds.feature_names == ["age", "colour=blue", "colour=red", "weight"]
    assert ds.x["x"].dtype == np.float32 and ds.x["x"].shape == (5, 4)
    assert ds.y["y"].tolist() == [0, 1, 0, 1, 1]
    assert ds.x["x"][1, 0] == pytest.approx((3 + 5 + 7 + 2) / 4)  # mean fill
    assert ds.x["x"][2, 1:3].tolist() == [0.0, 1.0]  # mode fill: red
    notes = " ".join(ds.notes)
    assert "1 rows without a value in 'kind'" in notes
    assert "'age': 1 missing values filled with the mean" in notes
    assert "'colour': 1 missing values filled with the most common value 'red'" in notes

    ints = load_dataset(
        DataConfig(
            source="csv",
            validation="none",
            options={
                "path": str(path),
                "target": "weight",
                "features": ["age", "colour"],
                "categorical": "integer",
            },
        )
    )
    assert ints.task == "regression" and ints.x["x"].shape == (5, 2)
    assert ints.y["y"].shape == (5, 1)


def test_csv_errors_name_the_problem(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    with pytest.raises(DataError, match="Row 3 of a.csv has 1 fields"):
        load_dataset(DataConfig(source="csv", options={"path": str(path)}))
    path.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    with pytest.raises(DataError, match="no column 'zzz'"):
        load_dataset(DataConfig(source="csv", options={"path": str(path), "target": "zzz"}))
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(DataConfig(source="csv", options={"path": str(tmp_path / "none.csv")}))


def test_npz_arrays_and_own_validation_set(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "d.npz"
    np.savez(
        path,
        a=rng.normal(size=(40, 3)).astype("float32"),
        b=rng.integers(0, 9, (40, 5)),
        lab=rng.integers(0, 4, 40),
        va=rng.normal(size=(10, 3)),
        vb=rng.integers(0, 9, (10, 5)),
        vl=rng.integers(0, 4, 10),
    )
    ds = load_dataset(
        DataConfig(
            source="numpy",
            validation="source",
            options={
                "path": str(path),
                "x": ["a", "b"],
                "y": ["lab"],
                "x_val": ["va", "vb"],
                "y_val": ["vl"],
            },
        )
    )
    assert set(ds.x) == {"a", "b"} and ds.x_val["a"].shape == (10, 3)
    assert ds.task == "classification" and ds.num_classes("lab") == 4
    with pytest.raises(DataError, match="has no array 'nope'"):
        load_dataset(DataConfig(source="numpy", options={"path": str(path), "x": ["nope"]}))


def test_npy_with_targets_file_and_pickles_refused(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((20, 2), "float32"))
    np.save(tmp_path / "y.npy", np.linspace(0, 1, 20).astype("float32"))
    ds = load_dataset(
        DataConfig(
            source="numpy",
            options={"path": str(tmp_path / "x.npy"), "y_path": str(tmp_path / "y.npy")},
        )
    )
    assert ds.task == "regression" and ds.num_samples == 16
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="pickles"):
        load_dataset(DataConfig(source="numpy", options={"path": str(tmp_path / "obj.npy")}))


def test_image_folder(tmp_path):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    for cls, value in (("cats", 30), ("dogs", 220)):
        (tmp_path / cls).mkdir()
        for i in range(6):
            img = np.clip(value + rng.integers(-20, 20, (12, 10, 3)), 0, 255).astype("uint8")
            (tmp_path / cls / f"{i}.png").write_bytes(tf.io.encode_png(img).numpy())
    ds = load_dataset(
        DataConfig(
            source="image_folder",
            validation_split=0.25,
            options={"path": str(tmp_path), "image_size": [8, 8], "color_mode": "grayscale"},
        )
    )
    assert ds.class_names == {"y": ["cats", "dogs"]}
    assert ds.x["x"].shape[1:] == (8, 8, 1) and ds.num_samples + ds.num_val_samples == 12
    bright = ds.x["x"].reshape(len(ds.x["x"]), -1).mean(axis=1) > 0.5
    np.testing.assert_array_equal(bright, ds.y["y"] == 1)
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(DataConfig(source="image_folder", options={"path": str(tmp_path / "no")}))


def test_keras_dataset_not_cached_is_detected_without_network(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    src = SOURCES["keras.mnist"]
    assert isinstance(src, KerasDatasetSource) and not src.cached()
    with pytest.raises(
        DataError, match=r"MNIST.*not in the Keras cache.*downloading is switched off"
    ):
        load_dataset(DataConfig(source="keras.mnist", options={"download": False}))
    # the offline message when the host does not answer (no connection is attempted here)
    monkeypatch.setattr("app.data.keras_datasets.network_reachable", lambda timeout=3.0: False)
    ok, why = src.available()
    assert not ok and "cannot be reached" in why and str(tmp_path) in why
    with pytest.raises(DataError, match="cannot be reached"):
        load_dataset(DataConfig(source="keras.cifar10"))


def test_keras_dataset_cached_file_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "datasets" / "mnist.npz",
        x_train=rng.integers(0, 255, (30, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 30),
        x_test=rng.integers(0, 255, (10, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 10),
    )
    monkeypatch.setattr(
        "app.data.keras_datasets.network_reachable",
        lambda timeout=3.0: pytest.fail("network must not be used"),
    )
    ds = load_dataset(DataConfig(source="keras.mnist", validation="source"))
    assert ds.x["x"].shape == (30, 28, 28, 1) and ds.x_val["x"].shape == (10, 28, 28, 1)
    assert ds.x["x"].max() <= 1.0


def test_unknown_source_and_bad_config():
    with pytest.raises(DataError, match="Unknown data source 'nope'"):
        load_dataset(DataConfig(source="nope"))
    with pytest.raises(DataError, match="validation split"):
        DataConfig.from_dict({"validation_split": 1.5})
    cfg = DataConfig(source="csv", options={"path": "a.csv"}, input_map={"in": "x"})
    assert DataConfig.from_dict(cfg.to_dict()) == cfg
