"""User-written layer code (CustomLayer classes, Lambda expressions): trusted before it ever runs.

Trust is a process-wide set of SHA-256 digests of code texts.  Code the user types in the app is
trusted as it is written; code read from a project file is not, until the user says so.  Nothing
here executes a text whose digest is not trusted.  Keras is imported only when code is run, so
the UI can ask about trust without loading TensorFlow.
"""

from __future__ import annotations

import ast
import hashlib
import re
import threading
import traceback
from typing import Any

from app.errors import CompileError
from app.nodes import REGISTRY
from app.nodes.custom_code_specs import (
    CODE_KIND,
    CUSTOM_LAYER_SPEC_ID,
    SPECS,
    code_texts,
    lambda_param,
)
from app.nodes.custom_layer_code import layer_classes
from app.nodes.spec import NodeSpec

SERIALIZABLE_PACKAGE = "layerloom_custom"
_FILE_PREFIX = "<layerloom custom code "

_lock = threading.Lock()
_load_lock = threading.RLock()
_trusted: set[str] = set()
_classes: dict[tuple[str, str], type] = {}  # (digest, class name) -> class
_namespaces: dict[str, dict] = {}  # digest -> namespace the code was run in


def digest(code: str) -> str:
    """SHA-256 hex digest of a code text (what trust is recorded by)."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _builtin_texts() -> set[str]:
    """LayerLoom's own default code (a new node runs it without asking)."""
    return {digest(t) for s in SPECS for t in code_texts(s, {})}


_BUILTIN = _builtin_texts()


def trust(code: str) -> None:
    """Allow `code` to run in this process (the user wrote it or accepted it)."""
    with _lock:
        _trusted.add(digest(code))


def is_trusted(code: str) -> bool:
    """True if `code` may run: LayerLoom's default code, or trusted by the user."""
    d = digest(code)
    with _lock:
        return d in _BUILTIN or d in _trusted


def forget_trust() -> None:
    """Trust nothing again (tests; a fresh process starts this way)."""
    with _lock:
        _trusted.clear()


def graph_code(graph: Any) -> list[tuple[str, str]]:
    """(node id, code text) of every code node in `graph`, blocks included."""
    out = []
    for _, g in graph.walk():
        for node in g.nodes():
            spec = REGISTRY.get(node.spec_id)
            if spec is not None:
                out += [(node.id, text) for text in code_texts(spec, node.params)]
    return out


def trust_graph(graph: Any) -> int:
    """Trust every code text in `graph` (incl. blocks); returns how many nodes hold code."""
    found = graph_code(graph)
    for _, text in found:
        trust(text)
    return len(found)


def untrusted_code_nodes(graph: Any) -> list[str]:
    """Ids of the nodes (blocks included) whose code is not trusted yet."""
    return [nid for nid, text in graph_code(graph) if not is_trusted(text)]


def trust_token(spec: NodeSpec, params: dict) -> tuple:
    """Part of a layer's signature: changes when its code becomes trusted (cache invalidation)."""
    return tuple(is_trusted(t) for t in code_texts(spec, params))


# ----- running trusted code ---------------------------------------------------------------------
def _who(spec: NodeSpec, name: str) -> str:
    return f"Custom layer '{name}'" if spec.id == CUSTOM_LAYER_SPEC_ID else f"Lambda '{name}'"


HOW_TO_TRUST = "trust the project to run it (Trust and run, above the canvas; --trust-code on the command line)"


def _refuse_untrusted(code: str, name: str, node_id: str | None) -> None:
    if not is_trusted(code):
        raise CompileError(
            f"Layer '{name}' runs custom code from this project; {HOW_TO_TRUST}",
            node_id=node_id,
        )


def _namespace() -> dict[str, Any]:
    import keras
    import numpy as np

    return {"keras": keras, "ops": keras.ops, "np": np, "__name__": "layerloom_custom"}


