"""The training part of a script that trains on several machines (`codegen --cluster tf`).

The script builds and compiles the model as the normal script does (the project's losses, loss
weights, metrics and optimizer), but trains under tf.distribute.MultiWorkerMirroredStrategy,
which reads the cluster from the TF_CONFIG environment variable, with a custom training loop
(strategy.run around a GradientTape step): Keras 3's model.fit is broken under that strategy
with TensorFlow (keras-team/keras#20585, tensorflow#72388).  The data is a tf.data pipeline
sharded by worker (experimental_distribute_dataset, AutoShardPolicy.DATA); the project's batch
size is the global batch.  Every worker saves the model (saving reads distributed variables,
which takes all workers), the chief to the path asked for, the others to a temporary folder
they delete, as TensorFlow's multi-worker guide does.

What a custom loop cannot reproduce is refused in words (ClusterError): a project training
step, k-fold cross-validation, sample or class weights.  Callbacks and the validation split are
left out, and the script's docstring says so.
"""

from __future__ import annotations

from typing import Any

from app.compiler.codegen_expr import Atom, Call, render
from app.compiler.codegen_training import TrainingCode
from app.errors import LayerLoomError

CLUSTERS = ("tf", "jax")  # jax: app.compiler.codegen_cluster_jax


class ClusterError(LayerLoomError):
    """The project's training cannot be written as a multi-worker script."""


def refusal(project: Any, problem: str | None) -> str | None:
    """Why no cluster script can be written for `project` (None: it can)."""
    if project is None or getattr(project, "training", None) is None:
        return "The project has no training settings: a cluster script trains, so it needs them."
    if getattr(project, "data", None) is None:
        return "The project has no data source: a cluster script trains on the project's data."
    return problem


def one_model_training(project: Any, why_no_step: str) -> Any:
    """The project's TrainingConfig, when a cluster script can train it: one model, trained by
    Keras' own step (`why_no_step` says why the script cannot run the project's step)."""
    from app.data import DataConfig
    from app.project.settings import settings_from_project
    from app.project.training_config import TrainingConfig

    data_dict, training_dict = settings_from_project(project)
    config = TrainingConfig.from_dict(training_dict)
    if config.step:
        raise ClusterError(
            f"The project trains with its own training step; {why_no_step}. Train it with the "
            "normal script (codegen without --cluster)."
        )
    if DataConfig.from_dict(data_dict).validation == "kfold":
        raise ClusterError(
            "The project uses k-fold cross-validation; the cluster script trains one model. "
            "Choose a validation split (or none) to write it."
        )
    return config


def main_lines(epochs: int, saver: str, part: str, train: list[str], fn: dict) -> list[str]:
    """The cluster script's main: its arguments (--epochs, --save, --{part}-weights), the
    `train` lines, the save (by `saver` only) and this {part}'s final weights if asked."""
    flag = f"{part}_weights"
    return [
        "    parser = argparse.ArgumentParser()",
        f'    parser.add_argument("--epochs", type=int, default={epochs}, help="epochs to train")',
        f'    parser.add_argument("--save", default="trained_model.keras", '
        f'help="the model {saver} saves")',
        "    parser.add_argument(",
        f'        "--{part}-weights", help="also save this {part}\'s final weights (.npz)"',
        "    )",
        "    args = parser.parse_args()",
        *train,
        f"    {fn['save_model']}(model, args.save)",
        f"    if args.{flag}:",
        f"        np.savez(args.{flag}, *model.get_weights())",
    ]


