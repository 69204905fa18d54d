"""The training part of a generated script: data loading, compile, callbacks and fit.

generate_code(graph, project) adds it when the project has training settings, so running the
script reproduces a LayerLoom run: the same data (loaded, limited, split, normalised and mapped
as app.data does), the same compile (optimizer, schedule, losses, weights, metrics per output)
and the same callbacks.  The data readers are written per source by codegen_data.
"""

from __future__ import annotations

import textwrap
from typing import Any

from app.compiler.codegen_data import DataCode
from app.compiler.codegen_expr import Atom, Call, DictDisplay, Expr, Names, Seq, literal, render
from app.errors import LayerLoomError

Import = tuple[str, str | None, str | None]
OUTPUT_DIR = "training_output"
FILE_CALLBACKS = ("ModelCheckpoint", "CSVLogger", "TensorBoard")


class TrainingCode:
    """What the script needs to train: imports, top-level lines, functions, lines for __main__.

    Created before the model code is written, so the names it takes (functions, modules) are
    kept away from layer variables.  `problem` holds why training could not be written.
    """

    def __init__(self, graph: Any, project: Any, names: Names) -> None:
        self.imports: list[Import] = []
        self.preamble: list[str] = []
        self.functions: list[list[str]] = []
        self.main: list[str] = []
        self.problem: str | None = None
        self.enabled = _has_settings(project)
        if not self.enabled:
            return
        for module in ("np", "os", "importlib"):
            names.taken.add(module)
        self.fn = {
            k: names.new(k)
            for k in (
                "read_data",
                "read_validation_data",
                "load_data",
                "learning_rate_table",
                "class_sample_weights",
                "train",
            )
        }
        try:
            self._write(graph, project)
        except LayerLoomError as exc:
            self.problem = exc.message
        except (TypeError, ValueError, KeyError) as exc:  # a setting that has no Python form
            self.problem = str(exc)
        if self.problem is not None:
            self.imports, self.preamble, self.functions = [], [], []
            text = textwrap.wrap(f"Training is not written: {_one_line(self.problem)}", 90)
            self.main = ["", *[f"    # {t}" for t in text]]

    # ----- the parts ----------------------------------------------------------------------------
    def _write(self, graph: Any, project: Any) -> None:
        from app.compiler.build import build_model
        from app.data import DataConfig
        from app.project.training_config import TrainingConfig
        from app.training.headless import settings_from_project

        data_dict, training_dict = settings_from_project(project)
        data = DataConfig.from_dict(data_dict)
        config = TrainingConfig.from_dict(training_dict)
        model = build_model(graph)
        self.imports.append(("numpy", None, "np"))
        dc = DataCode(model, data, self.fn)
        self.imports += [i for i in dc.imports if i not in self.imports]
        self.functions += dc.functions
        if config.seed is not None:
            self.preamble.append(f"keras.utils.set_random_seed({config.seed})")
        if config.dtype_policy != "float32":
            self.preamble.append(f'keras.config.set_dtype_policy("{config.dtype_policy}")')
        self.functions.append(self._train_function(model, config, dc))
        self.main = [
            f"    history = {self.fn['train']}(model)",
            "    for name, values in history.history.items():",
            '        print(f"{name}: {values[-1]:.4f}")',
        ]

    def _train_function(self, model: Any, config: Any, dc: DataCode) -> list[str]:
        from app.training.compile import default_metrics, resolved_losses

        names = list(model.output_names)
        dataset = None
        if not (len(names) == 1 and len(config.losses) == 1) and set(names) - set(config.losses):
            dataset = dc.sample()  # default losses follow the targets, as in training
        losses = resolved_losses(model, config, dataset, dc.output_map)
        metrics = dict(config.metrics)
        if len(names) == 1 and len(metrics) == 1:
            metrics = {names[0]: next(iter(metrics.values()))}
        if not config.metrics:
            metrics = default_metrics(losses)
        acts = _activations(model)
        loss_exprs = {n: _loss_expr(losses[n], config.loss_params.get(n), acts[n]) for n in names}
        compile_kwargs: list[tuple[str, Expr]] = [("optimizer", self._optimizer(config))]
        compile_kwargs.append(("loss", _per_output(names, loss_exprs)))
        if config.loss_weights:
            weights = {n: literal(float(config.loss_weights.get(n, 1.0))) for n in names}
            compile_kwargs.append(("loss_weights", _per_output(names, weights)))
        if any(metrics.get(n) for n in names):
            compile_kwargs.append(
                (
                    "metrics",
                    _per_output(names, {n: literal(list(metrics.get(n, []))) for n in names}),
                )
            )
        if config.jit_compile:
            compile_kwargs.append(("jit_compile", literal(True)))
        body = [
            '    """Compile and fit with the project\'s training settings; returns the History."""',
            f"    (x, y), validation = {self.fn['load_data']}()",
            *render(Call(Atom("model.compile"), kwargs=compile_kwargs), "    "),
        ]
        callbacks = self._callbacks(config, dc.has_validation)
        fit_kwargs: list[tuple[str, Expr]] = [
            ("batch_size", literal(config.batch_size)),
            ("epochs", literal(config.epochs)),
            ("validation_data", Atom("validation")),
        ]
        if not config.shuffle:
            fit_kwargs.append(("shuffle", literal(False)))
        by_output = config.class_weights_by_output(names)
        if by_output and len(names) == 1:
            cw = by_output[names[0]]
            fit_kwargs.append(
                (
                    "class_weight",
                    DictDisplay([(literal(k), literal(v)) for k, v in sorted(cw.items())]),
                )
            )
        elif by_output:  # Keras' class_weight takes one output: weigh samples per output
            self.functions.append(self._sample_weights_function())
            table = DictDisplay(
                [
                    (
                        literal(n),
                        DictDisplay(
                            [(literal(k), literal(v)) for k, v in sorted(by_output[n].items())]
                        ),
                    )
                    for n in names
                    if n in by_output
                ]
            )
            body += render(
                Call(Atom(self.fn["class_sample_weights"]), [Atom("y"), literal(names), table]),
                "    ",
                "sample_weight = ",
            )
            fit_kwargs.append(("sample_weight", Atom("sample_weight")))
        if callbacks or self.tensorboard is not None:
            if any(c.class_name in FILE_CALLBACKS for c in config.callbacks if c.enabled):
                body.append(f'    os.makedirs("{OUTPUT_DIR}", exist_ok=True)')
                self._import(("os", None, None))
            body += render(Seq(callbacks), "    ", "callbacks = ")
            if self.tensorboard is not None:  # as in LayerLoom: only with the package installed
                self._import(("importlib.util", None, None))
                body.append('    if importlib.util.find_spec("tensorboard") is not None:')
                body += render(self.tensorboard, "        ", "callbacks.append(", ")")
            fit_kwargs.append(("callbacks", Atom("callbacks")))
        body += render(
            Call(Atom("model.fit"), [Atom("x"), Atom("y")], fit_kwargs), "    ", "return "
        )
        return [f"def {self.fn['train']}(model):", *body]

    def _optimizer(self, config: Any) -> Expr:
        from app.training.compile import optimizer_names
        from app.project.training_config import TrainingError

        known = {n.lower(): n for n in optimizer_names()}
        name = known.get(config.optimizer.lower())
        if name is None:
            raise TrainingError(f"Unknown optimizer '{config.optimizer}'.")
        lr: Expr = literal(config.learning_rate)
        if config.lr_schedule:
            sched = config.lr_schedule["class_name"]
            params = dict(config.lr_schedule.get("params", {}))
            if sched != "PiecewiseConstantDecay":
                params.setdefault("initial_learning_rate", config.learning_rate)
            lr = Call(
                Atom(f"keras.optimizers.schedules.{sched}"),
                kwargs=[(k, literal(v)) for k, v in params.items()],
            )
        kwargs = [("learning_rate", lr)] + [
            (k, literal(v)) for k, v in config.optimizer_params.items()
        ]
        return Call(Atom(f"keras.optimizers.{name}"), kwargs=kwargs)

    def _callbacks(self, config: Any, has_validation: bool) -> list[Expr]:
        """The callbacks as app.training.callbacks.make_callbacks makes them."""
        from app.training.callbacks import MONITORED, step_table

        out: list[Expr] = []
        self.tensorboard: Expr | None = None
        for cfg in config.callbacks:
            if not cfg.enabled:
                continue
            params, name = dict(cfg.params), cfg.class_name
            if name in MONITORED:
                monitor = params.get("monitor", "val_loss")
                if not has_validation and str(monitor).startswith("val_"):
                    monitor = monitor[4:]
                params["monitor"] = monitor
            kw = [(k, literal(v)) for k, v in params.items()]
            if name == "ModelCheckpoint":
                path = _in_output(params.pop("filename", None), "best.keras")
                mode = params.pop("mode", "auto")
                kw = [
                    ("monitor", literal(params.pop("monitor"))),
                    ("save_best_only", literal(True)),
                ]
                if mode != "auto":
                    kw.append(("mode", literal(mode)))
                out.append(Call(Atom("keras.callbacks.ModelCheckpoint"), [path], kw))
            elif name == "LearningRateScheduler":
                table = params.pop("table", params.pop("schedule", None))
                if not isinstance(table, dict):
                    raise ValueError("LearningRateScheduler needs a table {epoch: rate}.")
                step_table(table)  # the same checks as training
                self.functions.append(self._lr_table(table))
                kw = [(k, literal(v)) for k, v in params.items()]
                out.append(
                    Call(
                        Atom("keras.callbacks.LearningRateScheduler"),
                        [Atom(self.fn["learning_rate_table"])],
                        kw,
                    )
                )
            elif name == "CSVLogger":
                path = _in_output(params.pop("filename", None), "training_log.csv")
                kw = [(k, literal(v)) for k, v in params.items()]
                out.append(Call(Atom("keras.callbacks.CSVLogger"), [path], kw))
            elif name == "TensorBoard":
                log_dir = _in_output(params.pop("log_dir", None), "tensorboard")
                kw = [("log_dir", log_dir)] + [(k, literal(v)) for k, v in params.items()]
                self.tensorboard = Call(Atom("keras.callbacks.TensorBoard"), kwargs=kw)
            else:
                out.append(Call(Atom(f"keras.callbacks.{name}"), kwargs=kw))
        return out

    def _sample_weights_function(self) -> list[str]:
        """What app.training.class_weights does: each output's class weights as sample weights
        (classes not listed weigh 1), shaped like the targets."""
        return [
            f"def {self.fn['class_sample_weights']}(y, output_names, class_weights):",
            '    """Per-sample weights from each output\'s class weights, shaped like y."""',
            "",
            "    def weights(targets, table):",
            "        labels = np.asarray(targets)",
            '        if labels.ndim >= 2 and labels.shape[-1] > 1 and labels.dtype.kind not in "iu":',
            "            labels = labels.argmax(axis=-1)  # one-hot rows",
            '        labels = np.rint(labels).astype("int64").reshape(len(labels))',
            '        out = np.ones(len(labels), dtype="float32")',
            "        for cls, weight in table.items():",
            "            out[labels == cls] = weight",
            "        return out",
            "",
            "    if isinstance(y, dict):",
            "        return {name: None if t is None else weights(t, class_weights.get(name, {}))",
            "                for name, t in y.items()}",
            "    return [None if t is None else weights(t, class_weights.get(name, {}))",
            "            for name, t in zip(output_names, y, strict=True)]",
        ]

    def _lr_table(self, table: dict) -> list[str]:
        steps = sorted((int(k), float(v)) for k, v in table.items())
        return [
            f"def {self.fn['learning_rate_table']}(epoch, learning_rate):",
            '    """The learning rate from the first epoch of each step on (LearningRateScheduler)."""',
            *render(literal(steps), "    ", "for start, rate in ", ":"),
            "        if epoch >= start:",
            "            learning_rate = rate",
            "    return learning_rate",
        ]

    def _import(self, imp: Import) -> None:
        if imp not in self.imports:
            self.imports.append(imp)


def _has_settings(project: Any) -> bool:
    return (
        project is not None
        and getattr(project, "training", None) is not None
        and (getattr(project, "data", None) is not None)
    )


def _in_output(name: Any, default: str) -> Expr:
    return Call(Atom("os.path.join"), [literal(OUTPUT_DIR), literal(str(name or default))])


def _per_output(names: list[str], values: dict[str, Expr]) -> Expr:
    if len(names) == 1:
        return values[names[0]]
    return DictDisplay([(literal(n), values[n]) for n in names])


def _activations(model: Any) -> dict[str, str]:
    from app.data.synthetic import output_activation

    return {n: output_activation(model, t) for n, t in zip(model.output_names, model.outputs)}


def _loss_expr(name: str, params: dict | None, activation: str) -> Expr:
    """The loss as compile_model passes it: a name, or a configured keras.losses instance."""
    from app.training.compile import loss_settings
    from app.project.training_config import NO_LOSS

    if name in NO_LOSS:
        return Atom("None")
    cls, params = loss_settings(name, params, activation)
    if not params:
        return literal(name)
    return Call(
        Atom(f"keras.losses.{cls.__name__}"), kwargs=[(k, literal(v)) for k, v in params.items()]
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
