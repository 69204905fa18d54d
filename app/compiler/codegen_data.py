"""Data loading for generated scripts, written to match app.data step by step.

`read_data()` reads the source with the call its registry entry gives (DataSource.reader): the
reading function of app.data is pasted into the script with what it uses, so the script reads
the data with the app's own code. `load_data()` then applies the sample limit, validation split,
normalisation and x -> x targets with the same random generator calls as
app.data.prepare.load_dataset, and maps the arrays to the model's inputs and outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from app.compiler.codegen_expr import (
    Atom,
    Call,
    DictDisplay,
    Expr,
    Names,
    Seq,
    flat,
    literal,
    render,
)
from app.compiler.codegen_source import CustomSource
from app.data.compat import resolve_names
from app.data.dataset import DataConfig, DataError
from app.data.folds import fold_indices
from app.data.prepare import source_options
from app.data.source import SOURCES, ReaderCall

Import = tuple[str, str | None, str | None]


class DataCode:
    """The read_data / read_validation_data / load_data functions for one DataConfig.

    The reading functions pasted with them reserve their names in `names`, the script's global
    scope, so that no layer variable takes them.
    """

    def __init__(
        self,
        model: Any,
        config: DataConfig,
        fn: dict[str, str],
        names: Names,
        fold_shuffle: bool = True,
        as_is: bool = False,
    ) -> None:
        self.model = model
        self.as_is = as_is  # the arrays as they are (a training step of sub-models takes them)
        self.config = config
        self.fold_shuffle = fold_shuffle  # the training's shuffle: k-fold parts follow it
        self.fn = fn
        self.imports: list[Import] = []
        self.functions: list[list[str]] = []
        self.readers: list[Callable[..., dict[str, Any]]] = []  # app.data functions to paste
        self.output_map = dict(config.output_map)
        reader = _Reader(self, model, config.seed)
        call = reader.write(fn["read_data"], config.source, config.options)
        # Sample weights (a column or array the data settings name): fit's sample_weight.
        self.weighted = bool(call.kwargs.get("weights"))
        self.reads_val_weights = bool(call.kwargs.get("weights_val"))  # its own validation's
        x_names, y_names = list(call.x_names), list(call.y_names)
        self.val_weighted = False
        if config.validation == "separate":
            vs = config.validation_source or {}
            if not vs.get("source"):
                raise DataError("Choose the separate validation data in the data settings.")
            val_call = reader.write(
                fn["read_validation_data"], vs["source"], vs.get("options") or {}
            )
            self.val_reads_weights = bool(val_call.kwargs.get("weights"))
            self.val_reads_own_val_weights = bool(val_call.kwargs.get("weights_val"))
            self.val_weighted = self.weighted and self.val_reads_weights
        if config.validation == "source" and not call.has_validation:
            title = SOURCES[config.source].title
            raise DataError(f"'{title}' has no test set of its own; choose a validation split.")
        if config.target == "inputs":
            y_names = list(x_names)
        self.has_targets = bool(y_names)
        self.has_validation = config.validation in ("source", "separate", "kfold") or (
            config.validation == "split" and config.validation_split > 0
        )
        if config.validation == "kfold":  # the app's own split, pasted as it is
            self.readers.append(fold_indices)
        self.functions.append(self._load_data(x_names, y_names))
        self._paste_readers(names)

    def _paste_readers(self, names: Names) -> None:
        """Put the reading functions (and the names they use) first; keep layers off them."""
        pasted = CustomSource(self.readers)
        from_app = [m for m, _, _ in pasted.imports if m == "app" or m.startswith("app.")]
        if from_app:
            raise DataError(f"The data reading code imports {from_app[0]}; a script cannot.")
        bound = pasted.bound_names()
        imported = {alias or n or m.split(".")[0] for m, n, alias in pasted.imports}
        clash = sorted((bound & names.taken) - imported)
        if clash:
            raise DataError(
                f"The project's code already uses the name '{clash[0]}', which the script "
                f"needs for reading the data; rename it."
            )
        names.taken |= bound
        self.imports += [i for i in pasted.imports if i not in self.imports]
        self.functions[:0] = pasted.definitions()

    def sample(self) -> Any:
        """A few samples of the data (for default losses), when the source reads quickly; None
        for downloads and folders of files, or when the data cannot be read."""
        from app.data.prepare import load_dataset
        from app.errors import LayerLoomError

        if not SOURCES[self.config.source].reads_quickly:
            return None
        cfg = DataConfig.from_dict({**self.config.to_dict(), "max_samples": 64})
        try:
            return load_dataset(cfg, self.model)
        except (LayerLoomError, OSError, ValueError):
            return None

    # ----- load_data --------------------------------------------------------------------------
    def _load_data(self, x_names: list[str], y_names: list[str]) -> list[str]:
        c, fn = self.config, self.fn
        weighted, kfold = self.weighted, c.validation == "kfold"
        what = "(x, y, sample_weight)" if weighted else "(x, y)"
        lines = [
            f"def {fn['load_data']}({'fold=0' if kfold else ''}):",
            f'    """({what}, validation_data) of k-fold part `fold`, as LayerLoom prepares them."""'
            if kfold
            else f'    """({what}, validation_data) for fit, prepared as LayerLoom prepares them."""',
            f"    x, y, x_val, y_val{', w' if weighted else ''}"
            f"{', w_val' if self.reads_val_weights else ''} = {fn['read_data']}()",
        ]
        split = c.validation == "split" and c.validation_split > 0
        if weighted:
            own_val_weights = c.validation == "source" and self.reads_val_weights
            self.has_validation_weights = split or kfold or self.val_weighted or own_val_weights
        if c.max_samples or split:  # the same generator calls as load_dataset
            lines.append(f"    rng = np.random.default_rng({c.seed})")
        if c.max_samples or split or kfold:
            lines.append("    n = len(next(iter(x.values())))")
        if c.max_samples:
            lines += [
                f"    if n > {c.max_samples}:",
                f"        keep = np.sort(rng.permutation(n)[:{c.max_samples}])",
                "        x = {k: v[keep] for k, v in x.items()}",
                "        y = {k: v[keep] for k, v in y.items()}",
                *(["        w = w[keep]"] if weighted else []),
                f"        n = {c.max_samples}",
            ]
        if c.validation == "separate":
            rest = ", w_val" if self.val_reads_weights else ""
            rest += ", _" if self.val_reads_own_val_weights else ""
            lines.append(f"    x_val, y_val, _, _{rest} = {fn['read_validation_data']}()")
        elif kfold:
            lines += [
                f"    train_idx, val_idx = {fold_indices.__name__}(n, {c.folds}, {c.seed}, "
                f"shuffle={self.fold_shuffle!r})[fold]",
                "    x_val = {k: v[val_idx] for k, v in x.items()}",
                "    y_val = {k: v[val_idx] for k, v in y.items()}",
                "    x = {k: v[train_idx] for k, v in x.items()}",
                "    y = {k: v[train_idx] for k, v in y.items()}",
                *(["    w_val, w = w[val_idx], w[train_idx]"] if weighted else []),
            ]
        elif split:
            lines += [
                "    order = rng.permutation(n)",
                f"    n_val = round(n * {c.validation_split!r})",
                "    val_idx, train_idx = order[:n_val], order[n_val:]",
                "    x_val = {k: v[val_idx] for k, v in x.items()}",
                "    y_val = {k: v[val_idx] for k, v in y.items()}",
                "    x = {k: v[train_idx] for k, v in x.items()}",
                "    y = {k: v[train_idx] for k, v in y.items()}",
                *(["    w_val, w = w[val_idx], w[train_idx]"] if weighted else []),
            ]
        elif c.validation != "source":
            lines.append("    x_val = y_val = None")
        if c.normalization != "none":
            if c.normalization == "standard":
                stats = [
                    "shift = arr.mean(axis=axes, keepdims=True)",
                    "scale = arr.std(axis=axes, keepdims=True)",
                ]
            else:
                stats = [
                    "shift = arr.min(axis=axes, keepdims=True)",
                    "scale = arr.max(axis=axes, keepdims=True) - shift",
                ]
            lines += [
                "    for name, arr in list(x.items()):  # float inputs, training statistics",
                "        if not np.issubdtype(arr.dtype, np.floating):",
                "            continue",
                "        axes = tuple(range(arr.ndim - 1)) if arr.ndim > 2 else (0,)",
                *[f"        {s}" for s in stats],
                "        scale = np.where(scale > 1e-12, scale, 1.0)",
                '        x[name] = ((arr - shift) / scale).astype("float32")',
                "        if x_val is not None and name in x_val:",
                '            x_val[name] = ((x_val[name] - shift) / scale).astype("float32")',
            ]
        if c.target == "inputs":
            lines += [
                '    y = {k: v.astype("float32") for k, v in x.items()}  # reconstruct the inputs',
                '    y_val = None if x_val is None else {k: v.astype("float32") for k, v in '
                "x_val.items()}",
            ]
        lines += self._mapping(x_names, y_names)
        return lines

    def _mapping(self, x_names: list[str], y_names: list[str]) -> list[str]:
        """model_arrays(): the model's inputs / targets by name, as app.data.compat maps them."""
        if self.as_is:
            val_w = "w_val" if getattr(self, "has_validation_weights", False) else None
            return _arrays_as_they_are(self.weighted, val_w)
        model, problems = self.model, []
        ins = [(t.name, str(t.dtype)) for t in model.inputs]
        outs = list(model.output_names)
        fake = {n: np.zeros((0,)) for n in x_names}
        xmap = resolve_names("Input", [n for n, _ in ins], fake, self.config.input_map, problems)
        fake = {n: np.zeros((0,)) for n in y_names}
        ymap = resolve_names("Output", outs, fake, self.output_map, problems)
        if [n for n, _ in ins if n not in xmap]:
            raise DataError(" ".join(problems).replace(" (0,)", ""))
        shapes = {t.name: tuple(t.shape) for t in model.inputs}
        xs = [_input_expr(xmap[n], d, shapes[n]) for n, d in ins]
        if any(d == "string" for _, d in ins):
            self.imports.append(("tensorflow", None, "tf"))
        x_expr: Expr = (
            xs[0] if len(xs) == 1 else DictDisplay([(literal(n), e) for (n, _), e in zip(ins, xs)])
        )
        ys = [Atom(f"ys[{q(ymap[n])}]" if n in ymap else "None") for n in outs]
        y_expr: Expr = Atom("None") if not ymap else ys[0] if len(ys) == 1 else Seq(ys)
        out = ["", "    def model_arrays(xs, ys):"]
        out += render(Seq([x_expr, y_expr], tuple_=True), "        ", "return ")
        if not self.weighted:
            return [
                *out,
                "",
                "    validation = None if x_val is None else model_arrays(x_val, y_val or {})",
                "    return model_arrays(x, y), validation",
            ]
        val_w = "w_val" if getattr(self, "has_validation_weights", False) else None
        return [
            *out,
            "",
            "    validation = None if x_val is None else model_arrays(x_val, y_val or {})",
            *(
                [
                    "    if validation is not None:  # weighted as its samples are",
                    f"        validation = (*validation, {val_w})",
                ]
                if val_w
                else []
            ),
            "    return (*model_arrays(x, y), w), validation",
        ]