def code_line(exc: BaseException, code_digest: str | None = None) -> int | None:
    """The line of user code an exception points at (SyntaxError or innermost user frame)."""
    if isinstance(exc, SyntaxError) and (exc.filename or "").startswith(_FILE_PREFIX):
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename or ""
        if name.startswith(_FILE_PREFIX) and (code_digest is None or code_digest[:16] in name):
            line = frame.lineno
    return line


def plain_error(who: str, exc: BaseException, code_digest: str | None = None) -> str:
    """A message such as: Custom layer 'x': line 3: NameError: name 'foo' is not defined."""
    from app.compiler.messages import keras_message

    line = code_line(exc, code_digest)
    where = f"line {line}: " if line is not None else ""
    if isinstance(exc, SyntaxError):
        text = exc.msg
    elif "Error encountered:" in str(exc):  # Keras wraps errors raised while inferring shapes
        tail = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).rsplit("Error encountered:", 1)[1]
        text = next((ln.strip() for ln in tail.splitlines() if ln.strip()), keras_message(exc))
    else:
        text = keras_message(exc)
    return f"{who}: {where}{type(exc).__name__}: {text}"


def _filename(code_digest: str) -> str:
    return f"{_FILE_PREFIX}{code_digest[:16]}>"


def load_custom_class(
    code: str, class_name: str, name: str = "custom", node_id: str | None = None
) -> type:
    """The Layer subclass `class_name` defined by trusted `code` (run once per code text).

    Untrusted code is refused before anything runs.  The class is registered with Keras as
    layerloom_custom>ClassName so a built model can be saved.
    """
    _refuse_untrusted(code, name, node_id)
    with _load_lock:  # shape checks and training may build in different threads
        return _load_class(code, class_name, name, node_id)


def _load_class(code: str, class_name: str, name: str, node_id: str | None) -> type:
    who = f"Custom layer '{name}'"
    d = digest(code)
    cached = _classes.get((d, class_name))
    if cached is not None:
        return cached
    namespace = _run_code(code, who, node_id)
    import keras

    cls = namespace.get(class_name)
    if cls is None:
        defined = [c.name for c in layer_classes(code) if c.is_layer]
        hint = f" (it defines {', '.join(defined)}: set class_name to one)" if defined else ""
        raise CompileError(
            f"{who}: the code defines no class '{class_name}'{hint}", node_id=node_id
        )
    if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)):
        raise CompileError(
            f"{who}: '{class_name}' is not a subclass of keras.layers.Layer", node_id=node_id
        )
    keras.saving.register_keras_serializable(package=SERIALIZABLE_PACKAGE)(cls)
    _classes[(d, class_name)] = cls
    return cls


def _run_code(code: str, who: str, node_id: str | None = None) -> dict[str, Any]:
    """The namespace trusted `code` defines (run once per text; the one executor of user code)."""
    d = digest(code)
    namespace = _namespaces.get(d)
    if namespace is None:
        namespace = _namespace()
        try:
            exec(compile(code, _filename(d), "exec"), namespace)  # noqa: S102 - trusted user code
        except Exception as exc:  # noqa: BLE001 - user code fails in any way: report it plainly
            raise CompileError(plain_error(who, exc, d), node_id=node_id) from None
        _namespaces[d] = namespace
    return namespace


def lambda_function(expression: str, name: str = "lambda", node_id: str | None = None):
    """`lambda x: <expression>` (or `lambda inputs: ...`) from a trusted expression."""
    who = f"Lambda '{name}'"
    _refuse_untrusted(expression, name, node_id)
    d = digest(expression)
    filename = _filename(d)
    try:
        ast.parse(expression, filename, mode="eval")
        code = compile(f"lambda {lambda_param(expression)}: ({expression})", filename, "eval")
        return eval(code, _namespace())  # noqa: S307 - trusted user code
    except Exception as exc:  # noqa: BLE001
        raise CompileError(plain_error(who, exc, d), node_id=node_id) from None


