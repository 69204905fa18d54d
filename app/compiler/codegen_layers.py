"""Constructor expressions for layers and Keras objects, with only the arguments that matter.

Every layer expression is checked: it is evaluated and its `get_config()` must equal the config
of the layer build_model makes (`cls.from_config(spec defaults + params)`).  If a short form does
not reproduce it exactly, a longer one is used, and finally `layers.X.from_config({...})`.
"""

from __future__ import annotations

import importlib
import inspect
import keyword
from typing import Any

from app.compiler.codegen_expr import Atom, Call, DictDisplay, Expr, Seq, flat, literal

# Leading required constructor arguments written positionally, as the Keras guides do.
POSITIONAL = frozenset(
    {"units", "filters", "kernel_size", "rate", "input_dim", "output_dim", "target_shape", "layer",
     "activation"}
)  # fmt: skip
# Modules whose classes the script can name directly (after `import keras`).
OBJECT_MODULES = {
    "keras.layers": "layers",
    "keras.initializers": "keras.initializers",
    "keras.regularizers": "keras.regularizers",
    "keras.constraints": "keras.constraints",
    "keras.optimizers": "keras.optimizers",
    "keras.losses": "keras.losses",
    "keras.metrics": "keras.metrics",
}
_POLICIES = ("DTypePolicy", "FloatDTypePolicy")
_SERIALIZED_KEYS = {"class_name", "config"}


def is_serialized(value: Any) -> bool:
    """True for a Keras serialized object dict ({"module", "class_name", "config", ...})."""
    return (
        isinstance(value, dict)
        and _SERIALIZED_KEYS <= set(value)
        and isinstance(value["config"], dict | type(None))
    )


