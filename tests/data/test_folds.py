"""k-fold splits: app.data.folds.fold_indices and load_dataset's "kfold" validation."""

from __future__ import annotations

import numpy as np
import pytest

from app.data import DataConfig, DataError, load_dataset
from app.data.bundled import read_sklearn_dataset
from app.data.folds import fold_indices


@pytest.mark.parametrize(("n", "k"), [(10, 2), (11, 3), (150, 5), (7, 7)])
def test_every_sample_validates_in_exactly_one_fold(n, k):
    folds = fold_indices(n, k, seed=3)
    assert len(folds) == k
    val = np.concatenate([v for _, v in folds])
    assert sorted(val.tolist()) == list(range(n))
    sizes = [len(v) for _, v in folds]
    assert max(sizes) - min(sizes) <= 1
    for train, v in folds:
        assert not set(train.tolist()) & set(v.tolist())
        assert sorted([*train.tolist(), *v.tolist()]) == list(range(n))
        assert list(train) == sorted(train) and list(v) == sorted(v)


def test_folds_follow_the_seed_and_shuffle():
    a, b = fold_indices(50, 5, seed=1), fold_indices(50, 5, seed=1)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b, strict=True))
    c = fold_indices(50, 5, seed=2)
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c, strict=True))
    plain = fold_indices(10, 2, seed=1, shuffle=False)
    assert plain[0][1].tolist() == [0, 1, 2, 3, 4] and plain[1][1].tolist() == [5, 6, 7, 8, 9]


def test_impossible_fold_counts_are_refused():
    with pytest.raises(ValueError, match="2 to 4 folds"):
        fold_indices(4, 5, seed=0)
    with pytest.raises(ValueError):
        fold_indices(10, 1, seed=0)
    for bad in (1, 0, True, 2.5, "5", 101):
        with pytest.raises(DataError, match="number of folds"):
            DataConfig.from_dict({"validation": "kfold", "folds": bad})
    assert DataConfig.from_dict({"validation": "kfold", "folds": 3}).folds == 3


def test_load_dataset_validates_on_the_folds_part_and_normalises_with_the_rest():
    raw = read_sklearn_dataset("load_iris", "classification")
    x, y = raw["x"]["x"], raw["y"]["y"]
    cfg = DataConfig("sklearn.iris", validation="kfold", folds=3, seed=4, normalization="standard")
    for fold, (train_idx, val_idx) in enumerate(fold_indices(150, 3, seed=4)):
        ds = load_dataset(cfg, fold=fold)
        assert np.array_equal(ds.y_val["y"], y[val_idx])
        assert np.array_equal(ds.y["y"], y[train_idx])
        mean, std = x[train_idx].mean(axis=0), x[train_idx].std(axis=0)
        assert np.allclose(ds.x_val["x"], (x[val_idx] - mean) / std, atol=1e-5)
        assert f"Fold {fold + 1} of 3" in " ".join(ds.notes)
    unshuffled = load_dataset(cfg, fold=0, shuffle=False)
    assert np.array_equal(unshuffled.y_val["y"], y[:50])
    assert np.array_equal(load_dataset(cfg).y_val["y"], y[fold_indices(150, 3, seed=4)[0][1]])
    with pytest.raises(DataError, match="no fold 4"):
        load_dataset(cfg, fold=3)


def test_more_folds_than_samples_is_a_plain_error():
    cfg = DataConfig("sklearn.iris", validation="kfold", folds=20, max_samples=10)
    with pytest.raises(DataError, match="needs at least 20 samples; there are 10"):
        load_dataset(cfg)


def test_sample_weights_follow_their_fold_in_the_app_and_in_scripts(tmp_path):
    from app.compiler import generate_code
    from app.model import ModelGraph
    from app.project import DataSettings, Project, TrainingSettings

    x = np.arange(30, dtype="float32").reshape(30, 1)
    np.savez(tmp_path / "d.npz", x=x, y=x * 2, w=x[:, 0] + 100)
    data = {"source": "numpy", "options": {"path": "d.npz", "weights": "w"}}
    data.update(validation="kfold", folds=4, seed=2)
    g = ModelGraph("reg")
    i = g.add_node("keras.Input", "x", params={"shape": [1]})
    d = g.add_node("keras.layers.Dense", "y", params={"units": 1})
    g.connect(i, d)
    g.set_outputs([d])
    project = Project(
        graph=g,
        data=DataSettings.from_dict(data),
        training=TrainingSettings.from_dict({"losses": {"y": "mse"}}),
        base_dir=tmp_path,
    )
    namespace: dict = {"__name__": "generated"}
    exec(compile(generate_code(g, project), "<generated>", "exec"), namespace)  # noqa: S102
    for fold in range(4):
        ds = load_dataset(project.data_config(), fold=fold)
        assert np.array_equal(ds.sample_weight, ds.x["x"][:, 0] + 100)
        assert np.array_equal(ds.sample_weight_val, ds.x_val["x"][:, 0] + 100)
        (sx, _sy, sw), (vx, _vy, vw) = namespace["load_data"](fold)
        assert np.array_equal(sx, ds.x["x"]) and np.array_equal(sw, ds.sample_weight)
        assert np.array_equal(vx, ds.x_val["x"]) and np.array_equal(vw, ds.sample_weight_val)