def create_code_layer(spec: NodeSpec, node: Any) -> Any:
    """The Keras layer of a CustomLayer / Lambda node (refused if its code is not trusted)."""
    import keras

    params = {**spec.defaults(), **node.params}
    who = _who(spec, node.name)
    if spec.id == CUSTOM_LAYER_SPEC_ID:
        cls = load_custom_class(params["code"], params["class_name"], node.name, node.id)
        config = params.get("config") or {}
        if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
            raise CompileError(f"{who}: config must be a JSON object of arguments", node_id=node.id)
        try:
            layer = cls(**config, name=node.name)
        except Exception as exc:  # noqa: BLE001
            if isinstance(exc, TypeError) and "'name'" in str(exc):
                raise CompileError(
                    f"{who}: its __init__ must take **kwargs and pass them to "
                    "super().__init__(**kwargs)",
                    node_id=node.id,
                ) from None
            raise CompileError(
                plain_error(who, exc, digest(params["code"])), node_id=node.id
            ) from None
    else:
        fn = lambda_function(params.get("expression") or "", node.name, node.id)
        shape = params.get("output_shape")
        layer = keras.layers.Lambda(
            fn, output_shape=tuple(shape) if shape is not None else None, name=node.name
        )
    if not node.trainable:
        layer.trainable = False
    return layer


def call_error(spec: NodeSpec, name: str, params: dict, exc: BaseException) -> str | None:
    """A plain message with the user's line for an error raised inside code-node code."""
    if spec.kind != CODE_KIND:
        return None
    texts = code_texts(spec, params)
    d = digest(texts[0]) if texts else None
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:  # Keras may re-raise from its own code
        if code_line(error, d) is not None:
            return plain_error(_who(spec, name), error, d)
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def is_code_spec(spec: NodeSpec) -> bool:
    """True for the specs whose layers run user code."""
    return spec.kind == CODE_KIND


# ----- project code (custom losses, metrics: app.project.project_code) ---------------------------
def trust_project_code(entries: list[Any]) -> int:
    """Trust the code of every project code entry (--trust-code, the banner); how many."""
    for entry in entries:
        trust(entry.source)
    return len(entries)


def untrusted_project_code(entries: list[Any]) -> list[str]:
    """Names of the project code entries whose code is not trusted yet."""
    return [e.name for e in entries if not is_trusted(e.source)]


def code_object(entry: Any) -> Any:
    """The function or class a trusted project code entry defines under its name.

    Refused before anything runs if the code is not trusted; CompileError in plain words if it
    fails, defines no such name, or defines something of the wrong kind.  An object a model file
    can hold (a loss, a metric) is registered with Keras as layerloom_custom>name so run files
    name it.
    """
    import keras

    from app.project.project_code import CODE_KINDS

    kind = CODE_KINDS[entry.kind]
    who = f"{kind.label} '{entry.name}'"
    if not is_trusted(entry.source):
        raise CompileError(f"{who} is code from this project; {HOW_TO_TRUST}")
    with _load_lock:
        obj = _run_code(entry.source, f"{who} (project code)").get(entry.name)
        bases = tuple(_keras_attr(keras, path) for path in kind.keras_bases)
        is_class = isinstance(obj, type) and issubclass(obj, bases)
        is_function = kind.functions and callable(obj) and not isinstance(obj, type)
        if not (is_class or is_function):
            wanted = " or ".join(f"a keras.{b} subclass" for b in kind.keras_bases)
            wanted += f" or a function ({kind.function_args})" if kind.functions else ""
            found = (
                "nothing"
                if obj is None
                else f"a subclass of {obj.__mro__[1].__name__}"
                if isinstance(obj, type)
                else f"a value of type {type(obj).__name__}"
            )
            raise CompileError(
                f"{who}: the code must define '{entry.name}' as {wanted}; it defines {found}"
            )
        if kind.saved_in_models:
            keras.saving.register_keras_serializable(package=SERIALIZABLE_PACKAGE, name=entry.name)(
                obj
            )
        return obj


def _keras_attr(keras: Any, path: str) -> Any:
    obj = keras
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def project_custom_objects(entries: list[Any]) -> dict[str, Any]:
    """{name: object} of every project code entry, for loading a run's model (all trusted)."""
    return {e.name: code_object(e) for e in entries}
