"""The training step in generated scripts: the step class (pasted with the project code) made
around the model as app.training.step_model makes it, compiled with the same arguments.

A step with Keras' own __init__ wraps the model's inputs and outputs (the script then compiles
it from the settings as any model); a step with its own __init__ takes the model's blocks
(`model.get_layer(...)`), the whole model and its other arguments, and its compile takes the
setting's values written as Keras constructors (`keras.optimizers.Adam(learning_rate=...)`).
"""

from __future__ import annotations

import ast
from typing import Any

from app.compiler.codegen_expr import Atom, Call, Expr, Seq, literal
from app.model.grouping import block_names
from app.project.project_code import find_entry
from app.project.training_config import WHOLE_MODEL, TrainingConfig, TrainingError

_GETTERS = {"optimizers": "optimizer", "losses": "loss", "metrics": "metric"}


class StepCode:
    """How the script makes and compiles the project's training step (config.step)."""

    def __init__(self, config: TrainingConfig, project_code: list, graph: Any, model: Any):
        step = config.step or {}
        self.config = config
        self.name = step.get("name", "")
        entry = find_entry(project_code, self.name, "step")
        if entry is None:
            raise TrainingError(f"The training step '{self.name}' is not in the project code.")
        self.project_code = project_code
        self.cls = _class_def(entry.source, self.name)
        self.functional = not _defines(self.cls, "__init__")
        self.own_compile = _defines(self.cls, "compile")
        self.models = dict(step.get("models", {}))
        self.args = dict(step.get("args", {}))
        self.compile_args = dict(step.get("compile", {}))
        self.blocks = block_names(graph)
        self.model = model

    def wrap(self) -> Expr:
        """`CustomModel(inputs=model.input, outputs=model.output, name=model.name)`."""
        return Call(
            Atom(self.name),
            kwargs=[
                ("inputs", Atom("model.input")),
                ("outputs", Atom("model.output")),
                ("name", Atom("model.name")),
            ],
        )

    def make(self) -> Expr:
        """`GAN(discriminator=model.get_layer("discriminator"), ..., latent_dim=32)`."""
        kwargs: list[tuple[str, Expr]] = []
        for param, block in self.models.items():
            if block == WHOLE_MODEL:
                kwargs.append((param, Atom("model")))
                continue
            path = _block_path(self.model, self.blocks.get(block, block))
            if path is None:
                raise TrainingError(
                    f"The training step's parameter '{param}' takes block '{block}', which the "
                    f"model does not have."
                )
            kwargs.append((param, Atom("model" + "".join(f'.get_layer("{n}")' for n in path))))
        kwargs += [(k, literal(v)) for k, v in self.args.items()]
        return Call(Atom(self.name), kwargs=kwargs)

    def compile_kwargs(self, optimizer: Expr) -> list[tuple[str, Expr]]:
        """The step's compile arguments; without its own compile, the settings' optimizer
        first (a step of sub-models) and jit_compile as the settings say."""
        out = [(k, self.value(k, v)) for k, v in self.compile_args.items()]
        if self.own_compile:
            return out
        out = [("optimizer", optimizer), *[(k, e) for k, e in out if k != "optimizer"]]
        if "optimizer" in self.compile_args:
            out[0] = ("optimizer", self.value("optimizer", self.compile_args["optimizer"]))
        if self.config.jit_compile:
            out.append(("jit_compile", literal(True)))
        return out

    def value(self, param: str, value: Any) -> Expr:
        """A compile argument as app.training.step_model.resolve_value makes it."""
        import keras

        if isinstance(value, list):
            return Seq([self.value(param, v) for v in value])
        if not (isinstance(value, dict) and isinstance(value.get("class_name"), str)):
            return literal(value)
        name, config = value["class_name"], value.get("config") or {}
        hinted = [g for g, word in _GETTERS.items() if word in param.lower()]
        for getter in hinted + [g for g in _GETTERS if g not in hinted]:
            module = getattr(keras, getter)
            try:
                module.get(dict(value))
            except (ValueError, TypeError):
                continue
            if isinstance(getattr(module, name, None), type) and isinstance(config, dict):
                return Call(
                    Atom(f"keras.{getter}.{name}"),
                    kwargs=[(k, literal(v)) for k, v in config.items()],
                )
            return Call(Atom(f"keras.{getter}.get"), [literal(value)])
        entry = find_entry(self.project_code, name)
        if entry is not None and entry.kind in ("loss", "metric"):
            if _class_def(entry.source, name) is None:
                return Atom(name)
            return Call(Atom(name), kwargs=[(k, literal(v)) for k, v in config.items()])
        raise TrainingError(
            f"The step's compile argument '{param}': Keras knows no optimizer, loss or metric "
            f"{name!r}."
        )


def _class_def(source: str, name: str) -> ast.ClassDef | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)


def _defines(cls: ast.ClassDef | None, method: str) -> bool:
    """True if the class body defines `method` (its bases are not followed: a step subclasses
    keras.Model directly, as in the guides)."""
    if cls is None:
        return False
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return any(isinstance(n, kinds) and n.name == method for n in cls.body)


def _block_path(model: Any, name: str) -> list[str] | None:
    """Names of the nested models from `model` down to the block called `name`; None."""
    import keras

    for layer in getattr(model, "layers", []):
        if layer.name == name and isinstance(layer, keras.Model):
            return [name]
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            inner = _block_path(layer, name)
            if inner is not None:
                return [layer.name, *inner]
    return None
