"""The registry covers every public Keras layer exactly once, fast and without importing Keras."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from app.nodes import BLOCK_SPEC_ID, INPUT_SPEC_ID, REGISTRY
from app.nodes import generated as generated_mod
from app.nodes.generate import EXCLUDED, classes_to_generate
from app.nodes.generated import load_document, spec_from_dict


def test_import_does_not_load_keras_or_tensorflow() -> None:
    code = (
        "import sys, app.nodes\n"
        "from app.nodes import REGISTRY\n"
        "assert len(REGISTRY) > 100\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'PySide6')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_generated_json_loads_fast() -> None:
    entries = load_document()["specs"]
    best = min(_timed(lambda: [spec_from_dict(e) for e in json.loads(generated_mod.DATA_FILE.read_text())["specs"]]) for _ in range(3))  # fmt: skip
    assert entries and best < 0.05


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def test_ids_unique_and_aliases_do_not_shadow_ids() -> None:
    specs = REGISTRY.values()
    ids = [s.id for s in specs]
    assert len(ids) == len(set(ids))
    aliases = [a for s in specs for a in s.aliases]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & set(ids)


def test_every_public_layer_class_has_exactly_one_spec(public_classes) -> None:
    by_class: dict[type, list[str]] = {}
    for spec in REGISTRY.values():
        if spec.kind == "layer" and spec.module == "keras.layers":
            by_class.setdefault(spec.keras_class(), []).append(spec.id)
    for cls, names in public_classes.items():
        if cls.__name__ in EXCLUDED:
            assert cls not in by_class, f"{cls.__name__} is excluded but has a spec"
            continue
        assert len(by_class.get(cls, [])) == 1, f"{cls.__name__}: specs {by_class.get(cls)}"
        spec = REGISTRY[by_class[cls][0]]
        for name in names:  # every public name (alias) resolves to the same spec
            assert REGISTRY.get(f"keras.layers.{name}") is spec, name
        assert REGISTRY.for_class_name(cls.__name__) is spec  # as written in saved configs


def test_declared_aliases_are_real_names_of_the_class(keras) -> None:
    for spec in REGISTRY.values():
        if spec.module != "keras.layers" or spec.kind != "layer":
            continue
        cls = spec.keras_class()
        for alias in spec.aliases:
            name = alias.rsplit(".", 1)[-1]
            assert getattr(keras.layers, name, None) is cls or name == cls.__name__, alias


def test_json_matches_installed_keras(keras) -> None:
    doc = load_document()
    stored = {e["class_name"] for e in doc["specs"]}
    expected = {names[0] for names in classes_to_generate().values()}
    assert stored == expected, "run `python -m app.nodes.generate`"
    assert doc["keras_version"] == keras.__version__


def test_structural_specs_present() -> None:
    assert REGISTRY[INPUT_SPEC_ID].kind == "input"
    assert REGISTRY[BLOCK_SPEC_ID].kind == "block"


def test_lambda_is_trusted_code_only() -> None:
    spec = REGISTRY["keras.layers.Lambda"]
    assert spec.trusted_code_only and spec.category == "Custom"
    assert sum(s.trusted_code_only for s in REGISTRY.values()) == 1
