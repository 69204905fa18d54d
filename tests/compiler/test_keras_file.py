"""load_keras_file: real .keras files load; hostile or broken ones are refused before Keras runs."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

from app.compiler import build_model, load_keras_file
from app.errors import ImportModelError, UnsafeModelError


def tiny_model() -> keras.Model:
    x = keras.Input((4,), name="x")
    h = layers.Dense(3, activation="relu", name="hidden")(x)
    return keras.Model(x, layers.Dense(2, name="out")(h), name="tiny")


@pytest.fixture
def saved(tmp_path: Path) -> tuple[keras.Model, Path]:
    model = tiny_model()
    path = tmp_path / "tiny.keras"
    model.save(path)
    return model, path


def rewrite(src: Path, dst: Path, edit_config=None, extra: dict | None = None, drop=()) -> Path:
    """A copy of a .keras archive with config.json edited and members added or left out."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info)
            if info.filename == "config.json" and edit_config is not None:
                config = json.loads(data)
                edit_config(config)
                data = json.dumps(config).encode()
            zout.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def add_layer(layer_config: dict):
    """An edit that splices `layer_config` between the input and the first Dense."""

    def edit(config: dict) -> None:
        entries = config["config"]["layers"]
        entries.insert(1, {**layer_config, "inbound_nodes": entries[1]["inbound_nodes"]})

    return edit


# ----- a good file ------------------------------------------------------------------------------
def test_saved_model_loads_with_weights(saved):
    model, path = saved
    graph = load_keras_file(path)
    assert graph.name == "tiny"
    assert sorted(n.name for n in graph.nodes()) == ["hidden", "out", "x"]
    rebuilt = build_model(graph)
    for name in ("hidden", "out"):
        for a, b in zip(model.get_layer(name).get_weights(), rebuilt.get_layer(name).get_weights()):
            np.testing.assert_allclose(a, b)


def test_registered_layerloom_layer_is_accepted(tmp_path):
    from app.compiler.custom_layers import Sampling

    mean, log_var = keras.Input((2,), name="mean"), keras.Input((2,), name="log_var")
    model = keras.Model([mean, log_var], Sampling(name="z")([mean, log_var]), name="vae_head")
    model.save(tmp_path / "vae.keras")
    graph = load_keras_file(tmp_path / "vae.keras")
    assert graph.node_by_name("z").spec_id == "layerloom.Sampling"


# ----- refused contents -------------------------------------------------------------------------
def test_lambda_layer_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "lambda_ran"
    fn = eval(f"lambda t: (__import__('pathlib').Path({str(marker)!r}).touch(), t)[1]")
    x = keras.Input((2,), name="x")
    keras.Model(x, layers.Lambda(fn, name="lam")(x)).save(tmp_path / "lam.keras")
    marker.unlink()  # building the model above ran the lambda once
    with pytest.raises(UnsafeModelError, match=r"layer 'lam' \(Lambda\).*Python code"):
        load_keras_file(tmp_path / "lam.keras")
    assert not marker.exists()


def test_tfsm_layer_is_refused(saved, tmp_path):
    _, path = saved
    tfsm = {
        "module": "keras.layers",
        "class_name": "TFSMLayer",
        "config": {"name": "sm", "filepath": "/tmp/saved_model", "call_endpoint": "serve"},
        "registered_name": None,
        "name": "sm",
    }
    bad = rewrite(path, tmp_path / "tfsm.keras", add_layer(tfsm))
    with pytest.raises(UnsafeModelError, match=r"'sm' \(TFSMLayer\)"):
        load_keras_file(bad)


def test_class_from_another_module_is_refused(saved, tmp_path):
    _, path = saved
    evil = {
        "module": "os",
        "class_name": "system",
        "config": {"name": "pwn"},
        "registered_name": None,
        "name": "pwn",
    }
    bad = rewrite(path, tmp_path / "module.keras", add_layer(evil))
    with pytest.raises(UnsafeModelError, match=r"'pwn' \(system\).*module 'os'"):
        load_keras_file(bad)


def test_serialized_function_in_a_setting_is_refused(saved, tmp_path):
    _, path = saved

    def edit(config):
        dense = config["config"]["layers"][1]["config"]
        dense["activation"] = {"class_name": "__lambda__", "config": {"code": "AAAA"}}

    bad = rewrite(path, tmp_path / "fn.keras", edit)
    with pytest.raises(UnsafeModelError, match=r"'hidden'.*lambda"):
        load_keras_file(bad)


def test_unregistered_layerloom_name_is_refused(saved, tmp_path):
    _, path = saved

    def edit(config):
        entry = config["config"]["layers"][1]
        entry.update(module="layerloom_evil", class_name="Evil", registered_name="layerloom>Evil")

    bad = rewrite(path, tmp_path / "reg.keras", edit)
    with pytest.raises(UnsafeModelError, match="layerloom>Evil"):
        load_keras_file(bad)


def test_lookup_vocabulary_file_path_is_refused(tmp_path):
    text = keras.Input((1,), dtype="string", name="text")
    ids = layers.StringLookup(vocabulary=["a", "b"], name="lookup")(text)
    keras.Model(text, ids).save(tmp_path / "lookup.keras")

    def edit(config):
        config["config"]["layers"][1]["config"]["vocabulary"] = "/etc/passwd"

    bad = rewrite(tmp_path / "lookup.keras", tmp_path / "vocab.keras", edit)
    with pytest.raises(UnsafeModelError, match=r"'lookup' \(StringLookup\).*/etc/passwd"):
        load_keras_file(bad)


