"""LayerLoom's own layers: the guides' VAE as a Functional graph, with the KL loss as a layer."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from app.compiler import build_model, infer_shapes
from app.compiler.custom_layers import KLDivergence, Sampling
from app.model import ModelGraph


def vae_graph(dim: int = 16, latent: int = 2) -> tuple[ModelGraph, dict[str, str]]:
    """encoder_input -> Dense -> (z_mean, z_log_var) -> KL -> Sampling -> decoder block."""
    g = ModelGraph("vae")
    ids = {
        "x": g.add_node("keras.Input", "encoder_input", params={"shape": [dim]}),
        "h": g.add_node("keras.layers.Dense", "hidden", params={"units": 8, "activation": "relu"}),
        "mean": g.add_node("keras.layers.Dense", "z_mean", params={"units": latent}),
        "logvar": g.add_node("keras.layers.Dense", "z_log_var", params={"units": latent}),
        "kl": g.add_node("layerloom.KLDivergence", "kl", params={"weight": 0.5}),
        "z": g.add_node("layerloom.Sampling", "z"),
        "dh": g.add_node("keras.layers.Dense", "dec_hidden", params={"units": 8, "activation": "relu"}),
        "out": g.add_node("keras.layers.Dense", "reconstruction", params={"units": dim, "activation": "sigmoid"}),
    }  # fmt: skip
    g.connect(ids["x"], ids["h"])
    g.connect(ids["h"], ids["mean"])
    g.connect(ids["h"], ids["logvar"])
    g.connect(ids["mean"], ids["kl"], port="z_mean")
    g.connect(ids["logvar"], ids["kl"], port="z_log_var")
    g.connect(ids["kl"], ids["z"], port="z_mean", src_index=0)
    g.connect(ids["kl"], ids["z"], port="z_log_var", src_index=1)
    g.connect(ids["z"], ids["dh"])
    g.connect(ids["dh"], ids["out"])
    g.set_outputs([ids["out"]])
    ids["decoder"] = g.group([ids["dh"], ids["out"]], name="decoder")
    return g, ids


def test_vae_shapes() -> None:
    g, ids = vae_graph()
    report = infer_shapes(g)
    assert report.ok, report.problems
    assert report.nodes[ids["kl"]].output_shapes == [(None, 2), (None, 2)]
    assert report.nodes[ids["kl"]].params == 0
    assert report.nodes[ids["z"]].output_shapes == [(None, 2)]
    assert report.nodes[ids["decoder"]].output_shapes == [(None, 16)]


def test_vae_builds_adds_kl_loss_and_trains() -> None:
    g, _ = vae_graph()
    model = build_model(g)
    assert isinstance(model.get_layer("decoder"), keras.Model)
    x = np.random.default_rng(0).random((32, 16)).astype("float32")
    model(x[:4])
    assert len(model.losses) == 1
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, x, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_kl_value_matches_the_guide_formula() -> None:
    mean = np.array([[0.5, -1.0]], "float32")
    logvar = np.array([[0.2, -0.3]], "float32")
    layer = KLDivergence(weight=2.0)
    out = layer([mean, logvar])
    np.testing.assert_allclose(np.asarray(out[0]), mean)
    expected = -0.5 * np.mean(logvar - mean**2 - np.exp(logvar) + 1)
    (loss,) = layer.losses
    np.testing.assert_allclose(float(loss), 2.0 * expected, rtol=1e-6)


def test_sampling_uses_mean_and_variance() -> None:
    mean = np.full((2000, 3), 4.0, "float32")
    z = np.asarray(Sampling(seed=1)([mean, np.full_like(mean, np.log(0.25))]))
    assert z.shape == (2000, 3)
    assert abs(z.mean() - 4.0) < 0.05 and abs(z.std() - 0.5) < 0.05
    z0 = np.asarray(Sampling(seed=1)([mean, np.full_like(mean, -80.0)]))
    np.testing.assert_allclose(z0, mean, atol=1e-6)


@pytest.mark.parametrize("cls, kwargs", [(Sampling, {"seed": 3}), (KLDivergence, {"weight": 0.1})])
def test_config_round_trip_and_registration(cls, kwargs) -> None:
    layer = cls(name="custom", **kwargs)
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    assert keras.saving.get_registered_object(f"layerloom>{cls.__name__}") is cls


def test_vae_saves_and_loads(tmp_path) -> None:
    g, _ = vae_graph()
    model = build_model(g)
    path = tmp_path / "vae.keras"
    model.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(again.get_layer("kl"), KLDivergence)
    assert isinstance(again.get_layer("z"), Sampling)
    assert again.get_layer("kl").weight == 0.5
