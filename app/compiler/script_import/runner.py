"""Runs a user's Keras script in a child process and captures what its first fit() trains.

Started by app.compiler.script_import.capture as `layerloom _run-script SCRIPT OUT_DIR
MAX_BYTES` (LayerLoom's own entry point, from source and frozen alike: child.py), with the
script's folder as the working directory, only once the user has trusted the script.  This file
imports nothing of LayerLoom (only the standard library, numpy and keras): nothing of the app
is set up in Keras before the script runs.

The runner patches keras.Model.compile (to record what it was given), keras.Model.fit and
train_on_batch (to capture and stop), keras.utils.set_random_seed (to record the seed) and the
constructors of keras.callbacks (to record their arguments), then runs the script as __main__.
At the first fit it writes into OUT_DIR:

- model.keras: the model being trained (a Functional subclass is saved as the plain Functional
  model it wraps; custom layers of the script are registered as layerloom_custom>Name);
- data.npz: the arrays given to fit (x, y, validation, sample weights), named by the model's
  input and output names;
- result.json: compile and fit settings, callbacks, the seed, the source of every class and
  function the script defines that Keras was given, and the problems met.

Then it stops the script (a private exception) and exits 0.  A script that ends, fails or
exits before fit still writes result.json with what went wrong.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import os
import sys
import textwrap
import traceback
import types
from typing import Any

MAX_FOLDS = 100  # app.data.folds.MAX_FOLDS
CUSTOM_PACKAGE = "layerloom_custom"  # what app.compiler.custom_code registers project code as
PROVIDED = {  # names LayerLoom's code namespace gives; these import lines are not carried
    "keras": ("import", "keras", None),
    "ops": ("from", "keras", "ops"),
    "np": ("import", "numpy", None),
}


class _Captured(BaseException):
    """Raised inside the script at its first fit: stops it (not an Exception, so a script's own
    `except Exception` does not swallow it)."""


class Runner:
    def __init__(self, script: str, out_dir: str, max_bytes: int) -> None:
        self.script = os.path.abspath(script)
        self.out_dir = out_dir
        self.max_bytes = max_bytes
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.seed: int | None = None
        self.compiles: dict[int, dict[str, Any]] = {}  # id(model) -> compile arguments
        self.own_compiles: dict[int, dict[str, Any]] = {}  # id(model) -> its own compile's
        self.inits: dict[int, tuple[Any, tuple, dict]] = {}  # id(model) -> (model, args, kwargs)
        self.step_models: dict[str, Any] = {}  # step parameter -> the sub-model given to it
        self.module: types.ModuleType | None = None
        self.result: dict[str, Any] = {"captured": False}
        self.sources: dict[str, str] = {}  # top-level name -> source, from the script's AST
        self.tree: ast.Module | None = None
        self.adapted: set[str] = set()  # names of layers the script adapts before fit
        self.splits: list[dict[str, Any]] = []  # k-fold splits made before fit (_record_split)
        self.fit_lines: list[int] = []  # the script's lines on the stack at the first fit

    # ----- patches --------------------------------------------------------------------------
    def patch(self) -> None:
        import keras

        runner = self
        original_compile = keras.Model.compile

        def compile(model: Any, *args: Any, **kwargs: Any) -> Any:
            runner.watch_folds()
            bound = _bind(original_compile, model, args, kwargs)
            runner.compiles[id(model)] = bound
            return original_compile(model, *args, **kwargs)

        def fit(model: Any, *args: Any, **kwargs: Any) -> Any:
            runner.fit_lines = runner.script_lines()
            runner.capture(model, "fit", _bind(original_fit, model, args, kwargs))
            raise _Captured

        def train_on_batch(model: Any, *args: Any, **kwargs: Any) -> Any:
            bound = _bind(original_tob, model, args, kwargs)
            runner.notes.append(
                "The script trains with train_on_batch in a loop; its first batch was taken as "
                "the data, and the epochs and batch size could not be read from the loop."
            )
            runner.capture(model, "train_on_batch", bound)
            raise _Captured

        original_fit = keras.Model.fit
        original_tob = keras.Model.train_on_batch
        keras.Model.compile = compile
        keras.Model.fit = fit
        keras.Model.train_on_batch = train_on_batch

        original_seed = keras.utils.set_random_seed

        def set_random_seed(seed: Any) -> Any:
            runner.watch_folds()
            if isinstance(seed, int):
                runner.seed = seed
            return original_seed(seed)

        keras.utils.set_random_seed = set_random_seed

        original_new = keras.Model.__new__

        def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
            runner.watch_folds()
            obj = original_new(cls, *args, **kwargs)
            if _is_script_object(cls):  # the script's own model class: keep its arguments
                runner.inits[id(obj)] = (obj, args, kwargs)
                runner.record_own_compile(cls)
            return obj

        keras.Model.__new__ = staticmethod(__new__)
        for cls in vars(keras.layers).values():  # Normalization, TextVectorization, ...
            if isinstance(cls, type) and callable(vars(cls).get("adapt")):
                cls.adapt = _recording_adapt(cls.adapt, self.adapted)
        for cls in vars(keras.callbacks).values():
            if (
                isinstance(cls, type)
                and issubclass(cls, keras.callbacks.Callback)
                and "__init__" in vars(cls)
            ):
                cls.__init__ = _recording_init(cls.__init__)
        if "sklearn" in _script_text(self.script):
            self.patch_sklearn_folds()

    def record_own_compile(self, cls: type) -> None:
        """Wrap the compile a script class defines so that its arguments are recorded."""
        runner = self
        for klass in cls.__mro__:
            own = vars(klass).get("compile")
            if not _is_script_object(klass) or own is None or hasattr(own, "__wrapped__"):
                continue

            def compile(model: Any, *args: Any, _own: Any = own, **kwargs: Any) -> Any:
                runner.own_compiles[id(model)] = _bind(_own, model, args, kwargs)
                return _own(model, *args, **kwargs)

            compile.__wrapped__ = own
            klass.compile = compile

    # ----- k-fold ---------------------------------------------------------------------------
    def watch_folds(self) -> None:
        """Record the calls of the script's `fold_indices` (generated scripts paste LayerLoom's
        app.data.folds.fold_indices(n, folds, seed, shuffle)): called from the Keras calls a
        script makes before its folds are cut (seeding, making a model, compiling)."""
        fn = vars(self.module).get("fold_indices") if self.module is not None else None
        if not inspect.isfunction(fn) or not _is_script_object(fn) or hasattr(fn, "__wrapped__"):
            return
        try:
            params = list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            return
        if params[:4] != ["n", "folds", "seed", "shuffle"]:
            return
        runner = self

        def fold_indices(*args: Any, **kwargs: Any) -> Any:
            parts = fn(*args, **kwargs)
            try:
                bound = inspect.signature(fn).bind(*args, **kwargs)
                bound.apply_defaults()
                a = bound.arguments
                first = list(parts)[0]
                runner.splits.append({
                    "how": "fold_indices", "n": int(a["n"]), "folds": int(a["folds"]),
                    "seed": a["seed"], "shuffle": bool(a["shuffle"]),
                    "train": first[0], "val": first[1],
                })  # fmt: skip
            except Exception:  # noqa: BLE001 - not LayerLoom's folds: not recognised
                pass
            return parts

        fold_indices.__wrapped__ = fn
        self.module.fold_indices = fold_indices

    def patch_sklearn_folds(self) -> None:
        """Record the first fold scikit-learn's k-fold splitters give."""
        try:
            from sklearn import model_selection
        except Exception:  # noqa: BLE001 - not installed or broken: nothing to record
            return
        runner = self
        for name in ("KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold"):
            cls = getattr(model_selection, name, None)
            if cls is None or hasattr(vars(cls).get("split"), "__wrapped__"):
                continue
            original = cls.split

            def split(self: Any, X: Any, *args: Any, _original: Any = original, **kw: Any) -> Any:
                first = True
                for train, val in _original(self, X, *args, **kw):
                    if first:
                        first = False
                        seed = getattr(self, "random_state", None)
                        runner.splits.append({
                            "how": type(self).__name__, "n": len(train) + len(val),
                            "folds": int(self.get_n_splits()),
                            "seed": seed if isinstance(seed, int) else None,
                            "shuffle": bool(getattr(self, "shuffle", False)),
                            "train": train, "val": val,
                        })  # fmt: skip
                    yield train, val

            split.__wrapped__ = original
            cls.split = split

    def script_lines(self) -> list[int]:
        """The script's lines on the call stack, innermost first."""
        out = []
        frame = sys._getframe(1)  # noqa: SLF001
        while frame is not None:
            if frame.f_code.co_filename == self.script:
                out.append(frame.f_lineno)
            frame = frame.f_back
        return out

    def _in_a_loop(self) -> int | None:
        """The line of the fit call when it runs inside a for/while loop of the script."""
        if self.tree is None:
            return None
        loops = [
            (node.lineno, node.end_lineno or node.lineno)
            for node in ast.walk(self.tree)
            if isinstance(node, ast.For | ast.While | ast.AsyncFor)
        ]
        for line in self.fit_lines:
            if any(a <= line <= b for a, b in loops):
                return self.fit_lines[0]
        return None

    def _folds(self, parts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]] | None:
        """The whole data set put back together from the first fold fit trains on (training
        and validation samples in their places), when a k-fold split was made before fit and
        fit's data is its first fold; sets result["kfold"]. None when it is not k-fold."""
        import numpy as np

        if not self.splits:
            at = self._in_a_loop()
            if at is not None:
                self.notes.append(
                    f"fit() is called in a loop (line {at}). If the script trains a model per "
                    "fold, its folds were not recognised (LayerLoom recognises its own "
                    "fold_indices and scikit-learn's KFold, StratifiedKFold and GroupKFold): "
                    "the first fit's data was taken as one training and validation set."
                )
            return None
        split = self.splits[-1]
        if not 2 <= split["folds"] <= MAX_FOLDS:
            self.notes.append(
                f"The script cuts its samples into {split['folds']} folds; LayerLoom's k-fold "
                f"takes 2 to {MAX_FOLDS}, so the first fold was taken as one training and "
                "validation set."
            )
            return None
        train, val = np.asarray(split["train"]), np.asarray(split["val"])
        first = next(iter(parts["x"].values()), None)
        first_val = next(iter(parts["val_x"].values()), None)
        if (
            first is None
            or first_val is None
            or len(first) != len(train)
            or len(first_val) != len(val)
            or split["n"] != len(train) + len(val)
        ):
            self.notes.append(
                f"The script cuts its samples into {split['folds']} folds ({split['how']}), but "
                "fit's training and validation data are not its first fold: they were taken "
                "as one training and validation set, not as k-fold."
            )
            return None
        n = split["n"]

        def whole(a: Any, b: Any) -> Any:
            out = np.empty((n, *a.shape[1:]), dtype=np.result_type(a, b))
            out[train], out[val] = a, b
            return out

        merged: dict[str, dict[str, Any]] = {"x": {}, "y": {}, "w": {}}
        for key in ("x", "y", "w"):
            for name, a in parts[key].items():
                b = parts["val_" + key].get(name)
                if b is None and key == "w":
                    self.notes.append(
                        "The validation samples of the first fold are not weighted; each "
                        "weighs 1 in the project, where every fold weighs its samples."
                    )
                    b = np.ones(len(val), dtype=a.dtype)
                if b is None:
                    self.notes.append(f"The first fold has no validation array for {name}.")
                    return None
                merged[key][name] = whole(a, b)
        kfold = {"folds": split["folds"], "normalization": _fold_normalization(parts["x"])}
        if isinstance(split["seed"], int) and 0 <= split["seed"] < 2**32:
            kfold["seed"] = split["seed"]
        fit_shuffle = self.result.get("fit", {}).get("shuffle", True) is not False
        if split["how"] != "fold_indices":
            # KFold unshuffled, fit unshuffled: LayerLoom's folds are the script's (in order)
            if split["shuffle"] or fit_shuffle or split["how"] != "KFold":
                cut = "shuffled" if split["shuffle"] else "in order"
                self.notes.append(
                    f"The script's {split['how']} cuts the samples {cut} into {split['folds']} "
                    "folds; LayerLoom cuts them its own way (shuffled with the data seed when "
                    "fit shuffles, else in order), so a fold may hold other samples than the "
                    "script's"
                    + (" and is not stratified." if "Stratified" in split["how"] else ".")
                )
        elif split["shuffle"] != fit_shuffle:
            self.notes.append(
                "The script shuffles its folds and fit's batches differently; LayerLoom "
                "shuffles both or neither (as fit does)."
            )
        self.result["kfold"] = kfold
        return merged

    # ----- running the script ---------------------------------------------------------------
    def run(self) -> None:
        with open(self.script, encoding="utf-8") as fh:
            text = fh.read()
        try:
            self.tree = ast.parse(text, self.script)
        except SyntaxError as exc:
            self.problems.append(f"The script does not parse: line {exc.lineno}: {exc.msg}.")
            return
        for node in self.tree.body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                self.sources[node.name] = _segment(text, node)
        module = types.ModuleType("__main__")
        module.__file__ = self.script
        module.__builtins__ = __builtins__
        self.module = module
        sys.modules["__main__"] = module
        sys.argv = [self.script]
        sys.path.insert(0, os.path.dirname(self.script))
        try:
            self.patch()
            exec(compile(text, self.script, "exec"), module.__dict__)  # noqa: S102 - trusted
        except _Captured:
            return
        except SystemExit as exc:
            if not self.result["captured"]:
                self.problems.append(f"The script exited (code {exc.code}) before it trained.")
            return
        except BaseException as exc:  # noqa: BLE001 - the user's script fails in any way
            if not self.result["captured"]:
                self.problems.append(f"The script failed before it trained: {_error(exc)}")
            return
        if not self.result["captured"]:
            self.problems.append(
                "The script ended without calling fit() or train_on_batch(); a custom training "
                "loop (GradientTape) cannot be followed, so there was nothing to take."
            )

    # ----- capturing ------------------------------------------------------------------------
    def capture(self, model: Any, how: str, fit: dict[str, Any]) -> None:
        self.result["captured"] = True
        self.result["how"] = how
        try:
            self._capture(model, how, fit)
        except _Captured:
            raise
        except Exception as exc:  # noqa: BLE001 - report, still write what was taken
            self.problems.append(f"Capturing the training failed: {_error(exc)}")

    def _capture(self, model: Any, how: str, fit: dict[str, Any]) -> None:
        import keras

        out = self.result
        out["seed"] = self.seed
        out["model_class"] = _qualname(type(model))
        step = out["step"] = self._step(model)
        if step is not None and "models" in step:  # fit feeds the step, not the graph
            out["input_names"], out["output_names"] = ["x"], ["y"]
        else:
            out["input_names"] = _input_names(model)
            out["output_names"] = _output_names(model)
        out["code"] = self._code_objects(model)
        out["adapted"] = sorted(self.adapted)
        saved = self._save_model(model, step)
        out["model_file"] = "model.keras" if saved else None
        comp = self.compiles.get(id(model))
        if step is not None and "compile" in step:
            comp = None  # its own compile's arguments are the step's
        out["compile"] = None if comp is None else self._compile(model, comp)
        if how == "fit":
            out["fit"] = self._fit_settings(fit)
            arrays = self._fit_arrays(model, fit)
        else:
            out["fit"] = {}
            arrays = self._batch_arrays(model, fit)
        if arrays:
            path = os.path.join(self.out_dir, "data.npz")
            import numpy as np

            np.savez(path, **arrays)
            out["data_file"] = "data.npz"
            out["arrays"] = {k: [list(v.shape), str(v.dtype)] for k, v in arrays.items()}
        del keras

    def _save_model(self, model: Any, step: dict[str, Any] | None) -> bool:
        import keras

        for name, cls in self._custom_layer_classes(model).items():
            keras.saving.register_keras_serializable(package=CUSTOM_PACKAGE, name=name)(cls)
        target = model
        functional = _is_functional(model)
        if step is not None and "models" in step:
            target = self._graph_of_blocks(model, self.step_models)
            if target is None:
                return False
            functional = False
        elif not isinstance(model, keras.Sequential) and not functional:
            self.problems.append(
                f"The model is a subclassed keras.Model ({type(model).__name__}) whose layers "
                "are not a Functional graph; LayerLoom cannot draw it."
            )
            return False
        if functional and type(model) is not keras.Model:  # a Functional subclass
            target = keras.Model(model.inputs, model.outputs, name=model.name)
            if step is None and _overrides_step(type(model)):
                self.notes.append(
                    f"{type(model).__name__} overrides train_step/test_step; the model was "
                    "taken as its Functional graph."
                )
        if isinstance(model, keras.Sequential) and not model.built:
            self.problems.append("The Sequential model is not built (it has no input shape).")
            return False
        try:
            target.save(os.path.join(self.out_dir, "model.keras"))
        except Exception as exc:  # noqa: BLE001
            self.problems.append(f"The model could not be saved as .keras: {_error(exc)}")
            return False
        return True

    def _custom_layer_classes(self, model: Any) -> dict[str, type]:
        import keras

        out: dict[str, type] = {}
        for layer in _all_layers(model):
            cls = type(layer)
            if _is_script_object(cls) and not isinstance(layer, keras.Model):
                out[cls.__name__] = cls
        return out

    def _code_objects(self, model: Any) -> list[dict[str, Any]]:
        """Layers of the script's own classes in the model (the rest is added where found)."""
        import keras

        seen: dict[str, dict[str, Any]] = {}
        for layer in _all_layers(model):
            cls = type(layer)
            if _is_script_object(cls) and not isinstance(layer, keras.Model):
                self._add_code(seen, cls, "layer")
        if _is_script_object(type(model)) and type(model) is not keras.Model:
            self._add_code(seen, type(model), "step" if _overrides_step(type(model)) else "model")
        self._code = seen
        return list(seen.values())

    def _add_code(self, seen: dict[str, dict[str, Any]], obj: Any, kind: str) -> str | None:
        name = getattr(obj, "__name__", None)
        if not isinstance(name, str):
            return None
        if name in seen:
            return name
        source = self._source_of(obj)
        if source is None:
            self.problems.append(f"The source of {name} could not be read; it is left out.")
            return None
        seen[name] = {
            "name": name,
            "kind": kind,
            "source": source,
            "is_class": inspect.isclass(obj),
        }
        return name

    def _source_of(self, obj: Any) -> str | None:
        """The object's source, with the imports, helpers and constants of the script it uses."""
        name = obj.__name__
        own = self.sources.get(name)
        if own is None:
            try:
                own = textwrap.dedent(inspect.getsource(obj))
            except (OSError, TypeError):
                return None
        return _with_dependencies(own, name, self.tree, self.sources, _script_text(self.script))

    # ----- the training step -----------------------------------------------------------------
    def _step(self, model: Any) -> dict[str, Any] | None:
        """The step of a script class overriding train_step/test_step: {"name"} for a
        Functional subclass; with its own __init__ also "models" (parameter -> sub-model name;
        the sub-models in self.step_models), "args" (the other arguments, plain JSON) and, with
        its own compile, "compile" (its arguments as JSON Keras' getters make again)."""
        import keras

        self.step_models: dict[str, Any] = {}
        cls = type(model)
        if not (_is_script_object(cls) and _overrides_step(cls)):
            return None
        step: dict[str, Any] = {"name": cls.__name__}
        if _is_functional(model):
            return step
        made = self.inits.get(id(model))
        args, kwargs = (made[1], made[2]) if made is not None and made[0] is model else ((), {})
        signature = inspect.signature(cls.__init__)
        try:
            bound = signature.bind(model, *args, **kwargs).arguments
            bound.pop(next(iter(bound)))  # self
        except TypeError:
            bound = dict(kwargs)
        values: dict[str, Any] = {}
        for name, value in bound.items():
            kind = signature.parameters[name].kind if name in signature.parameters else None
            if kind is inspect.Parameter.VAR_KEYWORD:
                values.update(value)
            elif kind is inspect.Parameter.VAR_POSITIONAL:
                if value:
                    self.problems.append(
                        f"{cls.__name__} was given {len(value)} unnamed extra arguments; they "
                        "are left out."
                    )
            else:
                values[name] = value
        step["models"], step["args"] = {}, {}
        for name, value in values.items():
            if isinstance(value, keras.Model):
                self.step_models[name] = value
                step["models"][name] = value.name
                continue
            plain = _plain(value)
            if plain is _NOT_PLAIN:
                self.problems.append(
                    f"{cls.__name__}'s argument '{name}' ({type(value).__name__}) is not a plain "
                    "value or a model; it is left out."
                )
            else:
                step["args"][name] = plain
        own = self.own_compiles.get(id(model))
        if own is not None:
            step["compile"] = {}
            for name, value in own.items():
                taken = self._step_value(cls.__name__, name, value)
                if taken is not _NOT_PLAIN:
                    step["compile"][name] = taken
        if not self.step_models:
            self.problems.append(
                f"{cls.__name__} is given no keras.Model; LayerLoom cannot draw what it trains."
            )
        return step

    def _step_value(self, who: str, name: str, value: Any) -> Any:
        """A compile argument as JSON: an optimizer, loss or metric as {"class_name", "config"}
        with the settings that differ from the class's defaults."""
        import keras

        if isinstance(value, list | tuple):
            items = [self._step_value(who, name, v) for v in value]
            return [v for v in items if v is not _NOT_PLAIN]
        kinds = (keras.optimizers.Optimizer, keras.losses.Loss, keras.metrics.Metric)
        if isinstance(value, kinds) and not _is_script_object(type(value)):
            config = value.get_config()
            try:
                defaults = type(value)().get_config()
            except Exception:  # noqa: BLE001
                defaults = {}
            changed = {
                k: _f32(v) if isinstance(value, keras.optimizers.Optimizer) else v
                for k, v in _json(config).items()
                if k != "name" and not (k in defaults and _json(defaults[k]) == v)
            }
            return {"class_name": type(value).__name__, "config": changed}
        plain = _plain(value)
        if plain is _NOT_PLAIN:
            self.problems.append(
                f"{who}.compile's argument '{name}' ({type(value).__name__}) is not a Keras "
                "optimizer, loss, metric or plain value; it is left out."
            )
        return plain

    def _graph_of_blocks(self, model: Any, subs: dict[str, Any]) -> Any:
        """One Functional model holding the step's sub-models as blocks: the script's own
        model of them when it has one, else the sub-models chained where an output's shape is
        the next one's input's (the order linking most of them; ties: the parameters')."""
        import itertools

        import keras

        blocks: list[Any] = []
        for m in subs.values():
            if not any(m is b for b in blocks):
                blocks.append(m)
        if not blocks:
            return None
        for value in list(vars(self.module).values()) if self.module is not None else []:
            if (
                isinstance(value, keras.Model)
                and type(value).__name__ in ("Functional", "Model")
                and _is_functional(value)
                and all(any(b is layer for layer in _all_layers(value)) for b in blocks)
            ):
                return value
        for b in blocks:
            if not _is_functional(b) and not isinstance(b, keras.Sequential):
                self.problems.append(
                    f"The sub-model {b.name} is a subclassed keras.Model whose layers are not a "
                    "Functional graph; LayerLoom cannot draw it."
                )
                return None

        def shape(t: Any) -> tuple:
            return tuple(t.shape[1:])

        def feeds(a: Any, b: Any) -> int | None:
            if len(b.inputs) != 1:
                return None
            hits = [i for i, t in enumerate(a.outputs) if shape(t) == shape(b.inputs[0])]
            return hits[-1] if hits else None

        def links(order: tuple[int, ...]) -> dict[int, tuple[int, int]]:
            fed: dict[int, tuple[int, int]] = {}
            for j, b in enumerate(order):
                for a in reversed(order[:j]):
                    i = feeds(blocks[a], blocks[b])
                    if i is not None:
                        fed[b] = (a, i)
                        break
            return fed

        n = len(blocks)
        orders = list(itertools.permutations(range(n))) if n <= 5 else [tuple(range(n))]
        best = max(orders, key=lambda o: len(links(o)))
        fed = links(best)
        tensors: dict[int, list[Any]] = {}
        inputs: list[Any] = []
        names: set[str] = set()
        for b in best:
            m = blocks[b]
            if b in fed:
                a, i = fed[b]
                arg = tensors[a][i]
            else:
                ins = []
                for t, name in zip(m.inputs, _input_names(m), strict=False):
                    unique, k = name, 1
                    while unique in names:
                        unique, k = f"{name}_{k}", k + 1
                    names.add(unique)
                    ins.append(keras.Input(shape=t.shape[1:], dtype=t.dtype, name=unique))
                inputs += ins
                arg = ins[0] if len(ins) == 1 else ins
            out = m(arg)
            tensors[b] = list(out) if isinstance(out, list | tuple) else [out]
        feeding = {a for a, _ in fed.values()}
        outs = [t for b in best if b not in feeding for t in tensors[b]]
        return keras.Model(
            inputs[0] if len(inputs) == 1 else inputs,
            outs[0] if len(outs) == 1 else outs,
            name=model.name,
        )

    # ----- compile --------------------------------------------------------------------------
    def _compile(self, model: Any, comp: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        opt = comp.get("optimizer", "rmsprop")
        out["optimizer"] = self._optimizer(opt if opt is not None else model.optimizer)
        out["loss"] = self._structure(comp.get("loss"), "loss")
        out["metrics"] = self._structure(comp.get("metrics"), "metric")
        out["weighted_metrics"] = self._structure(comp.get("weighted_metrics"), "metric")
        out["loss_weights"] = _json(comp.get("loss_weights"))
        jit = comp.get("jit_compile", "auto")
        out["jit_compile"] = jit if isinstance(jit, bool) else "auto"
        for key in ("run_eagerly", "steps_per_execution"):
            if comp.get(key) not in (None, False, 1):
                self.notes.append(f"compile({key}={comp[key]!r}) is not kept.")
        return out

    def _optimizer(self, opt: Any) -> dict[str, Any]:
        import keras

        if isinstance(opt, str):
            opt = keras.optimizers.get(opt)
        d: dict[str, Any] = {"class_name": type(opt).__name__}
        if _is_script_object(type(opt)):
            self.problems.append(
                f"The optimizer is the script's own class {type(opt).__name__}; Adam is used."
            )
            return {"class_name": "Adam", "config": {}}
        config = opt.get_config()
        lr = opt._learning_rate if hasattr(opt, "_learning_rate") else None  # noqa: SLF001
        schedule = lr if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule) else None
        if schedule is not None:
            config.pop("learning_rate", None)
            sched = {"class_name": type(schedule).__name__, "config": _json(schedule.get_config())}
            if _is_script_object(type(schedule)):
                sched["code"] = self._add_code(self._code, type(schedule), "schedule")
            d["schedule"] = sched
        defaults = {}
        try:
            defaults = type(opt)().get_config()
        except Exception:  # noqa: BLE001
            pass
        d["config"] = _json(config)
        d["defaults"] = _json(defaults)
        return d

    def _structure(self, value: Any, kind: str) -> Any:
        """Losses / metrics as given to compile, each described (a dict or list kept as such)."""
        if value is None:
            return None
        if isinstance(value, dict):
            return {"dict": {str(k): self._structure(v, kind) for k, v in value.items()}}
        if isinstance(value, list | tuple):
            return {"list": [self._structure(v, kind) for v in value]}
        return self._describe(value, kind)

    def _describe(self, obj: Any, kind: str) -> dict[str, Any]:
        import keras

        if isinstance(obj, str):
            return {"name": obj}
        cls = obj if inspect.isclass(obj) else type(obj)
        if inspect.isfunction(obj) and _is_script_object(obj):
            return {"code": self._add_code(self._code, obj, kind), "function": True}
        if _is_script_object(cls):
            config = {}
            try:
                config = _json(obj.get_config()) if not inspect.isclass(obj) else {}
            except Exception:  # noqa: BLE001
                pass
            return {"code": self._add_code(self._code, cls, kind), "config": config}
        if inspect.isfunction(obj) or inspect.isbuiltin(obj):
            return {"name": obj.__name__}
        if isinstance(obj, keras.losses.Loss | keras.metrics.Metric):
            try:
                config = _json(obj.get_config())
            except Exception:  # noqa: BLE001
                config = {}
            return {"keras_class": cls.__name__, "config": config, "obj_name": obj.name}
        return {"unknown": repr(obj)[:200]}

    # ----- fit ------------------------------------------------------------------------------
    def _fit_settings(self, fit: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("epochs", "batch_size", "validation_split", "shuffle", "initial_epoch"):
            if key in fit:
                out[key] = _json(fit[key])
        for key in ("steps_per_epoch", "validation_steps", "validation_freq"):
            if fit.get(key) not in (None, 1) or (key == "steps_per_epoch" and fit.get(key)):
                self.notes.append(f"fit({key}={fit[key]!r}) is not kept.")
        cw = fit.get("class_weight")
        out["class_weight"] = (
            None if cw is None else {str(int(k)): float(v) for k, v in dict(cw).items()}
        )
        out["callbacks"] = [self._callback(cb) for cb in (fit.get("callbacks") or [])]
        return out

    def _callback(self, cb: Any) -> dict[str, Any]:
        import keras

        cls = type(cb)
        if _is_script_object(cls):
            name = self._add_code(self._code, cls, "callback")
            return {"code": name, "params": _attribute_args(cb)}
        d: dict[str, Any] = {"class_name": cls.__name__, "module": cls.__module__}
        args, kwargs = getattr(cb, "_layerloom_init", ((), {}))
        try:
            bound = inspect.signature(cls.__init__).bind(cb, *args, **kwargs).arguments
            bound.pop(next(iter(bound)))  # self
        except TypeError:
            bound = dict(kwargs)
        if isinstance(cb, keras.callbacks.LearningRateScheduler):
            fn = bound.pop("schedule", None)
            if fn is not None and _is_script_object(fn):
                d["schedule_code"] = self._add_code(self._code, fn, "schedule")
            elif fn is not None:
                d["schedule_repr"] = repr(fn)[:200]
        d["params"] = {k: _json(v) for k, v in bound.items()}
        return d

    def _fit_arrays(self, model: Any, fit: dict[str, Any]) -> dict[str, Any]:
        x, y, sw = fit.get("x"), fit.get("y"), fit.get("sample_weight")
        if _is_dataset(x):
            taken = self._dataset(x, "training")
            if taken is None:
                return {}
            x, y, sw, batch = taken
            self.result["fit"]["batch_size"] = batch
            self.result["fit"]["shuffle"] = False
        elif not _is_arrays(x):
            self.problems.append(
                f"fit() was given {type(x).__name__} as its data; LayerLoom can take arrays and "
                "finite tf.data datasets only. Connect the data in the Data settings."
            )
            return {}
        arrays: dict[str, Any] = {}
        val = fit.get("validation_data")
        split = fit.get("validation_split") or 0.0
        xs = _named(x, self.result["input_names"], "x")
        ys = _named(y, self.result["output_names"], "y") if y is not None else {}
        sws = self._one_weight(sw, "")
        if val is not None:
            if _is_dataset(val):
                taken = self._dataset(val, "validation")
                vx, vy, vsw = (None, None, None) if taken is None else taken[:3]
            elif isinstance(val, tuple | list) and len(val) in (1, 2, 3):
                vx, vy = val[0], (val[1] if len(val) > 1 else None)
                vsw = val[2] if len(val) == 3 else None
            else:
                self.problems.append("The validation data is not (x, y) arrays; it is left out.")
                vx = vy = vsw = None
            val_sws = self._one_weight(vsw, "validation ")
            val_x = _named(vx, self.result["input_names"], "x") if vx is not None else {}
            val_y = _named(vy, self.result["output_names"], "y") if vy is not None else {}
        elif split:  # as Keras: the last fraction of the samples, before any shuffle
            n = len(next(iter(xs.values())))
            cut = int(n * (1.0 - float(split)))
            val_x = {k: v[cut:] for k, v in xs.items()}
            val_y = {k: v[cut:] for k, v in ys.items()}
            xs = {k: v[:cut] for k, v in xs.items()}
            ys = {k: v[:cut] for k, v in ys.items()}
            val_sws = {k: v[cut:] for k, v in sws.items()}  # Keras weighs them as it splits
            sws = {k: v[:cut] for k, v in sws.items()}
            self.result["fit"]["split_at"] = cut
        else:
            val_x, val_y, val_sws = {}, {}, {}
        if val_x:
            parts = {"x": xs, "y": ys, "w": sws, "val_x": val_x, "val_y": val_y, "val_w": val_sws}
            merged = self._folds(parts)
            if merged is not None:  # k-fold: the whole data set, LayerLoom cuts the folds
                xs, ys, sws = merged["x"], merged["y"], merged["w"]
                val_x, val_y, val_sws = {}, {}, {}
        names = _array_names(self.result["input_names"], self.result["output_names"])
        for k, v in xs.items():
            arrays[names["x"][k]] = v
        for k, v in ys.items():
            arrays[names["y"][k]] = v
        for k, v in val_x.items():
            arrays["val_" + names["x"][k]] = v
        for k, v in val_y.items():
            arrays["val_" + names["y"][k]] = v
        weights = {}
        if sws:
            weights["weights"] = _free_name("sample_weight", arrays)
            arrays[weights["weights"]] = sws["w"]
            if val_sws and val_x:
                weights["weights_val"] = _free_name("val_sample_weight", arrays)
                arrays[weights["weights_val"]] = val_sws["w"]
        elif val_sws:
            self.notes.append(
                "The validation data is weighted and the training data is not; LayerLoom "
                "weighs validation samples only with weighted training samples, so every "
                "validation sample weighs 1."
            )
        self.result["weights"] = weights
        self.result["array_names"] = names
        total = sum(int(getattr(a, "nbytes", 0)) for a in arrays.values())
        if total > self.max_bytes:
            self.problems.append(
                f"The data given to fit is {total / 1e6:.0f} MB, more than LayerLoom copies "
                f"({self.max_bytes / 1e6:.0f} MB); connect it in the Data settings."
            )
            return {}
        return arrays

    def _one_weight(self, sw: Any, what: str) -> dict[str, Any]:
        """{"w": one loss weight per sample} from fit's sample_weight (an array, or one per
        output when they are all the same array), else {} (none, or said why not)."""
        import numpy as np

        if sw is None:
            return {}
        parts = list(sw.values()) if isinstance(sw, dict) else sw
        parts = parts if isinstance(parts, list | tuple) else [parts]
        arrays = [_array(p) for p in parts if p is not None]
        if not arrays:
            return {}
        first = arrays[0]
        if len(arrays) < len(parts) or any(not np.array_equal(a, first) for a in arrays[1:]):
            self.problems.append(
                f"The {what}sample weights differ between the model's outputs; LayerLoom weighs "
                "a sample alike for every output, so they are left out."
            )
            return {}
        if first.ndim == 2 and first.shape[1] == 1:
            first = first.reshape(-1)
        if first.ndim != 1:
            self.problems.append(
                f"The {what}sample weights have shape {first.shape}; LayerLoom takes one weight "
                "per sample, so they are left out."
            )
            return {}
        return {"w": first}

    def _batch_arrays(self, model: Any, bound: dict[str, Any]) -> dict[str, Any]:
        return self._fit_arrays(model, {"x": bound.get("x"), "y": bound.get("y")})

    def _dataset(self, ds: Any, what: str) -> tuple[Any, Any, Any, int] | None:
        import numpy as np
        import tensorflow as tf

        n = int(ds.cardinality())
        if n < 0:
            self.problems.append(
                f"The {what} tf.data.Dataset has no known length (it repeats or is generated); "
                "it is not copied. Connect the data in the Data settings."
            )
            return None
        xs, ys, sws, batch = [], [], [], 0
        total = 0
        for element in ds:
            parts = element if isinstance(element, tuple) else (element,)
            parts = tf.nest.map_structure(lambda t: np.asarray(t), parts)
            xs.append(parts[0])
            ys.append(parts[1] if len(parts) > 1 else None)
            sws.append(parts[2] if len(parts) > 2 else None)
            first = tf.nest.flatten(parts[0])[0]
            batch = batch or len(first)
            total += sum(a.nbytes for a in tf.nest.flatten(parts))
            if total > self.max_bytes:
                self.problems.append(
                    f"The {what} tf.data.Dataset is larger than LayerLoom copies; connect it in "
                    "the Data settings."
                )
                return None
        if not xs:
            self.problems.append(f"The {what} tf.data.Dataset is empty.")
            return None

        def joined(items: list[Any]) -> Any:
            if items[0] is None:
                return None
            return tf.nest.map_structure(lambda *a: np.concatenate(a), *items)

        self.notes.append(
            f"The {what} tf.data.Dataset was copied as arrays ({len(xs)} batches of {batch})."
        )
        return joined(xs), joined(ys), joined(sws), batch

    # ----- output -----------------------------------------------------------------------------
    def write(self) -> None:
        self.result["problems"] = self.problems
        self.result["notes"] = self.notes
        if "code" in self.result:  # code met while reading compile/fit was added afterwards
            self.result["code"] = list(getattr(self, "_code", {}).values())
        path = os.path.join(self.out_dir, "result.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.result, fh, default=_json_default)


# ----- helpers ----------------------------------------------------------------------------------
def _bind(fn: Any, self: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    try:
        bound = inspect.signature(fn).bind(self, *args, **kwargs)
    except TypeError:
        return dict(kwargs)
    out = dict(bound.arguments)
    out.pop(next(iter(out)))
    extra = out.pop("kwargs", None)
    if isinstance(extra, dict):
        out.update(extra)
    return out


def _recording_init(init: Any) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if not hasattr(self, "_layerloom_init"):
            self._layerloom_init = (args, kwargs)
        init(self, *args, **kwargs)

    __init__.__wrapped__ = init
    __init__.__signature__ = inspect.signature(init)
    return __init__


def _recording_adapt(adapt: Any, names: set[str]) -> Any:
    """`adapt` that notes the layer's name first: the project leaves the state of a layer the
    script adapts to each run, which adapts it from its training split as the script does."""

    def recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        names.add(str(self.name))
        return adapt(self, *args, **kwargs)

    return recording


def _is_script_object(obj: Any) -> bool:
    return getattr(obj, "__module__", None) == "__main__"


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_functional(model: Any) -> bool:
    import keras

    return (
        isinstance(model, keras.Model)
        and hasattr(model, "_nodes_by_depth")
        or (type(model).__name__ == "Functional")
    )


def _overrides_step(cls: type) -> bool:
    import keras

    return any(
        getattr(cls, name, None) is not getattr(keras.Model, name)
        for name in ("train_step", "test_step")
    )


def _all_layers(model: Any) -> list[Any]:
    import keras

    out = []
    stack = list(getattr(model, "layers", []))
    while stack:
        layer = stack.pop(0)
        out.append(layer)
        if isinstance(layer, keras.Model):
            stack.extend(layer.layers)
    return out


def _input_names(model: Any) -> list[str]:
    try:
        return [t.name if not hasattr(t, "_keras_history") else t._keras_history[0].name
                for t in model.inputs]  # fmt: skip
    except (AttributeError, ValueError, TypeError):
        return ["x"]


def _output_names(model: Any) -> list[str]:
    try:
        return list(model.output_names)
    except (AttributeError, ValueError, TypeError):
        pass
    try:  # Sequential: the layers that make the outputs
        return [t._keras_history[0].name for t in model.outputs]  # noqa: SLF001
    except (AttributeError, ValueError, TypeError):
        return ["y"]


def _array_names(inputs: list[str], outputs: list[str]) -> dict[str, dict[str, str]]:
    """npz names: inputs by their names, outputs too unless an input has that name."""
    xs = {n: n for n in inputs}
    ys = {n: (f"y_{n}" if n in xs or n.startswith("val_") else n) for n in outputs}
    return {"x": xs, "y": ys}


def _fold_normalization(xs: dict[str, Any]) -> str:
    """ "standard" when the first fold's float training inputs have zero mean and unit
    variance per feature (the script standardised the fold with its own statistics, as
    LayerLoom does per fold), "minmax" when they span 0..1, else "none"."""
    import numpy as np

    floats = [a for a in xs.values() if np.issubdtype(a.dtype, np.floating) and len(a) > 1]
    if not floats:
        return "none"

    def stats(a: Any) -> tuple[Any, ...]:
        axes = tuple(range(a.ndim - 1)) if a.ndim > 2 else (0,)
        a = a.astype("float64")
        return a.mean(axis=axes), a.std(axis=axes), a.min(axis=axes), a.max(axis=axes)

    every = [stats(a) for a in floats]
    if all(
        np.allclose(m, 0, atol=1e-4) and np.all((np.abs(s - 1) < 1e-3) | (s < 1e-6))
        for m, s, _, _ in every
    ):
        return "standard"
    if all(
        np.allclose(lo, 0, atol=1e-6) and np.all((np.abs(hi - 1) < 1e-6) | (hi - lo < 1e-6))
        for _, _, lo, hi in every
    ):
        return "minmax"
    return "none"


def _free_name(name: str, taken: dict[str, Any]) -> str:
    """`name`, or `name_2`, `name_3`, ... when an array already has it."""
    unique, k = name, 2
    while unique in taken:
        unique, k = f"{name}_{k}", k + 1
    return unique


def _is_dataset(x: Any) -> bool:
    mod = type(x).__module__ or ""
    return mod.startswith("tensorflow") and hasattr(x, "cardinality") and hasattr(x, "element_spec")


def _is_arrays(x: Any) -> bool:
    import numpy as np

    if isinstance(x, dict):
        return all(_is_arrays(v) for v in x.values())
    if isinstance(x, list | tuple):
        return all(_is_arrays(v) for v in x)
    return isinstance(x, np.ndarray) or hasattr(x, "numpy") or hasattr(x, "__array__")


def _named(value: Any, names: list[str], what: str) -> dict[str, Any]:

    if isinstance(value, dict):
        return {str(k): _array(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if len(value) != len(names):
            raise ValueError(f"{what} has {len(value)} arrays for {len(names)} model {what}s")
        return {n: _array(v) for n, v in zip(names, value)}
    return {names[0]: _array(value)}


def _array(value: Any) -> Any:
    """`value` as a numpy array; text (a tf.string tensor gives bytes objects) as unicode, which
    an .npz holds without pickling."""
    import numpy as np

    arr = np.asarray(value)
    if arr.dtype.kind in "OS" and arr.size:
        flat = arr.reshape(-1)
        if all(isinstance(v, bytes | str | np.bytes_ | np.str_) for v in flat):
            text = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in flat]
            return np.asarray(text, dtype=str).reshape(arr.shape)
    return arr


def _attribute_args(obj: Any) -> dict[str, Any]:
    """Keyword arguments of a script class instance, read back from same-named attributes."""
    out = {}
    try:
        params = inspect.signature(type(obj).__init__).parameters
    except (TypeError, ValueError):
        return out
    for name, p in params.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if hasattr(obj, name):
            value = _json(getattr(obj, name))
            if value is not None and (p.default is p.empty or value != p.default):
                out[name] = value
    return out


_NOT_PLAIN = object()


def _plain(value: Any) -> Any:
    """`value` as plain JSON (numpy scalars as numbers, tuples as lists), else _NOT_PLAIN."""
    import numpy as np

    def default(v: Any) -> Any:
        if isinstance(v, np.generic):
            return v.item()
        raise TypeError

    try:
        return json.loads(json.dumps(value, default=default, allow_nan=False))
    except (TypeError, ValueError):
        return _NOT_PLAIN


def _f32(value: Any) -> Any:
    """A float read back from a float32 variable, as the short decimal it was written as."""
    import numpy as np

    if not isinstance(value, float):
        return value
    return float(repr(np.float32(value)).removeprefix("np.float32(").removesuffix(")"))


def _segment(text: str, node: ast.AST) -> str:
    """The source of a top-level definition, decorators included."""
    lines = text.splitlines()
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "\n".join(lines[first - 1 : node.end_lineno]) + "\n"


_SCRIPT_TEXT: dict[str, str] = {}


def _script_text(path: str) -> str:
    if path not in _SCRIPT_TEXT:
        with open(path, encoding="utf-8") as fh:
            _SCRIPT_TEXT[path] = fh.read()
    return _SCRIPT_TEXT[path]


def _with_dependencies(
    own: str, name: str, tree: ast.Module | None, sources: dict[str, str], text: str
) -> str:
    """`own` preceded by the script's import lines, helpers and constants that it reads."""
    if tree is None:
        return own
    imports: dict[str, str] = {}
    assigns: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound = (alias.asname or alias.name).split(".")[0]
                if _provided(node, alias, bound):
                    continue
                if isinstance(node, ast.Import):
                    line = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
                else:
                    line = f"from {'.' * node.level}{node.module or ''} import {alias.name}" + (
                        f" as {alias.asname}" if alias.asname else ""
                    )
                imports[bound] = line
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and _is_literal(node.value):
                assigns[target.id] = _segment(text, node)
    needed_imports: list[str] = []
    needed_defs: list[str] = []
    done = {name}
    queue = [own]
    while queue:
        src = queue.pop()
        for used in sorted(_free_names(src)):
            if used in done:
                continue
            done.add(used)
            if used in imports:
                needed_imports.append(imports[used])
            elif used in sources:
                needed_defs.append(sources[used])
                queue.append(sources[used])
            elif used in assigns:
                needed_defs.append(assigns[used])
    if not needed_imports and not needed_defs:
        return own
    head = "\n".join(sorted(set(needed_imports)))
    parts = [head] if head else []
    parts += [d.strip("\n") for d in needed_defs]
    return "\n\n".join(parts) + "\n\n\n" + own


def _provided(node: ast.AST, alias: ast.alias, bound: str) -> bool:
    want = PROVIDED.get(bound)
    if want is None:
        return False
    how, module, attr = want
    if how == "import":
        return isinstance(node, ast.Import) and alias.name == module
    return isinstance(node, ast.ImportFrom) and node.module == module and alias.name == attr


def _is_literal(value: ast.AST) -> bool:
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _free_names(src: str) -> set[str]:
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _json(value: Any) -> Any:
    """A JSON-safe copy of a config value (numpy scalars to numbers, tuples to lists)."""
    try:
        return json.loads(json.dumps(value, default=_json_default))
    except (TypeError, ValueError):
        return repr(value)[:200]


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.size <= 1000:
        return value.tolist()
    if hasattr(value, "numpy"):
        return _json_default(value.numpy())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return repr(value)[:200]


def _error(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    script = os.path.abspath(sys.argv[0]) if sys.argv else ""
    line = next((f.lineno for f in reversed(tb) if f.filename == script), None)
    text = " ".join(str(exc).split())[:300]
    where = f" (line {line})" if line else ""
    return f"{type(exc).__name__}: {text}{where}"


def main(argv: list[str]) -> int:
    script, out_dir, max_bytes = argv[1], argv[2], int(argv[3])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    runner = Runner(script, out_dir, max_bytes)
    try:
        runner.run()
    finally:
        runner.write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