class ClusterTrainingCode(TrainingCode):
    """TrainingCode for MultiWorkerMirroredStrategy: a custom loop instead of fit."""

    def _write(self, graph: Any, project: Any, names: Any) -> None:
        config = one_model_training(project, "the cluster script's custom loop cannot run it")
        for k in ("is_chief", "save_model"):
            self.fn[k] = names.new(k)
        self.config = config
        super()._write(graph, project, names)
        # The strategy must exist before TensorFlow runs anything else (seed, policy).
        self.preamble = self.strategy_lines + [
            ln for ln in self.preamble if ln not in self.strategy_lines
        ]
        self._import(("tempfile", None, None))
        self._import(("shutil", None, None))
        self._import(("os", None, None))
        self.functions += [self._is_chief_function(), self._save_function()]
        fn = self.fn
        self.main = main_lines(
            config.epochs, "the chief", "worker", [f"    {fn['train']}(model, args.epochs)"], fn
        )

    def _devices(self, devices: str) -> list[str]:
        """The devices setting gives way to the cluster: every worker's devices take part."""
        self._import(("tensorflow", None, "tf"))
        self.strategy = name = self.fn["strategy"]
        self.strategy_lines = [
            "# Every worker runs this script; TF_CONFIG says which one it is (see the README).",
            f"{name} = tf.distribute.MultiWorkerMirroredStrategy()",
        ]
        return list(self.strategy_lines)

    def _train_function(self, graph: Any, model: Any, config: Any, dc: Any) -> list[str]:
        from app.compiler.codegen_adapt import adapt_lines

        if getattr(dc, "weighted", False):
            raise ClusterError(
                "The data has sample weights; the cluster script does not weigh samples."
            )
        if config.class_weights_by_output(list(model.output_names)):
            raise ClusterError(
                "The training settings set class weights; the cluster script does not weigh "
                "classes."
            )
        fn, strategy = self.fn, self.strategy
        shuffle = config.seed if config.seed is not None else 0
        compile_call = Call(Atom("model.compile"), kwargs=self._compile_kwargs(model, config, dc))
        body = [
            '    """Train with a custom loop under the strategy; the chief prints each epoch.',
            "",
            "    Each global batch (the project's batch size) is split between the workers'",
            "    replicas; a last batch smaller than that is left out of the epoch.  Callbacks and",
            '    the validation data are not used here: evaluate the saved model instead."""',
            f"    (x, y), _validation = {fn['load_data']}()",
            *adapt_lines(graph, model),
            f"    with {strategy}.scope():",
            *render(compile_call, "        "),
            "        model.optimizer.build(model.trainable_variables)",
            '        loss_mean = keras.metrics.Mean(name="loss")',
            "    options = tf.data.Options()",
            "    options.experimental_distribute.auto_shard_policy = (",
            "        tf.data.experimental.AutoShardPolicy.DATA",
            "    )",
            "    data = tf.data.Dataset.from_tensor_slices((x, y))",
        ]
        if config.shuffle:  # the same order on every worker: each takes its part of it
            body.append(
                "    data = data.shuffle(len(tf.nest.flatten(x)[0]), "
                f"seed={shuffle}, reshuffle_each_iteration=True)"
            )
        body += [
            f"    data = data.batch({config.batch_size}, drop_remainder=True).with_options(options)",
            f"    batches = {strategy}.experimental_distribute_dataset(data)",
            "",
            "    def replica_step(x, y):",
            "        with tf.GradientTape() as tape:",
            "            y_pred = model(x, training=True)",
            "            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)",
            "            scaled = model.optimizer.scale_loss(loss)",
            "        gradients = tape.gradient(scaled, model.trainable_variables)",
            "        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))",
            "        # Keras scales the loss by 1/replicas for the gradient sum: undo it for the log.",
            f"        loss_mean.update_state(loss * {strategy}.num_replicas_in_sync)",
            "        model.compute_metrics(x, y, y_pred)",
            "",
            "    @tf.function",
            "    def train_step(batch):",
            f"        {strategy}.run(replica_step, args=batch)",
            "",
            f"    chief = {fn['is_chief']}()",
            "    logs = {}",
            "    for epoch in range(epochs):",
            "        loss_mean.reset_state()",
            "        for metric in model.metrics:",
            "            metric.reset_state()",
            "        for batch in batches:",
            "            train_step(batch)",
            '        logs = {"loss": float(loss_mean.result())}',
            "        for name, value in model.get_metrics_result().items():",
            '            if name != "loss":',
            "                logs[name] = float(value)",
            "        if chief:",
            '            shown = "  ".join(f"{k}: {v:.4f}" for k, v in logs.items())',
            '            print(f"Epoch {epoch + 1}/{epochs}  {shown}", flush=True)',
            "    return logs",
        ]
        return [f"def {fn['train']}(model, epochs={config.epochs}):", *body]

    def _is_chief_function(self) -> list[str]:
        return [
            f"def {self.fn['is_chief']}():",
            '    """True on the chief: the "chief" task, else worker 0 (or a single process)."""',
            f"    resolver = {self.strategy}.cluster_resolver",
            "    task_type, task_id = resolver.task_type, resolver.task_id",
            '    if task_type is None or task_type == "chief":',
            "        return True",
            '    has_chief = "chief" in resolver.cluster_spec().as_dict()',
            '    return task_type == "worker" and task_id == 0 and not has_chief',
        ]

    def _save_function(self) -> list[str]:
        fn = self.fn
        return [
            f"def {fn['save_model']}(model, path):",
            '    """Every worker saves (it takes them all); only the chief\'s file is kept."""',
            f"    if {fn['is_chief']}():",
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


def check_cluster(name: str) -> None:
    """ClusterError unless `name` is a cluster kind codegen writes."""
    if name not in CLUSTERS:
        raise ClusterError(
            f"Unknown cluster {name!r}: codegen writes {', '.join(map(repr, CLUSTERS))}."
        )
