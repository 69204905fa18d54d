"""Each Keras internal LayerLoom relies on (app.keras_internals) still works in this Keras.

A failure here names the internal that changed: fix its one function in app/keras_internals.py.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator

import keras
import numpy as np
import pytest

from app import keras_internals as ki


@contextlib.contextmanager
def relies_on(internal: str) -> Iterator[None]:
    """Turn any failure inside into one that names the Keras internal that changed."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - any change of the internal must fail loudly
        pytest.fail(
            f"Keras changed {internal} ({keras.__version__}): {type(exc).__name__}: {exc}",
            pytrace=True,
        )


def _dense_chain():
    x = keras.Input((3,), name="x")
    first = keras.layers.Dense(4, name="first")
    second = keras.layers.Dense(2, name="second")
    return x, first, second, second(first(x))


def test_keras_history():
    x, first, second, y = _dense_chain()
    with relies_on("KerasTensor._keras_history"):
        op, node_index, tensor_index = ki.keras_history(y)
        assert (op, node_index, tensor_index) == (second, 0, 0)


def test_inbound_nodes():
    x = keras.Input((3,))
    shared = keras.layers.Dense(2)
    a, b = shared(x), shared(keras.layers.Dense(3)(x))
    with relies_on("Operation._inbound_nodes (Node.operation, Node.arguments, Node.outputs)"):
        nodes = ki.inbound_nodes(shared)
        assert len(nodes) == 2
        assert [n.outputs[0] for n in nodes] == [a, b]
        assert nodes[0].operation is shared
        assert nodes[0].arguments.args[0] is x and nodes[0].arguments.kwargs == {}


def test_outbound_nodes():
    x, first, second, _ = _dense_chain()
    with relies_on("Operation._outbound_nodes"):
        assert [n.operation for n in ki.outbound_nodes(first)] == [second]


def test_call_without_input_cast():
    """A uint8 Input fed 0.5: the layers see 0.5 (Functional.call would cast it to 0)."""
    x = keras.Input((2,), dtype="uint8")
    model = keras.Model(x, keras.layers.Rescaling(2.0)(x))
    half = np.full((1, 2), 0.5, "float32")
    assert np.all(np.asarray(model(half)) == 0.0)  # the cast this function skips
    with relies_on("Functional._run_through_graph and functional.operation_fn"):
        out = ki.call_without_input_cast(model, [keras.ops.convert_to_tensor(half)])
        np.testing.assert_allclose(np.asarray(out[0]), [[1.0, 1.0]])


def test_outputs_are_dict():
    x = keras.Input((3,))
    y = keras.layers.Dense(1, name="y")(x)
    with relies_on("Functional._outputs_struct"):
        assert ki.outputs_are_dict(keras.Model(x, {"y": y}))
        assert not ki.outputs_are_dict(keras.Model(x, y))
        assert not ki.outputs_are_dict(keras.Model(x, [y]))


def test_is_functional():
    x = keras.Input((3,))
    y = keras.layers.Dense(1)(x)

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

    with relies_on("keras.src.models.functional.Functional / functional_like_constructor"):
        assert ki.is_functional(keras.Model(x, y))
        assert not ki.is_functional(Subclassed())


def test_deferred_variables_create_weights_without_values():
    from keras.src.backend.common import global_state

    key = "uninitialized_variables"
    with relies_on("StatelessScope(initialize_variables=False) and 'uninitialized_variables'"):
        before = list(global_state.get_global_attribute(key, [], set_to_default=True))
        with ki.deferred_variables():
            layer = keras.layers.Dense(5)
            out = layer(keras.Input((3,)))
            assert tuple(out.shape) == (None, 5) and tuple(layer.kernel.shape) == (3, 5)
            assert layer.kernel._value is None  # deferred: no initialiser ran
        assert global_state.get_global_attribute(key, []) == before
        fresh = keras.layers.Dense(2)
        fresh.build((None, 3))
        assert np.asarray(fresh.kernel).shape == (3, 2)  # a later real build is not deferred


def test_eager_variables_and_needs_eager():
    with relies_on("the 'stateless_scope' global attribute and its error wording"):
        with ki.deferred_variables():
            with pytest.raises(ValueError) as err:
                keras.Variable(np.zeros(2, "float32"))  # a value, not an initialiser
            assert ki.needs_eager(err.value), str(err.value)
            with ki.eager_variables():
                v = keras.Variable(np.ones(2, "float32"))
            assert np.asarray(v).tolist() == [1.0, 1.0]
        assert not ki.needs_eager(ValueError("Input 0 of layer 'dense' is incompatible"))


def test_register_custom_name():
    class First(keras.layers.Layer):
        pass

    class Second(keras.layers.Layer):
        pass

    name = "layerloom_test>Replaced"
    with relies_on("object_registration.GLOBAL_CUSTOM_OBJECTS / GLOBAL_CUSTOM_NAMES"):
        from keras.src.saving import object_registration as registration

        try:
            ki.register_custom_name(name, First)
            ki.register_custom_name(name, Second)  # a same-named copy replaces the first
            assert keras.saving.get_registered_object(name) is Second
            assert keras.saving.get_registered_name(Second) == name
            layer = keras.saving.deserialize_keras_object(
                keras.saving.serialize_keras_object(Second(name="s"))
            )
            assert type(layer) is Second
        finally:
            registration.GLOBAL_CUSTOM_OBJECTS.pop(name, None)
            registration.GLOBAL_CUSTOM_NAMES.pop(First, None)
            registration.GLOBAL_CUSTOM_NAMES.pop(Second, None)


