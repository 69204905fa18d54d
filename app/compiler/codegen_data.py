"""Data loading for generated scripts, written to match app.data step by step.

`read_data()` reads the source (bundled scikit-learn data, keras.datasets, CSV, NumPy, image
folders, synthetic data shaped like the model) into named arrays; `load_data()` then applies
the sample limit, validation split, normalisation and x -> x targets with the same random
generator calls as app.data.prepare.load_dataset, and maps the arrays to the model's inputs and
outputs.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from app.compiler.codegen_expr import Atom, DictDisplay, Expr, Seq, flat, literal, render
from app.data.compat import resolve_names
from app.data.dataset import DataConfig, DataError
from app.data.source import SOURCES

Import = tuple[str, str | None, str | None]


class DataCode:
    """The read_data / read_validation_data / load_data functions for one DataConfig."""

    def __init__(self, model: Any, config: DataConfig, fn: dict[str, str]) -> None:
        self.model = model
        self.config = config
        self.fn = fn
        self.imports: list[Import] = []
        self.functions: list[list[str]] = []
        self.output_map = dict(config.output_map)
        src = SOURCES[config.source]
        reader = _Reader(self, model, config.seed)
        x_names, y_names = reader.write(fn["read_data"], config.source, config.options)
        if config.validation == "separate":
            vs = config.validation_source or {}
            if not vs.get("source"):
                raise DataError("Choose the separate validation data in the data settings.")
            reader.write(fn["read_validation_data"], vs["source"], vs.get("options") or {})
        if config.validation == "source" and not src.has_test_set:
            raise DataError(f"'{src.title}' has no test set of its own; choose a validation split.")
        if config.target == "inputs":
            y_names = list(x_names)
        self.has_validation = config.validation in ("source", "separate") or (
            config.validation == "split" and config.validation_split > 0
        )
        self.functions.append(self._load_data(x_names, y_names))

    def sample(self) -> Any:
        """A few samples of the data (for default losses), when reading them is quick and local;
        None for downloads and image folders, or when the data cannot be read."""
        from app.data.prepare import load_dataset
        from app.errors import LayerLoomError

        src = SOURCES[self.config.source]
        if src.kind == "keras" or self.config.source == "image_folder":
            return None
        cfg = DataConfig.from_dict({**self.config.to_dict(), "max_samples": 64})
        try:
            return load_dataset(cfg, self.model)
        except (LayerLoomError, OSError, ValueError):
            return None

    def _import(self, imp: Import) -> None:
        if imp not in self.imports:
            self.imports.append(imp)

    # ----- load_data --------------------------------------------------------------------------
    def _load_data(self, x_names: list[str], y_names: list[str]) -> list[str]:
        c, fn = self.config, self.fn
        lines = [
            f"def {fn['load_data']}():",
            '    """((x, y), validation_data) for fit, prepared as LayerLoom prepares them."""',
            f"    x, y, x_val, y_val = {fn['read_data']}()",
            f"    rng = np.random.default_rng({c.seed})",
            "    n = len(next(iter(x.values())))",
        ]
        if c.max_samples:
            lines += [
                f"    if n > {c.max_samples}:",
                f"        keep = np.sort(rng.permutation(n)[:{c.max_samples}])",
                "        x = {k: v[keep] for k, v in x.items()}",
                "        y = {k: v[keep] for k, v in y.items()}",
                f"        n = {c.max_samples}",
            ]
        if c.validation == "separate":
            lines.append(f"    x_val, y_val, _, _ = {fn['read_validation_data']}()")
        elif c.validation == "split" and c.validation_split > 0:
            lines += [
                "    order = rng.permutation(n)",
                f"    n_val = round(n * {c.validation_split!r})",
                "    val_idx, train_idx = order[:n_val], order[n_val:]",
                "    x_val = {k: v[val_idx] for k, v in x.items()}",
                "    y_val = {k: v[val_idx] for k, v in y.items()}",
                "    x = {k: v[train_idx] for k, v in x.items()}",
                "    y = {k: v[train_idx] for k, v in y.items()}",
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
        model, problems = self.model, []
        ins = [(t.name, str(t.dtype)) for t in model.inputs]
        outs = list(model.output_names)
        fake = {n: np.zeros((0,)) for n in x_names}
        xmap = resolve_names("Input", [n for n, _ in ins], fake, self.config.input_map, problems)
        fake = {n: np.zeros((0,)) for n in y_names}
        ymap = resolve_names("Output", outs, fake, self.output_map, problems)
        if [n for n, _ in ins if n not in xmap]:
            raise DataError(" ".join(problems).replace(" (0,)", ""))
        xs = [Atom(f'xs[{q(xmap[n])}].astype("{d}")') for n, d in ins]
        x_expr: Expr = (
            xs[0] if len(xs) == 1 else DictDisplay([(literal(n), e) for (n, _), e in zip(ins, xs)])
        )
        ys = [Atom(f"ys[{q(ymap[n])}]" if n in ymap else "None") for n in outs]
        y_expr: Expr = Atom("None") if not ymap else ys[0] if len(ys) == 1 else Seq(ys)
        out = ["", "    def model_arrays(xs, ys):"]
        out += render(Seq([x_expr, y_expr], tuple_=True), "        ", "return ")
        out += [
            "",
            "    validation = None if x_val is None else model_arrays(x_val, y_val or {})",
            "    return model_arrays(x, y), validation",
        ]
        return out


class _Reader:
    """Writes one read function per source; returns the array names it yields."""

    def __init__(self, owner: DataCode, model: Any, seed: int) -> None:
        self.owner = owner
        self.model = model
        self.seed = seed
        self.raw: dict[str, Any] = {}

    def write(self, name: str, source_id: str, options: dict[str, Any]) -> tuple[list, list]:
        src = SOURCES[source_id]
        self.raw = options
        opts = {o.name: options.get(o.name, o.default) for o in src.options}
        opts.update({k: v for k, v in options.items() if k not in opts})
        if source_id.startswith("sklearn."):
            body, names = self._sklearn(src, opts)
        elif source_id.startswith("keras."):
            body, names = self._keras(src, opts)
        elif source_id == "numpy":
            body, names = self._numpy(opts)
        elif source_id == "csv":
            body, names = self._csv(opts)
        elif source_id == "image_folder":
            body, names = self._images(opts)
        elif source_id == "synthetic":
            body, names = self._synthetic(opts)
        else:
            raise DataError(f"The data source '{source_id}' cannot be written as Python yet.")
        doc = f'    """{_doc(src.title)}: named arrays x, y, x_val, y_val."""'
        if len(doc) > 100:
            doc = '    """The data as named arrays: x, y, x_val, y_val."""'
        self.owner.functions.append([f"def {name}():", doc, *body])
        return names

    def _sklearn(self, src: Any, o: dict) -> tuple[list[str], tuple]:
        lines = [
            "    from sklearn import datasets",
            "",
            f"    bunch = datasets.{src.loader}()",
            '    x = bunch.data.astype("float32")',
        ]
        if src.loader == "load_digits" and o.get("scale"):
            lines.append("    x = x / 16.0  # pixel values 0..16 -> 0..1")
        if src.images:
            lines.append("    x = x.reshape(-1, 8, 8, 1)")
        if src.task == "classification":
            lines.append('    y = bunch.target.astype("int64")')
        else:
            lines.append('    y = bunch.target.astype("float32").reshape(-1, 1)')
        lines.append('    return {"x": x}, {"y": y}, None, None')
        return lines, (["x"], ["y"])

    def _keras(self, src: Any, o: dict) -> tuple[list[str], tuple]:
        args = "" if src.image else f"num_words={int(o['num_words'])}"
        lines = [f"    (x, y), (x_test, y_test) = keras.datasets.{src.name}.load_data({args})"]
        if src.image:
            lines += [
                "    if x.ndim == 3:  # one grey channel",
                "        x, x_test = x[..., None], x_test[..., None]",
            ]
            if o.get("scale"):
                lines.append(
                    '    x, x_test = x.astype("float32") / 255.0, x_test.astype("float32") / 255.0'
                )
        else:
            m = int(o["maxlen"])
            lines.append(f'    x = keras.utils.pad_sequences(x, maxlen={m}, dtype="int32")')
            lines.append(
                f'    x_test = keras.utils.pad_sequences(x_test, maxlen={m}, dtype="int32")'
            )
        lines += [
            '    y, y_test = y.reshape(-1).astype("int64"), y_test.reshape(-1).astype("int64")',
            '    return {"x": x}, {"y": y}, {"x": x_test}, {"y": y_test}',
        ]
        return lines, (["x"], ["y"])

    def _numpy(self, o: dict) -> tuple[list[str], tuple]:
        path = str(o.get("path") or "")
        if not path:
            raise DataError("Choose a NumPy file in the data settings.")
        if path.endswith(".npy"):
            lines = [*_string("path", path), '    x = {"x": np.load(path, allow_pickle=False)}']
            y_path = o.get("y_path")
            if y_path:
                lines += _string("y_path", str(y_path))
                lines.append('    y = {"y": np.load(y_path, allow_pickle=False)}')
            else:
                lines.append("    y = {}")
            return [*lines, "    return x, y, None, None"], (["x"], ["y"] if y_path else [])
        names = {k: _names(o.get(k)) for k in ("x", "y", "x_val", "y_val")}
        keys = _npz_keys(path)
        if not self.raw.get("y") and keys is not None:  # default targets only when present
            names["y"] = [v for v in names["y"] if v in keys]

        def pick(arrays: list[str], as_names: list[str]) -> str:
            items = [f"{q(a)}: data[{q(b)}]" for a, b in zip(as_names, arrays)]
            return "{" + ", ".join(items) + "}" if arrays else "None"

        lines = [
            *_string("path", path),
            "    with np.load(path, allow_pickle=False) as data:",
            *_assign("x", pick(names["x"], names["x"])),
            *_assign("y", pick(names["y"], names["y"]) if names["y"] else "{}"),
            *_assign("x_val", pick(names["x_val"], names["x"])),
            *_assign("y_val", pick(names["y_val"], names["y"])),
            "    return x, y, x_val, y_val",
        ]
        return lines, (names["x"], names["y"])

    def _csv(self, o: dict) -> tuple[list[str], tuple]:
        path = str(o.get("path") or "")
        if not path:
            raise DataError("Choose a CSV file in the data settings.")
        delimiter = o.get("delimiter") or _sniff(path)
        onehot = o.get("categorical", "onehot") == "onehot"
        lines = [
            "    import csv",
            "",
            *_string("path", path),
            '    with open(path, encoding="utf-8-sig", newline="") as f:',
            f"        rows = [r for r in csv.reader(f, delimiter={q(delimiter)}) "
            "if any(c.strip() for c in r)]",
            '    header = [h.strip() or f"column_{i}" for i, h in enumerate(rows[0])]',
            "    cols = {h: [r[i].strip() for r in rows[1:]] for i, h in enumerate(header)}",
            f"    target = {q(o['target'])}" if o.get("target") else "    target = header[-1]",
            *(
                render(literal(list(o["features"])), "    ", "features = ")
                if o.get("features")
                else ["    features = [h for h in header if h != target]"]
            ),
            '    missing = {"", "na", "nan", "null", "none", "?", "n/a"}',
            "    keep = [i for i, v in enumerate(cols[target]) if v.lower() not in missing]",
            "    cols = {h: [c[i] for i in keep] for h, c in cols.items()}",
            "",
            "    def numbers(values):",
            "        try:",
            "            return np.array([np.nan if v.lower() in missing else float(v) "
            "for v in values])",
            "        except ValueError:",
            "            return None",
            "",
            "    blocks = []",
            "    for name in features:",
            "        nums = numbers(cols[name])",
            "        if nums is not None:  # numbers: missing values get the mean",
            "            nums[np.isnan(nums)] = np.nanmean(nums)",
            "            blocks.append(nums.reshape(-1, 1))",
            "            continue",
            "        present = [v for v in cols[name] if v.lower() not in missing]",
            "        cats = sorted(set(present))",
            "        mode = max(cats, key=present.count)  # text: missing values get the most common",
            "        codes = np.array([cats.index(mode if v.lower() in missing else v) "
            "for v in cols[name]])",
            (
                "        blocks.append(np.eye(len(cats))[codes])"
                if onehot
                else '        blocks.append(codes.reshape(-1, 1).astype("float32"))'
            ),
            '    x = np.concatenate(blocks, axis=1).astype("float32")',
            "    nums = numbers(cols[target])",
        ]
        task = o.get("task", "auto")
        if task == "auto":
            lines += [
                "    integral = nums is not None and bool(np.all(np.mod(nums, 1) == 0))",
                "    few = len(set(cols[target])) <= max(20, len(cols[target]) // 50)",
                '    task = "classification" if nums is None or (integral and few) else "regression"',
            ]
        else:
            lines.append(f"    task = {q(task)}")
        lines += [
            '    if task == "regression":',
            '        y = nums.astype("float32").reshape(-1, 1)',
            "    elif nums is not None:",
            "        classes = sorted(set(nums.tolist()))",
            '        y = np.array([classes.index(v) for v in nums.tolist()], dtype="int64")',
            "    else:",
            "        classes = sorted(set(cols[target]))",
            '        y = np.array([classes.index(v) for v in cols[target]], dtype="int64")',
            '    return {"x": x}, {"y": y}, None, None',
        ]
        return lines, (["x"], ["y"])

    def _images(self, o: dict) -> tuple[list[str], tuple]:
        size = tuple(o.get("image_size") or (64, 64))
        lines = [
            *_string("folder", str(o.get("path") or "")),
            "    ds = keras.utils.image_dataset_from_directory(",
            "        folder,",
            '        labels="inferred",',
            '        label_mode="int",',
            "        batch_size=None,",
            f"        image_size={size!r},",
            f"        color_mode={q(o.get('color_mode') or 'rgb')},",
            "        shuffle=False,",
            "        verbose=False,",
            "    )",
            "    pairs = list(ds.as_numpy_iterator())",
            '    x = np.stack([img for img, _ in pairs]).astype("float32")',
        ]
        if o.get("scale", True):
            lines.append("    x /= 255.0")
        lines += [
            '    y = np.array([label for _, label in pairs], dtype="int64")',
            '    return {"x": x}, {"y": y}, None, None',
        ]
        return lines, (["x"], ["y"])

    def _synthetic(self, o: dict) -> tuple[list[str], tuple]:
        """Random arrays with the random calls of app.data.synthetic.synthetic_dataset."""
        from app.data.synthetic import FREE_DIM, input_vocab, output_activation

        n = o.get("num_samples", 512)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise DataError("The number of synthetic samples must be a whole number >= 1.")
        seed = int(o.get("seed", self.seed))

        def shape(t: Any, drop_last: bool = False) -> str:
            dims = [FREE_DIM if d is None else int(d) for d in tuple(t.shape)[1:]]
            if drop_last:
                dims = dims[:-1]
            return "(" + ", ".join(["n", *map(str, dims)]) + ("," if not dims else "") + ")"

        xs, ys = [], []
        for t in self.model.inputs:
            dtype = str(t.dtype)
            if "int" in dtype:
                vocab = input_vocab(self.model, t.name) or 100
                expr = f'rng.integers(0, {vocab}, size={shape(t)}).astype("{dtype}")'
            elif dtype == "bool":
                expr = f"rng.random({shape(t)}) < 0.5"
            else:
                expr = f'rng.standard_normal({shape(t)}).astype("{dtype}")'
            xs.append((t.name, expr))
        for name, t in zip(self.model.output_names, self.model.outputs):
            act = output_activation(self.model, t)
            if act == "softmax":
                units = int(t.shape[-1])
                ids = f"rng.integers(0, {units}, size={shape(t, True)})"
                expr = (
                    f'{ids}.astype("int64")'
                    if o.get("labels", "sparse") == "sparse"
                    else f'np.eye({units}, dtype="float32")[{ids}]'
                )
            elif act == "sigmoid":
                expr = f'(rng.random({shape(t)}) < 0.5).astype("float32")'
            else:
                expr = f'rng.standard_normal({shape(t)}).astype("float32")'
            ys.append((name, expr))
        lines = [f"    rng = np.random.default_rng({seed})", f"    n = {n}"]
        for var, items in (("x", xs), ("y", ys)):
            lines.append(f"    {var} = {{")
            lines += [f"        {q(k)}: {e}," for k, e in items]
            lines.append("    }")
        lines.append("    return x, y, None, None")
        return lines, ([k for k, _ in xs], [k for k, _ in ys])


def _string(name: str, text: str) -> list[str]:
    """`name = "text"` inside a function, split into adjacent literals when it is long."""
    line = f"    {name} = {q(text)}"
    if len(line) <= 100:
        return [line]
    parts = [text[i : i + 70] for i in range(0, len(text), 70)]
    return [f"    {name} = (", *[f"        {q(p)}" for p in parts], "    )"]


def _assign(name: str, expr: str) -> list[str]:
    line = f"        {name} = {expr}"
    if len(line) <= 100 or not expr.startswith("{"):
        return [line]
    items = expr[1:-1].split(", ")
    return [f"        {name} = {{", *[f"            {i}," for i in items], "        }"]


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def _npz_keys(path: str) -> list[str] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            return list(data.files)
    except (OSError, ValueError):
        return None


def _sniff(path: str) -> str:
    try:
        head = Path(path).read_text(encoding="utf-8-sig")[:4096]
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except (OSError, UnicodeDecodeError, csv.Error):
        return ","


def _doc(title: str) -> str:
    return title.replace('"', "'").replace("\\", "/")


def q(value: Any) -> str:
    """A plain value as Python source on one line."""
    return flat(literal(value))