class ObjectWriter:
    """Turns layer params and serialized Keras objects into constructor expressions.

    Args:
        custom: class name -> class for LayerLoom's own layers embedded in the script.
    """

    def __init__(self, custom: dict[str, type] | None = None) -> None:
        import keras

        self.keras = keras
        self.custom = dict(custom or {})
        self.namespace = {"keras": keras, "layers": keras.layers, **self.custom}

    # ----- values -------------------------------------------------------------------------------
    def value(self, value: Any, tuples: bool = False) -> Expr:
        """An expression for a param value; serialized objects become constructor calls."""
        if is_serialized(value):
            return self.object(value)
        if isinstance(value, list | tuple) and any(_has_object(v) for v in value):
            return Seq([self.value(v, tuples) for v in value], tuple_=tuples)
        if isinstance(value, dict) and any(_has_object(v) for v in value.values()):
            return DictDisplay([(literal(k), self.value(v, tuples)) for k, v in value.items()])
        return literal(value, tuples)

    def object(self, data: dict) -> Expr:
        """`keras.initializers.HeNormal(seed=1)` for a serialized object, or a deserialize call."""
        class_name, config = data["class_name"], data.get("config") or {}
        if class_name in _POLICIES and isinstance(config.get("name"), str):
            return literal(config["name"])
        cls, prefix = self._resolve(data)
        if cls is not None:
            try:
                kwargs = self.minimal_kwargs(cls, config, keep=("name",))
            except Exception:  # noqa: BLE001 - any failure: write the config as it is
                kwargs = dict(config)
            if all(is_keyword_name(k) for k in kwargs):
                expr = self._call(f"{prefix}{class_name}", cls, kwargs)
                if self._same_object(expr, data):
                    return expr
        return Call(Atom("keras.saving.deserialize_keras_object"), [literal(data)])

    def _resolve(self, data: dict) -> tuple[type | None, str]:
        class_name = data["class_name"]
        registered = data.get("registered_name") or ""
        if class_name in self.custom and (
            registered.endswith(class_name) or not data.get("module")
        ):
            return self.custom[class_name], ""
        prefix = OBJECT_MODULES.get(data.get("module") or "")
        if prefix is None:
            return None, ""
        module = importlib.import_module(data["module"])
        cls = getattr(module, class_name, None)
        return (cls, prefix + ".") if inspect.isclass(cls) else (None, "")

    def _same_object(self, expr: Expr, data: dict) -> bool:
        try:
            made = eval(flat(expr), dict(self.namespace))  # noqa: S307 - our own literal-only text
            ref = self.keras.saving.deserialize_keras_object(data)
            named = "name" in (data.get("config") or {})
            lax = not named or _has_unnamed_layer(data.get("config"))
            return _comparable(_config(made), named, lax=lax) == _comparable(
                _config(ref), named, lax=lax
            )
        except Exception:  # noqa: BLE001
            return False

    # ----- arguments ----------------------------------------------------------------------------
    def minimal_kwargs(self, cls: type, config: dict, keep: tuple[str, ...] = ()) -> dict:
        """The entries of `config` that change the object: neither the declared default nor
        what `cls` makes from its required arguments alone."""
        required = required_params(cls)
        lax = _has_unnamed_layer(config)
        ref = _comparable(_config(cls.from_config(dict(config))), lax=lax)
        try:
            base = _config(cls.from_config({k: config[k] for k in required if k in config}))
            base = _comparable(base, lax=lax)
        except Exception:  # noqa: BLE001 - e.g. a required argument missing: signatures only
            base = {}
        defaults = signature_defaults(cls)
        out = {}
        for key, val in config.items():
            declared = key in defaults and _norm(defaults[key]) == _norm(val)
            made = key in base and key in ref and base[key] == ref[key]
            if key in required or key in keep or not (declared or made):
                out[key] = val
        return out

    def signature_kwargs(self, cls: type, config: dict, keep: tuple[str, ...] = ()) -> dict:
        """Like minimal_kwargs, but judged on the constructor's declared defaults only."""
        defaults = signature_defaults(cls)
        required = required_params(cls)
        return {
            k: v
            for k, v in config.items()
            if k in required or k in keep or k not in defaults or _norm(defaults[k]) != _norm(v)
        }

    def _call(
        self,
        func: str,
        cls: type,
        kwargs: dict,
        tuple_names: frozenset = frozenset(),
        squeeze: frozenset = frozenset(),
    ) -> Call:
        """`func(positional..., key=value...)` with the obvious leading arguments positional.

        Params in `tuple_names` are written as tuples; those in `squeeze` as one int when all
        their items are equal (kernel_size=3), as the Keras guides write them.
        """

        def value(key: str, val: Any) -> Expr:
            if key in squeeze and isinstance(val, list) and val and len(set(map(repr, val))) == 1:
                val = val[0]
            return self.value(val, tuples=key in tuple_names)

        args: list[Expr] = []
        rest = dict(kwargs)
        required = required_params(cls)
        for name in positional_order(cls):
            if name not in rest or name not in POSITIONAL or name not in required:
                break
            args.append(value(name, rest.pop(name)))
        kw = [(k, value(k, v)) for k, v in rest.items() if k != "name"]
        if "name" in rest:
            kw.append(("name", self.value(rest["name"])))
        return Call(Atom(func), args, kw)

    # ----- layers -------------------------------------------------------------------------------
    def layer(
        self,
        cls: type,
        class_expr: str,
        config: dict,
        tuple_names: frozenset = frozenset(),
        squeeze: frozenset = frozenset(),
        check: bool = True,
    ) -> Expr:
        """The shortest constructor of `cls` that makes the layer `cls.from_config(config)` makes.

        `config` holds every constructor argument build_model passes (incl. name and trainable).
        """
        if not check or not all(is_keyword_name(k) for k in config):
            return Call(Atom(f"{class_expr}.from_config"), [literal(config)])
        try:
            lax = _has_unnamed_layer(config)
            ref = _comparable(_config(cls.from_config(dict(config))), lax=lax)
        except Exception:  # noqa: BLE001 - build_model will report it; write what we have
            return self._call(class_expr, cls, config, tuple_names)
        keep = ("name",)  # layers are always named: the model's layer names must match
        for variant in (*_wrapper_variants(config), config):
            expr = self._shortest(cls, class_expr, variant, ref, lax, tuple_names, squeeze)
            if expr is not None:
                return expr
        candidates = []
        try:
            kwargs = self.signature_kwargs(cls, config, keep)
            candidates.append(self._call(class_expr, cls, kwargs, tuple_names))
        except Exception:  # noqa: BLE001
            pass
        candidates.append(self._call(class_expr, cls, config))
        for expr in candidates:
            if self._made(expr, lax) == ref:
                return expr
        return Call(Atom(f"{class_expr}.from_config"), [literal(config)])

    def _shortest(self, cls, class_expr, config, ref, lax, tuple_names, squeeze) -> Expr | None:
        """Start from the minimal arguments; add back any whose absence changes the config."""
        try:
            kwargs = self.minimal_kwargs(cls, config, ("name",))
        except Exception:  # noqa: BLE001
            return None
        for _ in range(4):
            made = None
            for names in ((tuple_names, squeeze), (tuple_names, frozenset()), (frozenset(),) * 2):
                expr = self._call(class_expr, cls, kwargs, *names)
                made = self._made(expr, lax)
                if made == ref:
                    return expr
            if made is None:
                return None
            # e.g. MaxPooling2D(pool_size=3, strides=2): strides equals what the class makes
            # from nothing, but not what it makes once pool_size is set.
            missing = {k for k in config if k not in kwargs and made.get(k) != ref.get(k)}
            if not missing:
                return None
            kwargs = {k: v for k, v in config.items() if k in kwargs or k in missing}
        return None

    def _made(self, expr: Expr, lax: bool) -> dict | None:
        """The comparable config of what `expr` builds, or None if it does not build."""
        try:
            made = eval(flat(expr), dict(self.namespace))  # noqa: S307 - our own literal-only text
        except Exception:  # noqa: BLE001
            return None
        return _comparable(_config(made), lax=lax)


