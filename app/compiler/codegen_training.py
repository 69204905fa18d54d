"""The training part of a generated script: data loading, compile, callbacks and fit.

generate_code(graph, project) adds it when the project has training settings, so running the
script reproduces a LayerLoom run: the same data (loaded, limited, split, normalised and mapped
as app.data does), the same compile (optimizer, schedule, losses, weights, metrics per output)
and the same callbacks.  The data readers are written per source by codegen_data.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from app.compiler.codegen_adapt import adapt_lines
from app.compiler.codegen_data import DataCode
from app.compiler.codegen_expr import Atom, Call, DictDisplay, Expr, Names, Seq, literal, render
from app.compiler.metric_goals import monitor_mode
from app.compiler.training_rules import (
    loss_settings,
    optimizer_class_name,
    resolved_losses,
    step_sample_weights_problem,
)
from app.errors import LayerLoomError
from app.project.callback_specs import CALLBACK_SPECS, run_file_path
from app.project.project_code import defines_class, find_entry
from app.project.settings import settings_from_project
from app.project.training_config import (
    NO_LOSS,
    TrainingConfig,
    TrainingError,
    learning_rate_steps,
    resolved_metrics,
    resolved_weighted_metrics,
)

Import = tuple[str, str | None, str | None]
OUTPUT_DIR = "training_output"


class TrainingCode:
    """What the script needs to train: imports, top-level lines, functions, lines for __main__.

    Created before the model code is written, so the names it takes (functions, modules) are
    kept away from layer variables.  `problem` holds why training could not be written.
    """

    def __init__(self, graph: Any, project: Any, names: Names) -> None:
        self.imports: list[Import] = []
        self.header: list[str] = []  # lines before the imports (e.g. the Keras backend)
        self.preamble: list[str] = []
        self.functions: list[list[str]] = []
        self.main: list[str] = []
        self.problem: str | None = None
        self.folds = 0  # k of a k-fold cross-validation: the model is then built per fold
        self.strategy: str | None = None  # the MirroredStrategy's name: build the model in it
        self.enabled = _has_settings(project)
        if not self.enabled:  # the model alone (no project), as the guides write one
            return
        for module in ("np", "os", "importlib", "argparse", "tf"):
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
                "build_model",
                "cross_validate",
                "strategy",
            )
        }
        try:
            self._write(graph, project, names)
        except LayerLoomError as exc:
            self.problem = exc.message
        except (TypeError, ValueError, KeyError) as exc:  # a setting that has no Python form
            self.problem = str(exc)
        if self.problem is not None:
            self.imports, self.preamble, self.functions, self.folds = [], [], [], 0
            self.header = []
            self.strategy = None
            self._no_training(self.problem)

    def _no_training(self, reason: str) -> None:
        """__main__ of a script that does not train: it says why, and still takes --epochs
        (every generated script does), saying that nothing is trained when it is given."""
        text = textwrap.wrap(f"Training is not written: {_one_line(reason)}", 90)
        said = textwrap.wrap(f"Nothing is trained. {' '.join(text)}", 70)
        self._import(("argparse", None, None))
        self.main = [
            "",
            *[f"    # {t}" for t in text],
            "    parser = argparse.ArgumentParser()",
            '    parser.add_argument("--epochs", type=int, help="epochs to train (none here)")',
            "    args = parser.parse_args()",
            "    if args.epochs is not None:",
            "        print(",
            '            f"--epochs {args.epochs}: "',
            *[
                f"            {json.dumps(t + (' ' if i < len(said) - 1 else ''))}"
                for i, t in enumerate(said)
            ],
            "        )",
        ]

    # ----- the parts ----------------------------------------------------------------------------
    def _write(self, graph: Any, project: Any, names: Names) -> None:
        from app.compiler.build import build_model
        from app.data import DataConfig

        data_dict, training_dict = settings_from_project(project)
        self.project_code = list(getattr(project, "code", None) or [])
        data = DataConfig.from_dict(data_dict)
        config = TrainingConfig.from_dict(training_dict)
        model = build_model(graph)
        self.imports.append(("numpy", None, "np"))
        self.step = None
        if config.step:
            from app.compiler.codegen_step import StepCode

            self.step = StepCode(config, self.project_code, graph, model)
        sub_models = self.step is not None and not self.step.functional
        dc = DataCode(model, data, self.fn, names, fold_shuffle=config.shuffle, as_is=sub_models)
        self.imports += [i for i in dc.imports if i not in self.imports]
        self.functions += dc.functions
        if config.seed is not None:
            self.preamble.append(f"keras.utils.set_random_seed({config.seed})")
        if config.dtype_policy != "float32":
            self.preamble.append(f'keras.config.set_dtype_policy("{config.dtype_policy}")')
        self.preamble += self._devices(config.devices)
        self.functions.append(self._train_function(graph, model, config, dc))
        self._import(("argparse", None, None))
        self.main = [
            "    parser = argparse.ArgumentParser()",
            f'    parser.add_argument("--epochs", type=int, default={config.epochs}, '
            'help="epochs to train")',
            "    args = parser.parse_args()",
        ]
        if data.validation == "kfold":
            self.folds = data.folds
            self.functions.append(self._cross_validate_function(data.folds, config.seed))
            self.main.append(f"    {self.fn['cross_validate']}(args.epochs)")
            return
        self.main += [
            f"    history = {self.fn['train']}(model, args.epochs)",
            "    for name, values in history.history.items():",
            '        print(f"{name}: {values[-1]:.4f}")',
        ]

    def _devices(self, devices: str) -> list[str]:
        """Lines that place training as the "devices" setting says (app/training/devices.py)."""
        if devices == "gpu":  # TensorFlow's own choice: its first GPU, else the CPU
            return []
        self._import(("tensorflow", None, "tf"))
        if devices == "cpu":
            return ['tf.config.set_visible_devices([], "GPU")  # devices: this CPU']
        self.strategy = name = self.fn["strategy"]
        return [
            "# devices: all GPUs (without one, the CPU or its logical devices), one replica each;",
            "# the model is built in the strategy's scope and batch_size is the global batch.",
            f"{name} = tf.distribute.MirroredStrategy(",
            "    [",
            "        d.name",
            '        for d in tf.config.list_logical_devices("GPU")',
            '        or tf.config.list_logical_devices("CPU")',
            "    ]",
            ")",
        ]

    def _cross_validate_function(self, folds: int, seed: int | None) -> list[str]:
        """k-fold as LayerLoom runs it: per fold, the seed, a new model, compile and fit."""
        fn = self.fn
        return [
            f"def {fn['cross_validate']}(epochs):",
            '    """k-fold cross-validation: a new model per fold, trained on the other folds.',
            "",
            "    Prints each fold's final metrics and their mean ± std (numpy's std, ddof=0).",
            '    """',
            "    finals = {}",
            f"    for fold in range({folds}):",
            *(
                [f"        keras.utils.set_random_seed({seed})  # each fold starts as LayerLoom's"]
                if seed is not None
                else []
            ),
            *(
                [
                    f"        with {self.strategy}.scope():",
                    f"            fold_model = {fn['build_model']}()",
                ]
                if self.strategy
                else [f"        fold_model = {fn['build_model']}()"]
            ),
            f"        history = {fn['train']}(fold_model, epochs, fold)",
            "        logs = history.history",
            '        shown = "  ".join(f"{k} {v[-1]:.4f}" for k, v in logs.items())',
            f'        print(f"Fold {{fold + 1}}/{folds}: {{shown}}")',
            "        for name, values in logs.items():",
            "            finals.setdefault(name, []).append(values[-1])",
            "    for name, values in finals.items():",
            '        print(f"{name}: {np.mean(values):.4f} ± {np.std(values):.4f}")',
            "    return finals",
        ]

    def _train_function(
        self, graph: Any, model: Any, config: TrainingConfig, dc: DataCode
    ) -> list[str]:
        if self.step is not None and not self.step.functional:
            return self._step_train_function(config, dc)
        names = list(model.output_names)
        compile_kwargs = self._compile_kwargs(model, config, dc)
        weighted = getattr(dc, "weighted", False)
        fold = "fold" if dc.config.validation == "kfold" else ""
        body = [
            '    """Compile and fit with the project\'s training settings; returns the History."""',
            f"    (x, y{', sample_weight' if weighted else ''}), validation = "
            f"{self.fn['load_data']}({fold})",
            *adapt_lines(graph, model),
        ]
        if self.step is not None:  # the project's step class, of the model's inputs and outputs
            body += render(self.step.wrap(), "    ", "model = ")
            if self.step.own_compile:
                compile_kwargs = self.step.compile_kwargs(compile_kwargs[0][1])
        body += render(Call(Atom("model.compile"), kwargs=compile_kwargs), "    ")
        if self.step is not None and self.step.own_compile and config.jit_compile:
            body.append("    model.jit_compile = True")
        callbacks = self._callbacks(config, dc.has_validation)
        fit_kwargs: list[tuple[str, Expr]] = [
            ("batch_size", literal(config.batch_size)),
            ("epochs", Atom("epochs")),
            ("validation_data", Atom("validation")),
        ]
        if not config.shuffle:
            fit_kwargs.append(("shuffle", literal(False)))
        by_output = config.class_weights_by_output(names)
        if weighted:
            if by_output:
                raise TrainingError(
                    "The data has sample weights and the training settings set class weights; "
                    "Keras takes one or the other."
                )
            fit_kwargs.append(("sample_weight", Atom("sample_weight")))
        lines, kwarg = self._class_weights(names, by_output)
        body += lines
        fit_kwargs += kwarg
        if callbacks or self.optional:
            enabled = [
                CALLBACK_SPECS[c.class_name] for c in config.callbacks if c.enabled and not c.code
            ]
            if any(spec.writes_files for spec in enabled):
                body.append(f'    os.makedirs("{OUTPUT_DIR}", exist_ok=True)')
                self._import(("os", None, None))
            body += render(Seq(callbacks), "    ", "callbacks = ")
            for package, call in self.optional:  # as in LayerLoom: only with the package
                self._import(("importlib.util", None, None))
                body.append(f'    if importlib.util.find_spec("{package}") is not None:')
                body += render(call, "        ", "callbacks.append(", ")")
            fit_kwargs.append(("callbacks", Atom("callbacks")))
        body += render(
            Call(Atom("model.fit"), [Atom("x"), Atom("y")], fit_kwargs), "    ", "return "
        )
        if self.strategy:  # compile and fit in the scope the model was built in
            doc, rest = body[0], body[1:]
            body = [
                doc,
                f"    with {self.strategy}.scope():",
                *("    " + ln if ln else ln for ln in rest),
            ]
        params = f"model, epochs={config.epochs}" + (", fold=0" if fold else "")
        return [f"def {self.fn['train']}({params}):", *body]

    def _compile_kwargs(self, model: Any, config: TrainingConfig, dc: DataCode) -> list:
        """model.compile's keyword arguments: the optimizer, the losses (and their weights) and
        the metrics per output, as app.training.compile makes them."""
        names = list(model.output_names)
        dataset = None
        if not (len(names) == 1 and len(config.losses) == 1) and set(names) - set(config.losses):
            dataset = dc.sample()  # default losses follow the targets, as in training
        losses = resolved_losses(model, config, dataset, dc.output_map)
        metrics = resolved_metrics(names, config, losses)
        acts = _activations(model)
        code = _ProjectCodeNames(self.project_code)
        loss_exprs = {
            n: code.expr("loss", losses[n])
            or _loss_expr(losses[n], config.loss_params.get(n), acts[n])
            for n in names
        }
        compile_kwargs: list[tuple[str, Expr]] = [("optimizer", self._optimizer(config))]
        compile_kwargs.append(("loss", _per_output(names, loss_exprs)))
        if config.loss_weights:
            weights = {n: literal(float(config.loss_weights.get(n, 1.0))) for n in names}
            compile_kwargs.append(("loss_weights", _per_output(names, weights)))
        weighted = resolved_weighted_metrics(names, config)
        for key, given in (("metrics", metrics), ("weighted_metrics", weighted)):
            if any(given.get(n) for n in names):
                exprs = {
                    n: Seq([code.expr("metric", m) or literal(m) for m in given.get(n, [])])
                    for n in names
                }
                compile_kwargs.append((key, _per_output(names, exprs)))
        if config.jit_compile:
            compile_kwargs.append(("jit_compile", literal(True)))
        return compile_kwargs

    def _step_train_function(self, config: TrainingConfig, dc: DataCode) -> list[str]:
        """train(model, epochs): the project's step made around the model's blocks, compiled,
        fit (a fold's data under k-fold, as _train_function)."""
        step = self.step
        fold = "fold" if dc.config.validation == "kfold" else ""
        weighted = getattr(dc, "weighted", False)
        problem = weighted and step_sample_weights_problem(step.name, dc.has_targets)
        if problem:
            raise TrainingError(problem)
        body = [
            '    """Make the project\'s training step from the model\'s blocks, compile it with the',
            '    project\'s settings and fit it on the data; returns the History."""',
            f"    (x, y{', sample_weight' if weighted else ''}), validation = "
            f"{self.fn['load_data']}({fold})",
            *render(step.make(), "    ", "step = "),
            *render(
                Call(Atom("step.compile"), kwargs=step.compile_kwargs(self._optimizer(config))),
                "    ",
            ),
        ]
        if step.own_compile and config.jit_compile:
            body.append("    step.jit_compile = True")
        fit_kwargs: list[tuple[str, Expr]] = [
            ("batch_size", literal(config.batch_size)),
            ("epochs", Atom("epochs")),
            ("validation_data", Atom("validation")),
        ]
        if not config.shuffle:
            fit_kwargs.append(("shuffle", literal(False)))
        if weighted:  # the step gets them in its data, as in LayerLoom's run
            fit_kwargs.append(("sample_weight", Atom("sample_weight")))
        callbacks = self._callbacks(config, dc.has_validation)
        if callbacks:
            body += render(Seq(callbacks), "    ", "callbacks = ")
            fit_kwargs.append(("callbacks", Atom("callbacks")))
        body += render(
            Call(Atom("step.fit"), [Atom("x"), Atom("y")], fit_kwargs), "    ", "return "
        )
        params = f"model, epochs={config.epochs}" + (", fold=0" if fold else "")
        return [f"def {self.fn['train']}({params}):", *body]

    def _optimizer(self, config: TrainingConfig) -> Expr:
        name = optimizer_class_name(config.optimizer)
        lr: Expr = literal(config.learning_rate)
        if self._code_schedule(config) == "class":  # the project's own, pasted above
            params = dict(config.lr_schedule.get("params", {}))
            lr = Call(
                Atom(config.lr_schedule["class_name"]),
                kwargs=[(k, literal(v)) for k, v in params.items()],
            )
        elif config.lr_schedule and not config.lr_schedule.get("code"):
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

    def _code_schedule(self, config: TrainingConfig) -> str:
        """How the config's project code LR schedule is used: "class", "function", or "" (none)."""
        sched = config.lr_schedule or {}
        if not sched.get("code"):
            return ""
        entry = find_entry(self.project_code, sched.get("class_name", ""), "schedule")
        if entry is None:
            raise TrainingError(
                f"The learning-rate schedule '{sched.get('class_name')}' is not in the project code."
            )
        return "class" if defines_class(entry) else "function"

    def _callbacks(self, config: TrainingConfig, has_validation: bool) -> list[Expr]:
        """The callbacks as app.training.callbacks.make_callbacks makes them (CALLBACK_SPECS);
        those that need a package go to self.optional, written to run only when it is there."""
        out: list[Expr] = []
        self.optional: list[tuple[str, Expr]] = []
        if self._code_schedule(config) == "function":  # as make_callbacks applies one
            name = Atom(config.lr_schedule["class_name"])
            out.append(Call(Atom("keras.callbacks.LearningRateScheduler"), [name]))
        for cfg in config.callbacks:
            if not cfg.enabled:
                continue
            if cfg.code:  # the project's class, pasted above, with its keyword options
                kw = [(k, literal(v)) for k, v in cfg.params.items()]
                out.append(Call(Atom(cfg.class_name), kwargs=kw))
                continue
            spec = CALLBACK_SPECS[cfg.class_name]
            params = dict(cfg.params)
            if spec.monitors:
                monitor = params.get("monitor", "val_loss")
                if not has_validation and str(monitor).startswith("val_"):
                    monitor = monitor[4:]
                params["monitor"] = monitor
                params["mode"] = monitor_mode(monitor, params.get("mode", "auto"))
            args: list[Expr] = []
            files: list[tuple[str, Expr]] = []
            for option in spec.options:
                if option.run_file:
                    path = _in_output(option.take(params), option.default)
                    files.append((option.keras_argument, path))
                elif option.kind == "table":
                    table = option.take(params)
                    if not isinstance(table, dict):
                        raise ValueError(f"{spec.name} needs a table {{epoch: rate}}.")
                    self.functions.append(self._lr_table(learning_rate_steps(table)))
                    args.append(Atom(self.fn["learning_rate_table"]))
            if spec.keeps_best_model:  # as LayerLoom's checkpoint: the best model only
                kw = [
                    ("monitor", literal(params.pop("monitor"))),
                    ("mode", literal(params.pop("mode"))),
                    ("save_best_only", literal(True)),
                ]
            else:
                kw = [(k, literal(v)) for k, v in params.items()]
            call = Call(Atom(f"keras.callbacks.{spec.name}"), args, files + kw)
            if spec.needs_package:
                self.optional.append((spec.needs_package, call))
            else:
                out.append(call)
        return out

    def _class_weights(
        self, names: list[str], by_output: dict
    ) -> tuple[list[str], list[tuple[str, Expr]]]:
        """The class weights as fit takes them: `class_weight` for one output; for several,
        lines that weigh each sample by its outputs' classes (Keras' class_weight takes one
        output) and `sample_weight`. Returns (lines, fit keyword arguments)."""

        def table(weights: dict) -> DictDisplay:
            return DictDisplay([(literal(k), literal(v)) for k, v in sorted(weights.items())])

        if not by_output:
            return [], []
        if len(names) == 1:
            return [], [("class_weight", table(by_output[names[0]]))]
        self.functions.append(self._sample_weights_function())
        tables = DictDisplay([(literal(n), table(by_output[n])) for n in names if n in by_output])
        call = Call(Atom(self.fn["class_sample_weights"]), [Atom("y"), literal(names), tables])
        return render(call, "    ", "sample_weight = "), [("sample_weight", Atom("sample_weight"))]

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

    def _lr_table(self, steps: list[tuple[int, float]]) -> list[str]:
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
    relative, _moved = run_file_path(name, default)  # as training places run files
    return Call(Atom("os.path.join"), [literal(OUTPUT_DIR), literal(relative)])


