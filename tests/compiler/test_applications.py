"""keras.applications architectures survive import_model -> build_model unchanged."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from layout_checks import assert_forward, assert_no_overlaps

from app.compiler import build_model, import_model, infer_shapes

pytestmark = pytest.mark.slow


def _norm(value):
    return json.loads(json.dumps(value, default=str))


def assert_same_application(a: keras.Model, b: keras.Model) -> None:
    """Same layers by name and class, same configs, weights and inbound connectivity."""
    ca, cb = a.get_config(), b.get_config()
    la = {e["name"]: e for e in ca["layers"]}
    lb = {e["name"]: e for e in cb["layers"]}
    assert sorted(la) == sorted(lb)
    for name, entry in la.items():
        other = lb[name]
        assert entry["class_name"] == other["class_name"], name
        assert _norm(entry["config"]) == _norm(other["config"]), name
        assert _norm(entry["inbound_nodes"]) == _norm(other["inbound_nodes"]), name
    assert _norm(ca["input_layers"]) == _norm(cb["input_layers"])
    assert _norm(ca["output_layers"]) == _norm(cb["output_layers"])
    for x in a.layers:
        wx, wy = x.get_weights(), b.get_layer(x.name).get_weights()
        assert len(wx) == len(wy), x.name
        for u, v in zip(wx, wy):
            np.testing.assert_array_equal(u, v, err_msg=x.name)


def assert_laid_out(graph) -> None:
    """Laid out as the canvas shows it: no overlaps, every edge right within its band or down
    into a later band (the layout test's own checks)."""
    assert_no_overlaps(graph)
    assert_forward(graph)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda: keras.applications.MobileNetV2(
                alpha=0.35, input_shape=(96, 96, 3), weights=None, classes=10
            ),
            id="MobileNetV2",
        ),
        pytest.param(lambda: keras.applications.ResNet50(weights=None), id="ResNet50"),
        pytest.param(
            lambda: keras.applications.EfficientNetB0(weights=None, input_shape=(64, 64, 3)),
            id="EfficientNetB0",
        ),
    ],
)
def test_application_round_trip(make):
    model = make()
    graph = import_model(model)
    assert len(graph) == len(model.layers)
    assert_laid_out(graph)
    assert_same_application(model, build_model(graph))


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        pytest.param(
            lambda: keras.applications.ConvNeXtTiny(weights=None, input_shape=(64, 64, 3)),
            (64, 64, 3),
            id="ConvNeXtTiny",
        ),
        pytest.param(
            lambda: keras.applications.MobileNetV3Small(
                weights=None, input_shape=(96, 96, 3), minimalistic=False
            ),
            (96, 96, 3),
            id="MobileNetV3Small",
        ),
    ],
)
def test_application_with_ops_and_internal_layers_round_trips(make, shape):
    """keras.ops calls (x + 3.0) and Keras-internal layers (LayerScale) survive the trip."""
    model = make()
    graph = import_model(model)
    assert len(graph) == len(model.operations)
    report = infer_shapes(graph)
    assert report.ok, report.problems[:3]
    assert report.total_params == model.count_params()
    rebuilt = build_model(graph)
    assert_same_application(model, rebuilt)
    x = np.random.default_rng(0).random((2, *shape), dtype=np.float32)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), rebuilt.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )


def test_inception_resnet_v2_custom_scale_layer_imports_and_builds():
    model = keras.applications.InceptionResNetV2(weights=None, input_shape=(75, 75, 3))
    graph = import_model(model)
    kinds = {
        n.params.get("class_name") for n in graph.nodes() if n.spec_id == "layerloom.KerasLayer"
    }
    assert kinds == {"CustomScaleLayer"}
    assert build_model(graph).count_params() == model.count_params()


def test_saved_mobilenet_v3_loads_through_the_safety_checks(tmp_path):
    from app.compiler import load_keras_file

    model = keras.applications.MobileNetV3Small(
        weights=None, input_shape=(96, 96, 3), minimalistic=False
    )
    model.save(tmp_path / "mnv3.keras")
    graph = load_keras_file(tmp_path / "mnv3.keras")
    assert_same_application(model, build_model(graph))


def test_saved_application_passes_the_safety_checks(tmp_path):
    from app.compiler import load_keras_file

    model = keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=5)
    model.save(tmp_path / "effnet.keras")
    graph = load_keras_file(tmp_path / "effnet.keras")
    assert_same_application(model, build_model(graph))
