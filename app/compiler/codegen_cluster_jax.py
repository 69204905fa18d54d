"""The training part of a script that trains across processes with JAX (`codegen --cluster jax`).

The script sets KERAS_BACKEND to "jax" before Keras is imported, joins the processes with
keras.distribution.initialize (which reads KERAS_DISTRIBUTION_JOB_ADDRESSES, _NUM_PROCESSES and
_PROCESS_ID; without them it trains in its one process) and sets a DataParallel distribution
over every device of every process: the variables are replicated, each step's batch is split
between the devices and the gradients are summed across processes (gloo on CPU, JAX's default).
It builds and compiles the model as the normal script does and trains it with model.fit, the
multi-host path Keras supports on JAX, each process on its own part of the data (every n-th
sample from its index on, the same number of whole batches in every process).  The project's
batch size is the global batch.  Every process saves the model (saving reads the replicated
variables, which takes all processes), process 0 to the path asked for, the others to a
temporary folder they delete.

What this script cannot run is refused in words (ClusterError): a project training step (a
train_step is written for one backend, as the examples' GradientTape steps are for TensorFlow),
project code that imports TensorFlow, text (string) inputs, which Keras on JAX cannot feed to a
model, and k-fold cross-validation.  Callbacks run in every process, on the same (global)
metrics, so those that write no files are kept (early stopping, learning-rate changes: all
processes stop or change together); those that write files and the project's own callback
classes are left out, and the train function's docstring names them.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from app.compiler.codegen_adapt import adapt_lines
from app.compiler.codegen_cluster import ClusterError, main_lines, one_model_training
from app.compiler.codegen_expr import Atom, Call, Expr, Seq, literal, render
from app.compiler.codegen_training import TrainingCode
from app.project.callback_specs import CALLBACK_SPECS
from app.project.training_config import TrainingError

# A line of project code that imports TensorFlow (import tensorflow / from tensorflow ...).
_IMPORTS_TF = re.compile(r"^\s*(import|from)\s+tensorflow\b", re.MULTILINE)


class JaxClusterTrainingCode(TrainingCode):
    """TrainingCode for keras.distribution on JAX: fit on this process's part of the data."""

    def _write(self, graph: Any, project: Any, names: Any) -> None:
        config = one_model_training(
            project,
            "a train_step is written for one backend, and the JAX cluster script cannot run it",
        )
        for entry in getattr(project, "code", None) or []:
            if _IMPORTS_TF.search(getattr(entry, "source", "") or ""):
                raise ClusterError(
                    f"The project code '{entry.name}' imports TensorFlow; the JAX cluster script "
                    "runs Keras on JAX, where TensorFlow code does not run. Write it with "
                    "keras.ops, or use --cluster tf."
                )
        for k in ("shard", "save_model"):
            self.fn[k] = names.new(k)
        self.config = config
        super()._write(graph, project, names)
        # KERAS_BACKEND must be set before Keras is imported: the script starts with it.
        self.header = [
            "import os",
            "",
            'os.environ["KERAS_BACKEND"] = "jax"  # before Keras is imported: it trains with JAX',
        ]
        self._import(("jax", None, None))
        self._import(("tempfile", None, None))
        self._import(("shutil", None, None))
        self.functions += [self._shard_function(), self._save_function()]
        fn = self.fn
        train = [
            f"    history = {fn['train']}(model, args.epochs)",
            "    if jax.process_index() == 0:",
            "        for name, values in history.history.items():",
            '            print(f"{name}: {values[-1]:.4f}")',
        ]
        self.main = main_lines(config.epochs, "process 0", "process", train, fn)

    def _devices(self, devices: str) -> list[str]:
        """The devices setting gives way to the cluster: every process's devices take part."""
        return [
            "# Every process runs this script; the KERAS_DISTRIBUTION_* variables say which one it",
            "# is (see the README). Without them it trains in this one process.",
            'if any(k.startswith("KERAS_DISTRIBUTION_") for k in os.environ):',
            "    keras.distribution.initialize()",
            "keras.distribution.set_distribution(",
            "    keras.distribution.DataParallel(",
            "        devices=keras.distribution.list_devices(),",
            "        auto_shard_dataset=False,  # each process reads its own part: see shard()",
            "    )",
            ")",
        ]

    def _train_function(self, graph: Any, model: Any, config: Any, dc: Any) -> list[str]:
        texts = [t.name for t in model.inputs if "string" in str(t.dtype)]
        if texts:
            raise ClusterError(
                f"The model takes text (string) input {texts[0]!r}; Keras on JAX cannot feed "
                "strings to a model. Use --cluster tf."
            )
        fn = self.fn
        names = list(model.output_names)
        weighted = bool(getattr(dc, "weighted", False))
        by_output = config.class_weights_by_output(names)
        if weighted and by_output:
            raise TrainingError(
                "The data has sample weights and the training settings set class weights; "
                "Keras takes one or the other."
            )
        data = "x, y, sample_weight" if weighted else "x, y"
        callbacks, dropped = self._kept_callbacks(config, dc.has_validation)
        left_out = (
            f"  Left out: {', '.join(dropped)} (callbacks that write files, and the project's "
            "own, would run in every process)."
            if dropped
            else ""
        )
        doc = (
            "Compile and fit on this process's part of the data; returns the History.\n\n"
            "The project's batch size is the global batch: each process takes its share of it "
            "per step, and a last part smaller than a batch is left out of the epoch.  Only "
            "process 0 prints the epochs." + left_out
        )
        lines = [ln for para in doc.split("\n") for ln in (textwrap.wrap(para, 88) or [""])]
        body = [
            f'    """{lines[0]}',
            *[f"    {ln}".rstrip() for ln in lines[1:]],
            '    """',
            f"    ({data}), validation = {fn['load_data']}()",
            *adapt_lines(graph, model),
            *render(
                Call(Atom("model.compile"), kwargs=self._compile_kwargs(model, config, dc)), "    "
            ),
        ]
        fit_kwargs: list[tuple[str, Expr]] = [
            ("batch_size", Atom("batch")),
            ("epochs", Atom("epochs")),
            ("validation_data", Atom("validation")),
        ]
        if not config.shuffle:
            fit_kwargs.append(("shuffle", literal(False)))
        lines, kwargs = self._class_weights(names, by_output)
        body += lines  # several outputs' class weights become sample weights, sharded as such
        weighted = weighted or any(k == "sample_weight" for k, _ in kwargs)
        fit_kwargs += [kw for kw in kwargs if kw[0] != "sample_weight"]
        if weighted:
            fit_kwargs.append(("sample_weight", Atom("sample_weight")))
        if callbacks:
            body += render(Seq(callbacks), "    ", "callbacks = ")
            fit_kwargs.append(("callbacks", Atom("callbacks")))
        parts = "x, y, sample_weight" if weighted else "x, y"
        fit_kwargs.append(("verbose", Atom("2 if jax.process_index() == 0 else 0")))
        body += [
            "    # Each process's share of the global batch, whole batches per device.",
            "    local = jax.local_device_count()",
            f"    batch = max(local, {config.batch_size} // jax.process_count() // local * local)",
            f"    part = {fn['shard']}(({parts}), batch)",
            "    if part is None:",
            "        raise SystemExit(",
            '            f"Too few samples for {jax.process_count()} processes "',
            '            f"taking batches of {batch}."',
            "        )",
            f"    {parts} = part",
            "    if validation is not None:",
            f"        validation = {fn['shard']}(validation, batch)",
            *render(Call(Atom("model.fit"), [Atom("x"), Atom("y")], fit_kwargs), "    ", "return "),
        ]
        return [f"def {fn['train']}(model, epochs={config.epochs}):", *body]

    def _kept_callbacks(self, config: Any, has_validation: bool) -> tuple[list[Expr], list[str]]:
        """The callbacks that write no files (as the normal script makes them), and the names
        of those left out."""
        kept: list[Expr] = []
        dropped: list[str] = []
        made = self._callbacks(config, has_validation)
        for call in [*made, *(c for _, c in self.optional)]:
            name = call.func.text if isinstance(call, Call) and isinstance(call.func, Atom) else ""
            spec = CALLBACK_SPECS.get(name.removeprefix("keras.callbacks."))
            if name.startswith("keras.callbacks.") and spec is not None:
                if not spec.writes_files and not spec.needs_package:
                    kept.append(call)
                    continue
            dropped.append(name.removeprefix("keras.callbacks.") or "a callback")
        return kept, dropped

    def _shard_function(self) -> list[str]:
        return [
            f"def {self.fn['shard']}(data, batch):",
            '    """This process\'s part of `data` (arrays in tuples, lists or dicts; None stays):',
            "    every n-th sample from the process's index on, cut to the same number of whole",
            "    batches in every process, so that all take the same steps.  None if no whole",
            '    batch is left."""',
            "    count, index = jax.process_count(), jax.process_index()",
            "",
            "    def arrays(value):",
            "        if isinstance(value, dict):",
            "            return [a for v in value.values() for a in arrays(v)]",
            "        if isinstance(value, (list, tuple)):",
            "            return [a for v in value for a in arrays(v)]",
            "        return [] if value is None else [value]",
            "",
            "    size = len(arrays(data)[0]) // count // batch * batch",
            "",
            "    def part(value):",
            "        if isinstance(value, dict):",
            "            return {k: part(v) for k, v in value.items()}",
            "        if isinstance(value, (list, tuple)):",
            "            return type(value)(part(v) for v in value)",
            "        return None if value is None else value[index::count][:size]",
            "",
            "    return part(data) if size else None",
        ]

    def _save_function(self) -> list[str]:
        return [
            f"def {self.fn['save_model']}(model, path):",
            '    """Every process saves (it takes them all); only process 0\'s file is kept."""',
            "    if jax.process_index() == 0:",
            "        folder = os.path.dirname(os.path.abspath(path))",
            "        os.makedirs(folder, exist_ok=True)",
            "        model.save(path)",
            '        print(f"Saved {path}", flush=True)',
            "        return",
            "    folder = tempfile.mkdtemp()",
            "    try:",
            "        model.save(os.path.join(folder, os.path.basename(path)))",
            "    finally:",
            "        shutil.rmtree(folder, ignore_errors=True)",
        ]
