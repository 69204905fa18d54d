"""A CustomLayer's class name and config follow the code the user writes (read with ast)."""

from __future__ import annotations

import textwrap

from app.nodes import REGISTRY
from app.nodes.custom_code_specs import CUSTOM_LAYER_SPEC_ID, DEFAULT_CODE
from app.nodes.custom_layer_code import layer_classes, params_following_code

SCALE = textwrap.dedent(
    """\
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.s = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="s")
        def call(self, x):
            return x * self.s
    """
)


def _template_params() -> dict:
    return REGISTRY[CUSTOM_LAYER_SPEC_ID].defaults()


def test_the_template_defaults_are_what_its_code_says() -> None:
    params = _template_params()
    assert params_following_code(params, DEFAULT_CODE) == params
    assert params["class_name"] == "Linear" and params["config"] == {"units": 32}


def test_replacing_the_template_takes_the_new_class_and_drops_its_arguments() -> None:
    out = params_following_code(_template_params(), SCALE)
    assert out == {"code": SCALE, "class_name": "Scale", "config": {}}


def test_arguments_follow_the_code_but_keep_what_the_user_set() -> None:
    code = DEFAULT_CODE.replace("units=32", "units=8, *, scale=(1, 2), act=keras.ops.relu")
    out = params_following_code(_template_params(), code)
    # a new default is taken; a tuple default is JSON (a list); a default that is code is left out
    assert out["class_name"] == "Linear"
    assert out["config"] == {"units": 8, "scale": [1, 2]}
    mine = {**_template_params(), "config": {"units": 64}}
    assert params_following_code(mine, code)["config"] == {"units": 64, "scale": [1, 2]}


def test_the_chosen_class_stays_while_defined_else_the_last_layer_class() -> None:
    code = textwrap.dedent(
        """\
        def helper(x):
            return x

        class Block(keras.layers.Layer):
            def __init__(self, width, name=None, **kwargs):
                super().__init__(name=name, **kwargs)

        class Head(Block):
            pass

        class NotALayer:
            pass
        """
    )
    assert [(c.name, c.is_layer) for c in layer_classes(code)] == [
        ("Block", True),
        ("Head", True),
        ("NotALayer", False),
    ]
    out = params_following_code(_template_params(), code)
    assert out["class_name"] == "Head" and out["config"] == {}
    kept = params_following_code({**_template_params(), "class_name": "Block"}, code)
    # a required argument has no value to give; `name` is LayerLoom's to set
    assert kept["class_name"] == "Block" and kept["config"] == {}


def test_code_that_does_not_parse_keeps_the_class_and_config() -> None:
    params = {**_template_params(), "config": {"units": 5}}
    out = params_following_code(params, "class Broken(:\n")
    assert out["code"] == "class Broken(:\n"
    assert out["class_name"] == "Linear" and out["config"] == {"units": 5}