def _per_output(names: list[str], values: dict[str, Expr]) -> Expr:
    if len(names) == 1:
        return values[names[0]]
    return DictDisplay([(literal(n), values[n]) for n in names])


def _activations(model: Any) -> dict[str, str]:
    from app.data.synthetic import output_activation

    return {n: output_activation(model, t) for n, t in zip(model.output_names, model.outputs)}


def _loss_expr(name: str, params: dict | None, activation: str) -> Expr:
    """The loss as compile_model passes it: a name, or a configured keras.losses instance."""
    if name in NO_LOSS:
        return Atom("None")
    cls, params = loss_settings(name, params, activation)
    if not params:
        return literal(name)
    return Call(
        Atom(f"keras.losses.{cls.__name__}"), kwargs=[(k, literal(v)) for k, v in params.items()]
    )


class _ProjectCodeNames:
    """Which loss/metric names compile takes from the project's code: Keras' own first, as in
    app.training.compile."""

    def __init__(self, entries: list) -> None:
        self.entries = entries

    def expr(self, kind: str, name: str) -> Expr | None:
        """The code object's expression, or None if Keras knows the name (or no code has it)."""
        import keras

        from app.compiler.codegen_code import project_code_expr
        from app.project.project_code import find_entry

        entry = find_entry(self.entries, name, kind)
        if entry is None or name in ("accuracy", "acc"):
            return None
        try:
            (keras.losses if kind == "loss" else keras.metrics).get(name)
            return None
        except (ValueError, TypeError):
            return project_code_expr(entry)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