def test_tf_gradient_registry():
    import tensorflow as tf

    with relies_on("tensorflow.python.framework.ops._gradient_registry._registry"):
        registry = ki.tf_gradient_registry()
        assert isinstance(registry, dict) and "MatMul" in registry

        @tf.custom_gradient
        def double(v):
            return 2 * v, lambda dy: 2 * dy

        before = {k for k in registry if k.startswith("CustomGradient-")}
        tf.function(lambda v: double(v)).get_concrete_function(tf.TensorSpec([2], tf.float32))
        added = {k for k in registry if k.startswith("CustomGradient-")} - before
        assert added, "a traced custom gradient no longer lands in the registry"
        for k in added:  # leave the registry as it was
            registry.pop(k)


@pytest.mark.parametrize(
    "logged, direction",
    [
        ("r2_score", "up"),
        ("val_r2_score", "up"),
        ("accuracy", "up"),
        ("acc", "up"),
        ("val_head_accuracy", "up"),
        ("auc", "up"),
        ("mean_absolute_error", "down"),
        ("val_mse", "down"),
        ("loss", "down"),
        ("val_head_loss", "down"),
        ("learning_rate", None),
        ("mean", None),
        ("no_such_metric", None),
    ],
)
def test_metric_direction_of_logged_names(logged, direction):
    with relies_on("Metric._direction"):
        assert ki.metric_direction(logged) == direction


def test_metric_direction_of_metric_objects():
    with relies_on("Metric._direction"):
        assert ki.metric_direction(keras.metrics.R2Score()) == "up"
        assert ki.metric_direction(keras.metrics.MeanSquaredError()) == "down"
        assert ki.metric_direction(keras.metrics.Mean()) is None


def test_where_keras_keeps_ops_layers_and_functions():
    x = keras.Input((3,))
    with relies_on("the keras.src package layout (ops, applications, activations)"):
        op = ki.keras_history(keras.ops.add(x, x))[0]
        assert type(op).__module__.startswith(ki.OPS_MODULE_PREFIX)
        assert isinstance(op, keras.Operation)
        convnext = importlib.import_module(f"{ki.APPLICATIONS_MODULE_PREFIX}convnext")
        assert issubclass(convnext.LayerScale, keras.layers.Layer)
        for fn in (keras.activations.relu, keras.ops.relu):
            assert fn.__module__.startswith(ki.PRIVATE_FUNCTION_MODULES), fn.__module__


def test_stderr_lines_are_dropped_and_the_rest_passed_on(capfd):
    import os

    def chatty():
        os.write(2, b"E0000 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\n")
        os.write(2, b"a real error the user must see\n")
        return 42

    assert ki.without_stderr_lines(chatty, (ki.CUINIT_LINE,)) == 42
    err = capfd.readouterr().err
    assert "cuInit" not in err
    assert "a real error the user must see" in err


def test_absl_lines_below_the_level_are_dropped_and_others_kept():
    info = b"I0000 00:00:1796528096.251916   11945 port.cc:153] oneDNN custom operations are on.\n"
    warning = b"W0000 00:00:1796528096.2   11945 file.cc:9] a warning\n"
    error = b"E0000 00:00:1796528096.2   11945 cuda_executor.cc:1] a real error\n"
    notice = (
        b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    )
    assert [ki._below_level(line, 2) for line in (info, warning, error, notice)] == [
        True,
        True,
        False,
        True,
    ]
    assert not any(ki._below_level(line, 0) for line in (info, warning, error, notice))
    assert not ki._below_level(b"I0000 is how my own message starts\n", 3)


def test_cli_prints_no_tensorflow_start_up_noise(tmp_path):
    """No cuInit error line, and none of the lines absl prints below TF_CPP_MIN_LOG_LEVEL
    before TensorFlow's logging is initialised."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}  # what app/__init__.py sets
    plain = subprocess.run(
        [sys.executable, "-c", "import tensorflow as tf; tf.config.list_physical_devices()"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    noise = [n for n in ("cuInit", "absl::InitializeLog", "I0000 ") if n in plain.stderr]
    if not noise:
        pytest.skip("this TensorFlow build or machine logs nothing at start-up")
    from app.project.examples import example_path

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "export",
            str(example_path("digits_mlp")),
            "-o",
            str(tmp_path / "model.keras"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    with relies_on("TensorFlow logging at start-up to file descriptor 2 (cuInit, absl)"):
        for n in noise:
            assert n not in run.stderr


def test_lookup_idf_weights():
    texts = np.array(["a b", "a c", "a"])
    vectorize = keras.layers.TextVectorization(output_mode="tf_idf")
    vectorize.adapt(texts)
    lookup = keras.layers.StringLookup(output_mode="tf_idf")
    lookup.adapt(np.array(["a", "a", "b"]))
    with relies_on("IndexLookup.idf_weights_const / TextVectorization._lookup_layer"):
        for layer in (vectorize, lookup):
            weights = np.asarray(ki.lookup_idf_weights(layer))
            assert weights.shape == (len(layer.get_vocabulary()),)
    assert ki.lookup_idf_weights(keras.layers.StringLookup(vocabulary=["a"])) is None