def _input_expr(array: str, dtype: str, shape: tuple) -> Atom:
    """The array for one model input: numbers cast to its dtype; text (a numpy array of str,
    which Keras does not take) as a tf.string tensor of one string per sample."""
    if dtype != "string":
        return Atom(f'xs[{q(array)}].astype("{dtype}")')
    column = ".reshape(-1, 1)" if len(shape) == 2 else ".reshape(-1)"
    return Atom(f"tf.constant(xs[{q(array)}].astype(str){column})")


def _arrays_as_they_are(weighted: bool = False, val_w: str | None = None) -> list[str]:
    """model_arrays() for a training step of sub-models (app.training.step_model.step_arrays);
    with sample weights, (x, y, w) and validation (x, y or None, w_val) as the Trainer fits."""
    if weighted:
        tail = [
            "",
            "    validation = None if x_val is None else model_arrays(x_val, y_val)",
            *(
                [
                    "    if validation is not None:  # weighted as its samples are",
                    f"        validation = (*validation, {val_w})",
                ]
                if val_w
                else [
                    "    if validation is not None and validation[1] is None:",
                    "        validation = validation[:1]",
                ]
            ),
            "    return (*model_arrays(x, y), w), validation",
        ]
    else:
        tail = [
            "",
            "    validation = None if x_val is None else model_arrays(x_val, y_val)",
            "    if validation is not None and validation[1] is None:",
            "        validation = validation[:1]",
            "    return model_arrays(x, y), validation",
        ]
    return [
        "",
        "    def model_arrays(xs, ys):",
        '        """The arrays as they are: one alone, else by name; float ones as float32."""',
        "",
        "        def as_float32(v):",
        '            return v.astype("float32") if v.dtype in (np.float16, np.float64, bool) else v',
        "",
        "        xs = {k: as_float32(v) for k, v in xs.items()}",
        "        ys = {k: as_float32(v) for k, v in (ys or {}).items()}",
        "        x = next(iter(xs.values())) if len(xs) == 1 else xs",
        "        y = None if not ys else next(iter(ys.values())) if len(ys) == 1 else ys",
        "        return x, y",
        *tail,
    ]