def _wrapper_variants(config: dict) -> list[dict]:
    """Bidirectional as Keras saves it (forward_x + backward_x) written as Bidirectional(x)."""
    inner, back = config.get("layer"), config.get("backward_layer")
    if not (is_serialized(inner) and is_serialized(back)):
        return []
    name = inner["config"].get("name", "")
    if not name.startswith("forward_"):
        return []
    layer = {**inner, "config": {**inner["config"], "name": name[len("forward_") :]}}
    return [{k: v for k, v in {**config, "layer": layer}.items() if k != "backward_layer"}]


def is_keyword_name(key: Any) -> bool:
    """True if `key` can be written as `key=value` in a call (config keys are user data)."""
    return isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key)


def _config(obj: Any) -> dict:
    return obj.get_config() if hasattr(obj, "get_config") else {}


def _comparable(config: Any, top_name: bool = True, depth: int = 0, lax: bool = False) -> Any:
    """A config without build state (a deserialized wrapped layer is built, a new one is not).

    With `lax`, also without the names of nested layers (dicts with "trainable"; dtype policies
    keep theirs): a wrapped layer given without a name gets a Keras auto-name ("lstm_7") that
    depends on how many layers the process made before, so it cannot be compared.
    """
    if isinstance(config, dict):
        return {
            k: _comparable(v, top_name, depth + 1, lax)
            for k, v in config.items()
            if (k != "name" or not lax or (depth == 0 and top_name) or "trainable" not in config)
            and k not in ("build_config", "compile_config")
        }
    if isinstance(config, list | tuple):
        return type(config)(_comparable(v, top_name, depth + 1, lax) for v in config)
    return config


def _has_unnamed_layer(value: Any) -> bool:
    """True if `value` holds a serialized layer without a name (it will get an auto-name)."""
    if is_serialized(value):
        inner = value.get("config") or {}
        if value.get("module") == "keras.layers" and "name" not in inner:
            return True
        return _has_unnamed_layer(inner)
    if isinstance(value, dict):
        return any(_has_unnamed_layer(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_unnamed_layer(v) for v in value)
    return False


def _has_object(value: Any) -> bool:
    if is_serialized(value):
        return True
    if isinstance(value, list | tuple):
        return any(_has_object(v) for v in value)
    if isinstance(value, dict):
        return any(_has_object(v) for v in value.values())
    return False


def _norm(value: Any) -> Any:
    """Tuples as lists, so JSON params compare equal to Python defaults."""
    if isinstance(value, tuple | list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _init_params(cls: type) -> list[inspect.Parameter]:
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return []
    return [p for p in sig.parameters.values() if p.name != "self"]


def required_params(cls: type) -> list[str]:
    """Constructor arguments without a default (Dense: units)."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [
        p.name
        for p in _init_params(cls)
        if p.kind in kinds and p.default is inspect.Parameter.empty
    ]


def positional_order(cls: type) -> list[str]:
    """Names of the constructor arguments that can be passed positionally, in order."""
    return [p.name for p in _init_params(cls) if p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD]


def signature_defaults(cls: type) -> dict[str, Any]:
    """Declared defaults of the constructor and of the base classes it forwards **kwargs to."""
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if "__init__" not in vars(klass):
            continue
        for p in _init_params(klass):
            if p.default is not inspect.Parameter.empty:
                out[p.name] = p.default
    return out