def test_compile_config_is_not_checked_because_it_is_never_read(saved, tmp_path):
    _, path = saved

    def edit(config):
        config["compile_config"] = {"loss": {"module": "__main__", "class_name": "my_loss"}}

    graph = load_keras_file(rewrite(path, tmp_path / "compiled.keras", edit))
    assert len(graph) == 3


# ----- refused archives -------------------------------------------------------------------------
@pytest.mark.parametrize("member", ["../evil.json", "/abs.json", "assets/../../x", "a\\b.json"])
def test_unsafe_member_paths_are_refused(saved, tmp_path, member):
    _, path = saved
    bad = rewrite(path, tmp_path / "trav.keras", extra={member: b"{}"})
    with pytest.raises(UnsafeModelError, match="unsafe path"):
        load_keras_file(bad)


def test_unexpected_member_is_refused(saved, tmp_path):
    _, path = saved
    bad = rewrite(path, tmp_path / "extra.keras", extra={"payload.py": b"import os"})
    with pytest.raises(UnsafeModelError, match="unexpected file 'payload.py'"):
        load_keras_file(bad)


def test_text_file_renamed_keras(tmp_path):
    fake = tmp_path / "notes.keras"
    fake.write_text("just some notes\n")
    with pytest.raises(ImportModelError, match=r"'notes.keras' is not a valid .keras file"):
        load_keras_file(fake)


def test_truncated_zip(saved, tmp_path):
    _, path = saved
    cut = tmp_path / "cut.keras"
    cut.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
    with pytest.raises(ImportModelError, match="cut.keras"):
        load_keras_file(cut)


def test_missing_config(saved, tmp_path):
    _, path = saved
    bad = rewrite(path, tmp_path / "noconf.keras", drop=("config.json",))
    with pytest.raises(ImportModelError, match="no config.json"):
        load_keras_file(bad)


def test_config_that_is_not_json(saved, tmp_path):
    _, path = saved
    bad = tmp_path / "badjson.keras"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("config.json", b"{not json")
    with pytest.raises(ImportModelError, match="'badjson.keras': config.json is not valid JSON"):
        load_keras_file(bad)


def test_config_that_is_not_a_model(tmp_path):
    bad = tmp_path / "list.keras"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("config.json", b"[1, 2, 3]")
    with pytest.raises(ImportModelError, match="does not describe a Keras model"):
        load_keras_file(bad)


def test_corrupt_weights_give_a_plain_message(saved, tmp_path):
    _, path = saved
    bad = rewrite(path, tmp_path / "weights.keras", drop=("model.weights.h5",))
    bad = rewrite(bad, tmp_path / "weights2.keras", extra={"model.weights.h5": b"garbage"})
    with pytest.raises(ImportModelError, match="Keras could not load 'weights2.keras'"):
        load_keras_file(bad)


def test_the_check_alone_reads_only_the_config(saved, tmp_path):
    from app.compiler.keras_file import check_keras_file

    _, path = saved
    check_keras_file(path)
    broken_weights = rewrite(path, tmp_path / "w.keras", drop=("model.weights.h5",))
    check_keras_file(broken_weights)  # nothing is built or loaded: the weights are not read
    lam = {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {"name": "lam", "function": {"class_name": "__lambda__", "config": {}}},
        "registered_name": None,
    }
    bad = rewrite(path, tmp_path / "lam.keras", add_layer(lam))
    with pytest.raises(UnsafeModelError, match="Lambda layers run Python code") as refused:
        check_keras_file(bad)
    assert refused.value.path == str(bad)


def test_h5_and_other_paths_are_refused(tmp_path):
    h5 = tmp_path / "old.h5"
    h5.write_bytes(b"\x89HDF\r\n")
    with pytest.raises(ImportModelError, match="only .keras"):
        load_keras_file(h5)
    with pytest.raises(ImportModelError, match="does not exist"):
        load_keras_file(tmp_path / "missing.keras")
    folder = tmp_path / "folder.keras"
    folder.mkdir()
    with pytest.raises(ImportModelError, match="not a regular file|Cannot open"):
        load_keras_file(folder)
    with pytest.raises(ImportModelError, match="not a local file"):
        load_keras_file("hf://someone/model.keras")


@pytest.mark.parametrize(
    ("activation", "reason"),
    [
        (
            {"module": "keras.layers", "class_name": "Dense", "registered_name": "other>Thing"},
            "registered object 'other>Thing'",
        ),
        (
            {
                "module": "keras.src.saving.saving_lib",
                "class_name": "function",
                "config": "load_model",
                "registered_name": "load_model",
            },
            "function comes from module 'keras.src.saving.saving_lib'",
        ),
        (
            {
                "module": "keras.activations",
                "class_name": "function",
                "config": "other>fn",
                "registered_name": "other>fn",
            },
            "registered object 'other>fn'",
        ),
    ],
)
def test_foreign_registered_names_and_functions_are_refused(saved, tmp_path, activation, reason):
    _, path = saved

    def edit(config):
        config["config"]["layers"][1]["config"]["activation"] = activation

    bad = rewrite(path, tmp_path / "foreign.keras", edit)
    with pytest.raises(UnsafeModelError, match=reason):
        load_keras_file(bad)