class _Reader:
    """Writes one read function per source: a call of the source's reading function."""

    def __init__(self, owner: DataCode, model: Any, seed: int) -> None:
        self.owner = owner
        self.model = model
        self.seed = seed

    def write(self, name: str, source_id: str, options: dict[str, Any]) -> ReaderCall:
        src = SOURCES[source_id]
        call = src.reader(source_options(src, options, self.seed), self.model)
        if call.function not in self.owner.readers:
            self.owner.readers.append(call.function)
        body: list[str] = []
        kwargs: list[tuple[str, Expr]] = []
        for key, value in call.kwargs.items():
            if isinstance(value, str) and len(value) > 60:  # a long path: split over lines
                body += _string(key, value)
                kwargs.append((key, Atom(key)))
            else:
                kwargs.append((key, literal(value)))
        body += render(Call(Atom(call.function.__name__), kwargs=kwargs), "    ", "data = ")
        ret = 'data["x"], data["y"], data.get("x_val"), data.get("y_val")'
        if call.kwargs.get("weights"):
            body.append('    weights = data["sample_weight"].astype("float32")')
            ret += ", weights"
        if call.kwargs.get("weights_val"):
            body.append('    weights_val = data["sample_weight_val"].astype("float32")')
            ret += ", weights_val"
        body.append(f"    return {ret}")
        doc = f'    """{_doc(src.title)}: named arrays x, y, x_val, y_val."""'
        if len(doc) > 100:
            doc = '    """The data as named arrays: x, y, x_val, y_val."""'
        self.owner.functions.append([f"def {name}():", doc, *body])
        return call


def _string(name: str, text: str) -> list[str]:
    """`name = "text"` inside a function, split into adjacent literals when it is long."""
    line = f"    {name} = {q(text)}"
    if len(line) <= 100:
        return [line]
    parts = [text[i : i + 70] for i in range(0, len(text), 70)]
    return [f"    {name} = (", *[f"        {q(p)}" for p in parts], "    )"]


def _doc(title: str) -> str:
    return title.replace('"', "'").replace("\\", "/")


def q(value: Any) -> str:
    """A plain value as Python source on one line."""
    return flat(literal(value))
