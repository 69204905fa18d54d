"""Every use LayerLoom makes of Keras' (and TensorFlow's) private code, in one place.

Keras 3's public API does not expose everything LayerLoom needs: how a model's layers are
connected, how to create layers without initialising their weights, whether a metric should
rise or fall.  Each such reliance is one small function here, named for what it gives and
saying which internal it reads; tests/test_keras_internals.py checks each one against the
installed Keras and names the internal when a Keras release changes it.  Keras is imported
inside the functions, so importing this module stays light (app.nodes and app.data use it).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

# Where Keras keeps its code (the private package keras.src): classes and functions carry these
# module paths, and .keras files name them in their configs.
OPS_MODULE_PREFIX = "keras.src.ops."
APPLICATIONS_MODULE_PREFIX = "keras.src.applications."
PRIVATE_FUNCTION_MODULES = ("keras.src.activations", "keras.src.ops")

# Keras' own metric names for what compile() accepts under a short alias.
_METRIC_ALIASES = {"acc": "accuracy"}


# ----- the functional graph --------------------------------------------------------------------
def keras_history(tensor: Any) -> tuple[Any, int, int]:
    """(operation, node index, tensor index) that produced a symbolic tensor.

    Reads `KerasTensor._keras_history` (keras/src/ops/node.py: KerasHistory).
    """
    op, node_index, tensor_index = tensor._keras_history
    return op, node_index, tensor_index


def inbound_nodes(operation: Any) -> list[Any]:
    """The calls of a layer or operation in the graphs built so far, in call order.

    Reads `Operation._inbound_nodes` (keras/src/ops/operation.py); each Node has
    `.operation`, `.arguments` and `.outputs`.
    """
    return operation._inbound_nodes


def call_arguments(node: Any) -> tuple[tuple, dict]:
    """(positional, keyword) arguments of one call (a Node of `inbound_nodes`), as given.

    Reads `Node.arguments` (keras/src/ops/node.py: SymbolicArguments `.args`, `.kwargs`).
    """
    return tuple(node.arguments.args), dict(node.arguments.kwargs)


def outbound_nodes(operation: Any) -> list[Any]:
    """The calls of other layers that consume this layer's outputs.

    Reads `Operation._outbound_nodes` (keras/src/ops/operation.py).
    """
    return operation._outbound_nodes


def call_without_input_cast(model: Any, inputs: list, training: bool = False) -> list:
    """A functional model called on `inputs` (one tensor per `model.inputs`, in order) as they
    are: a float image reaches the layers even where the Input declares integers (uint8 pixels
    before a Rescaling layer), so that a gradient with respect to it exists.

    `Functional.call` first casts each input to its Input's dtype (`_standardize_inputs`); this
    skips that step and runs `Function._run_through_graph` with `operation_fn`
    (keras/src/models/functional.py), as `Functional.call` does after it. Returns the outputs
    as a flat list.
    """
    import keras
    from keras.src.models.functional import operation_fn

    outputs = model._run_through_graph(
        list(inputs), operation_fn=lambda op: operation_fn(op, training=training)
    )
    return keras.tree.flatten(outputs)


def outputs_are_dict(model: Any) -> bool:
    """True if a Functional model was built with a dict of outputs (fit wants y as a dict).

    Reads `Functional._outputs_struct` (keras/src/models/functional.py).
    """
    return isinstance(getattr(model, "_outputs_struct", None), dict)


def is_functional(model: Any) -> bool:
    """True for a Functional model, or a subclass whose constructor takes (inputs, outputs).

    Uses `keras.src.models.functional.Functional` and `functional_like_constructor`.
    """
    from keras.src.models.functional import Functional, functional_like_constructor

    return isinstance(model, Functional) and functional_like_constructor(type(model))


# ----- creating layers without weights (shape inference) ---------------------------------------
@contextlib.contextmanager
def deferred_variables() -> Iterator[None]:
    """Create layers without initialising their weights (shape inference only).

    Keras 3 defers variable initialisation inside a `StatelessScope(initialize_variables=False)`
    (keras/src/backend/common/stateless_scope.py) and lists the deferred variables in the global
    attribute "uninitialized_variables" (keras/src/backend/common/global_state.py).  On exit they
    are forgotten again, so a later real build does not initialise them behind our back.
    """
    from keras.src.backend.common import global_state
    from keras.src.backend.common.stateless_scope import StatelessScope, in_stateless_scope

    if in_stateless_scope():
        yield
        return
    key = "uninitialized_variables"
    before = list(global_state.get_global_attribute(key, [], set_to_default=True))
    try:
        with StatelessScope(initialize_variables=False):
            yield
    finally:
        global_state.set_global_attribute(key, before)


@contextlib.contextmanager
def eager_variables() -> Iterator[None]:
    """Leave a deferred_variables() scope for a layer that must create real variables.

    Clears and restores the global attribute "stateless_scope" (keras/src/backend/common).
    """
    from keras.src.backend.common import global_state

    scope = global_state.get_global_attribute("stateless_scope")
    global_state.set_global_attribute("stateless_scope", None)
    try:
        yield
    finally:
        global_state.set_global_attribute("stateless_scope", scope)


def needs_eager(exc: BaseException) -> bool:
    """True if a layer failed only because variables may not be created in a stateless scope.

    Relies on the wording of Keras' error ("... stateless scope ...").
    """
    return "stateless scope" in str(exc)


# ----- registries ------------------------------------------------------------------------------
def register_custom_name(name: str, cls: type) -> None:
    """Make Keras' serialisation registry map `name` to `cls` and back, replacing another class
    registered under that name (keras.saving.register_keras_serializable refuses to).

    Writes `GLOBAL_CUSTOM_OBJECTS` and `GLOBAL_CUSTOM_NAMES` of
    keras/src/saving/object_registration.py.
    """
    from keras.src.saving import object_registration as registration

    if registration.GLOBAL_CUSTOM_OBJECTS.get(name) is not cls:
        registration.GLOBAL_CUSTOM_OBJECTS[name] = cls
        registration.GLOBAL_CUSTOM_NAMES[cls] = name


def tf_gradient_registry() -> dict | None:
    """TensorFlow's global registry of gradient functions (name -> entry), or None.

    Reads `tensorflow.python.framework.ops._gradient_registry._registry`; None on another Keras
    backend (no TensorFlow) or when TensorFlow has moved it.
    """
    try:
        from tensorflow.python.framework import ops
    except ImportError:
        return None
    reg = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return reg if isinstance(reg, dict) else None


# ----- metrics ---------------------------------------------------------------------------------
def metric_direction(name_or_metric: Any) -> str | None:
    """ "up" if a metric improves as it rises, "down" if as it falls, None if Keras does not say.

    Takes a keras.metrics.Metric or a logged name: "val_" and output-name prefixes are dropped
    ("val_head_r2_score" -> "r2_score"); a loss ("loss", "head_loss") falls.  Reads
    `Metric._direction`, which Keras' own callbacks use for mode="auto"
    (keras/src/callbacks/monitor_callback.py).
    """
    if not isinstance(name_or_metric, str):
        direction = getattr(name_or_metric, "_direction", None)
        return direction if direction in ("up", "down") else None
    name = name_or_metric.removeprefix("val_")
    parts = name.split("_")
    for i in range(len(parts)):  # the whole name first, then without each leading word
        found = _named_metric_direction("_".join(parts[i:]))
        if found is not None:
            return found
    return None


def _named_metric_direction(name: str) -> str | None:
    if name == "loss":
        return "down"
    import keras

    try:
        metric = keras.metrics.get(_METRIC_ALIASES.get(name, name))
    except (ValueError, TypeError):  # unknown, or a metric that needs settings (MeanIoU)
        return None
    direction = getattr(metric, "_direction", None)
    return direction if direction in ("up", "down") else None


# ----- TensorFlow's device discovery -------------------------------------------------------------
# TensorFlow's Linux wheels try CUDA the first time devices are listed and log, at error level,
# "failed call to cuInit" on every machine without an NVIDIA driver: the normal CPU case, not an
# error the user can act on.  TF_CPP_MIN_LOG_LEVEL=3 would hide it only by hiding real errors.
CUINIT_LINE = b"failed call to cuInit"


def list_devices_quietly() -> list[Any]:
    """TensorFlow imported and its physical devices listed once, without the log lines it
    prints below TF_CPP_MIN_LOG_LEVEL before its logging starts, nor its cuInit error line.

    TensorFlow 2.21 logs through absl; what its libraries log while they load, before
    `absl::InitializeLog()`, goes to file descriptor 2 whatever TF_CPP_MIN_LOG_LEVEL says
    ("oneDNN custom operations are on", "Could not find cuda drivers", each behind "All log
    messages before absl::InitializeLog() ..."). Relies on TensorFlow initialising its CUDA
    platform on the first `tf.config.list_physical_devices()`; later calls print nothing.
    """

    def import_and_list() -> list[Any]:
        import tensorflow as tf

        return tf.config.list_physical_devices()

    level = _min_log_level()
    return without_stderr_lines(
        import_and_list, (CUINIT_LINE,), keep=lambda line: not _below_level(line, level)
    )


# ----- importing TensorFlow and Keras: one owner ------------------------------------------------
# TensorFlow's import is not safe when two threads run it at once: Python's import lock is per
# module, and a second thread importing `keras` (which imports TensorFlow's submodules) while the
# first is still inside `import tensorflow` sees half-initialised modules (ImportError, KeyError).
# So every thread that is about to use Keras calls import_keras() first: the first caller imports,
# a caller that comes while it runs waits for it, later callers return at once.
_import_lock = threading.Lock()
_imported: Any = None  # the keras module once imported
_import_error: BaseException | None = None


def import_keras(wait: bool = True) -> Any:
    """Import TensorFlow (devices listed quietly, see list_devices_quietly) and Keras once, on
    whichever thread asks first; return the keras module.

    A thread that calls it while another is importing waits until that import has finished, or
    with `wait=False` gets None at once (the GUI thread never waits on it).  If the import
    failed, every later call raises the same error again (a half-done import is never retried
    alongside users of the modules it left behind).
    """
    if _imported is not None:
        return _imported
    if not _import_lock.acquire(blocking=wait):
        return None
    try:
        return _import_keras_locked()
    finally:
        _import_lock.release()


def _import_keras_locked() -> Any:
    global _imported, _import_error
    if _imported is not None:
        return _imported
    if _import_error is not None:
        raise _import_error
    try:
        list_devices_quietly()  # the slow part: imports TensorFlow, without its log noise
        import keras
    except BaseException as exc:
        _import_error = exc
        raise
    _imported = keras
    return keras


def before_keras_use() -> None:
    """What a worker thread runs before its task: import_keras(), waiting for an import under
    way.  A failed import is left for the task to meet when it imports Keras itself, so a task
    that needs no Keras (reading a CSV file) still runs."""
    with contextlib.suppress(Exception):
        import_keras()


def keras_imported() -> bool:
    """True once import_keras() has finished successfully (never imports anything)."""
    return _imported is not None


# The line absl writes before its first message when logging is not initialised yet.
ABSL_UNINITIALISED_LINE = b"All log messages before absl::InitializeLog() is called"
_ABSL_SEVERITIES = b"IWEF"  # info, warning, error, fatal: TF_CPP_MIN_LOG_LEVEL 0..3


def _min_log_level() -> int:
    import os

    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        return 0


def _below_level(line: bytes, level: int) -> bool:
    """True for an absl log line (`I0000 00:00:1796528096.25  123 file.cc:12] ...`) whose severity is
    below `level`, and for absl's "before InitializeLog" notice when any level is hidden."""
    import re

    if ABSL_UNINITIALISED_LINE in line:
        return level > 0
    m = re.match(rb"([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] ", line)
    return bool(m) and _ABSL_SEVERITIES.index(m.group(1)) < level


def without_stderr_lines(
    fn: Any, drop: tuple[bytes, ...], keep: Callable[[bytes], bool] | None = None
) -> Any:
    """Run `fn()` with file descriptor 2 captured; then write what it got back, less lines
    containing any of `drop` and lines `keep` says no to.

    A file, not a pipe, holds the capture, so a chatty `fn` cannot block on a full pipe; what
    other threads write meanwhile is passed on too, only later.
    """
    import os
    import sys
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            return fn()
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [
                line
                for line in capture.read().splitlines(keepends=True)
                if not any(d in line for d in drop) and (keep is None or keep(line))
            ]
            if kept:
                os.write(2, b"".join(kept))


# ----- learned state of preprocessing layers ---------------------------------------------------
def lookup_idf_weights(layer: Any) -> Any:
    """The idf weights a lookup or TextVectorization layer in mode "tf_idf" uses (one per
    vocabulary entry, special tokens first), or None.

    Reads `IndexLookup.idf_weights_const` (keras/src/layers/preprocessing/index_lookup.py) and,
    for TextVectorization, its `_lookup_layer`.
    """
    lookup = getattr(layer, "_lookup_layer", layer)
    return getattr(lookup, "idf_weights_const", None)
