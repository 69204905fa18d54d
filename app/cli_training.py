"""The training commands of the CLI: train, evaluate and export (from a run or a fresh build).

`layerloom train` goes through app.training.headless.train_cli -> train_project -> Trainer, the
same code path as the editor's Train button, and writes the same run folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from app.errors import LayerLoomError
from app.project import Project, load_project, save_project
from app.project.examples import is_example
from app.project.runs import is_rate_column
from app.project.training_config import DEVICES
from app.training.export import EXPORT_FORMATS, ExportFormat, format_for

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_STOPPED = 0, 1, 2, 130


class CliTrainingError(LayerLoomError):
    """A train / evaluate / export request that cannot be carried out (wrong name, no run...)."""


def add_parsers(sub: Any) -> None:
    """Register train, evaluate and export on the CLI's subparsers."""
    p = sub.add_parser("train", help="train a project's model with its data and training settings")
    p.add_argument("project", type=Path, help="a .llproj file")
    p.add_argument("--epochs", type=_positive, help="train this many epochs instead")
    p.add_argument("--out", type=Path, help="runs folder (default: PROJECT_runs next to it)")
    p.add_argument("--max-samples", type=_positive, help="use at most this many training samples")
    p.add_argument("--no-save", action="store_true", help="do not add the run to the project file")
    p.add_argument(
        "--folds",
        type=_at_least_two,
        metavar="K",
        help="k-fold cross-validation with K folds (one run per fold), whatever the data "
        "settings' validation; prints each fold and the mean ± std of every metric",
    )
    p.add_argument(
        "--devices",
        choices=list(DEVICES),
        help="train on this CPU, one GPU or all GPUs (MirroredStrategy; the batch size is the "
        "global batch) instead of the training settings' devices; without a GPU, the CPU",
    )

    p = sub.add_parser("evaluate", help="metrics of a run's model on the project's data")
    p.add_argument("project", type=Path, help="a .llproj file")
    p.add_argument(
        "--run",
        default="latest",
        help="run id or folder name (default: latest; of a k-fold cross-validation, its last "
        "fold, evaluated on the part that fold held out)",
    )
    p.add_argument("--split", choices=("val", "train"), default="val", help="data to evaluate on")
    p.add_argument("--max-samples", type=_positive, help="use at most this many samples")

    outputs = [f"FILE{f.suffix}" for f in EXPORT_FORMATS.values() if not f.folder]
    outputs += [f"a folder ({f.label})" for f in EXPORT_FORMATS.values() if f.folder]
    p = sub.add_parser(
        "export", help="save the model: " + ", ".join(f.label for f in EXPORT_FORMATS.values())
    )
    p.add_argument("project", type=Path, help="a .llproj file")
    p.add_argument("-o", "--output", type=Path, required=True, help=" or ".join(outputs))
    p.add_argument("--format", choices=list(EXPORT_FORMATS), help="default: from the output's name")
    p.add_argument(
        "--run",
        help="export this run's best (else final) model instead of a new one ('latest' of a "
        "k-fold cross-validation is its last fold)",
    )


def _at_least_two(text: str) -> int:
    value = _positive(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"k-fold needs at least 2 folds, got {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


# ----- train ----------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    """Train; progress on stderr, the result on `out`; the run is added to the project."""
    from app.training.headless import train_cli

    try:
        project = load_project(args.project)
    except LayerLoomError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for warning in project.warnings:  # e.g. imported weights that did not load: say so first
        print(f"warning: {warning}", file=sys.stderr)
    # A bundled example stays as shipped (its folder is read-only once installed): its runs go
    # to the user's data folder (project.runs_dir says where) and are not added to it.
    example = is_example(args.project)
    records = []
    code = train_cli(
        project,
        epochs=args.epochs,
        out_dir=args.out,
        stream=sys.stderr,
        max_samples=args.max_samples,
        on_record=records.append,
        folds=args.folds,
        devices=args.devices,
    )
    if not records:  # training never started (bad model or data): nothing to record
        return code
    for rec in records:
        _print_run(rec, out)
    if records[-1].group is not None:
        _print_group_summary(records, out)
    if len(records) > 1:
        print(f"Run folders in: {Path(records[-1].path).parent}", file=out)
    else:
        print(f"Run folder: {records[-1].path}", file=out)
    if example and not args.no_save:
        print(
            f"{args.project.name} is a bundled example and stays unchanged; copy it to keep "
            f"its runs in the project.",
            file=out,
        )
    elif not args.no_save:
        for rec in records:
            project.add_run(rec)
        try:
            save_project(project)
        except LayerLoomError as exc:
            print(f"warning: the run was not added to the project: {exc.message}", file=sys.stderr)
            return code or EXIT_BAD_INPUT
        print(
            f"Added the {len(records)} runs to {args.project.name}."
            if len(records) > 1
            else f"Added the run to {args.project.name}.",
            file=out,
        )
    return code


def _print_run(rec: Any, out: TextIO) -> None:
    fold = f"Fold {rec.fold + 1}/{rec.folds}: run" if rec.group is not None else "Run"
    print(
        f"{fold} {rec.id} {rec.status} after {rec.epochs_done} epoch(s) in {rec.duration_s:.1f} s.",
        file=out,
    )
    if rec.message:
        print(rec.message, file=out)
    for key, value in sorted(rec.best_metrics.items()):
        if key == "best_epoch":
            print(f"  best model from epoch {value:.0f}", file=out)
        elif key.startswith("val_"):
            print(f"  best {key}: {value:.4g}", file=out)


def _print_group_summary(records: list, out: TextIO) -> None:
    """The k-fold group's mean ± std (population) of each final and best metric."""
    from app.project.run_groups import group_runs

    group = group_runs(records)[-1]
    print(
        f"Cross-validation {group.id}: {group.done}/{group.folds} folds completed "
        f"(mean ± std over the completed folds).",
        file=out,
    )
    for title, values in (("final", group.final_spread()), ("best", group.best_spread())):
        for key, (mean, std) in values.items():
            if key != "best_epoch" and not is_rate_column(key):
                print(f"  {title} {key}: {mean:.4f} ± {std:.4f}", file=out)


# ----- evaluate -------------------------------------------------------------------------------


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    """Metrics (and for classifiers the per-class report) of a run's saved model."""
    from app.data import load_dataset
    from app.project.settings import settings_from_project
    from app.training.evaluate import classification_report, evaluate

    project = load_project(args.project)
    rec, model_file = _run_model_file(project, args.run)
    note = _unfinished_note(rec, model_file)
    if note:
        print(note, file=out)
    model = _load_model(model_file, project)
    data, training = settings_from_project(project)
    if args.max_samples:
        data["max_samples"] = args.max_samples
    if rec.group is not None:  # a fold's model is judged on the part that fold held out
        data.update(validation="kfold", folds=rec.folds)
    dataset = load_dataset(data, model, fold=rec.fold, shuffle=training.get("shuffle", True))
    maps = {"input_map": data.get("input_map"), "output_map": data.get("output_map")}
    if args.split == "val" and dataset.x_val is None:
        raise CliTrainingError("The data settings hold out no validation data; use --split train.")
    if project.training.step:  # the step's test_step, made around the run's model
        from app.model.grouping import block_names
        from app.training.step_model import evaluate_with_step

        metrics = evaluate_with_step(
            model, project.training, project.code, dataset, args.split,
            block_names(project.graph), **maps,
        )  # fmt: skip
    else:
        metrics = evaluate(model, dataset, args.split, **maps)
    n = dataset.num_val_samples if args.split == "val" else dataset.num_samples
    split = "validation" if args.split == "val" else "training"
    print(f"Run {rec.id}, {model_file.name}, on {n} {split} samples:", file=out)
    for key, value in metrics.items():
        print(f"  {key}: {value:.4f}", file=out)
    if dataset.task == "classification" and len(model.output_names) == 1:
        report = classification_report(model, dataset, split=args.split, **maps)
        print("  class  precision  recall  support", file=out)
        for row in report["per_class"]:
            print(
                f"  {row['class']:>5}  {row['precision']:9.3f}  {row['recall']:6.3f}  "
                f"{row['support']:7d}",
                file=out,
            )
    _print_text_predictions(model, dataset, args.split, maps, out)
    return EXIT_OK


TEXT_PREDICTIONS = 5  # samples whose text `evaluate` prints beside the predictions


def _print_text_predictions(model: Any, dataset: Any, split: str, maps: dict, out: TextIO) -> None:
    """For data with text inputs, the first few samples: each output's prediction (and the
    true value) with the sample's text, as the evaluation panel shows them."""
    import numpy as np

    from app.data.dataset import is_text
    from app.data.suggest import text_cell
    from app.training.evaluate import prediction_preview

    x = dataset.x_val if split == "val" else dataset.x
    texts = {k: np.ravel(v[:TEXT_PREDICTIONS]) for k, v in (x or {}).items() if is_text(v)}
    if not texts:
        return
    rows = prediction_preview(model, dataset, TEXT_PREDICTIONS, split, **maps)
    samples = min(TEXT_PREDICTIONS, *(len(v) for v in texts.values()))
    print(f"  Predictions on the first {samples} samples:", file=out)
    for i in range(samples):
        said = [_said(r) for r in rows if r["index"] == i]
        print(f"  {i + 1}. " + "; ".join(said), file=out)
        for name, values in texts.items():
            print(f"     {name}: {text_cell(values[i])}", file=out)


def _said(row: dict) -> str:
    """One output's prediction: "department: billing (0.91), true billing"."""
    text = f"{row['output']}: {_value(row.get('predicted'))}"
    if "confidence" in row:
        text += f" ({row['confidence']:.2f})"
    if row.get("true") is not None:
        text += f", true {_value(row['true'])}"
    return text


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(f"{v:.4g}" for v in value) if len(value) > 1 else f"{value[0]:.4g}"
    return str(value)


# ----- export ---------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    """Export a run's model or a freshly built one in the format the name (or --format) says."""
    target: Path = args.output
    fmt = EXPORT_FORMATS[args.format] if args.format else _format_of(target)
    if not target.parent.is_dir():
        raise CliTrainingError(f"The folder '{target.parent}' does not exist.")
    _check_name(fmt, target)
    missing = fmt.missing()
    if missing:
        raise CliTrainingError(missing + ".")
    project = load_project(args.project)
    if args.run:
        rec, model_file = _run_model_file(project, args.run)
        note = _unfinished_note(rec, model_file)
        if note:
            print(note, file=out)
        model = _load_model(model_file, project)
        source = f"run {rec.id} ({model_file.name})"
    else:
        from app.training.export import build_for_export

        model = build_for_export(project.graph)
        source = "a new build (untrained weights)"
    fmt.write(model, target)
    print(
        f"Exported {project.name} from {source}, {model.count_params():,} parameters -> "
        f"{target} ({fmt.key})",
        file=out,
    )
    return EXIT_OK


def _format_of(path: Path) -> ExportFormat:
    fmt = format_for(path)
    if fmt is None:
        files = ", ".join(f.suffix for f in EXPORT_FORMATS.values() if not f.folder)
        folders = " or ".join(f.key for f in EXPORT_FORMATS.values() if f.folder)
        raise CliTrainingError(
            f"Cannot tell the export format from '{path.name}': name a {files} file, "
            f"or a folder with --format {folders}."
        )
    return fmt


def _check_name(fmt: ExportFormat, path: Path) -> None:
    if not fmt.matches(path):
        raise CliTrainingError(
            f"A {fmt.key} export must be written to a {fmt.suffix} file, not '{path.name}'."
        )
    if fmt.folder and path.exists() and not path.is_dir():
        raise CliTrainingError(f"A {fmt.label} is a folder; '{path.name}' is a file.")


# ----- runs -----------------------------------------------------------------------------------


def _run_model_file(project: Project, key: str) -> tuple[Any, Path]:
    """(run record, its best model file or else its final one); plain errors otherwise."""
    from app.project.runs import BEST_MODEL
    from app.training.runs import FINAL_MODEL, load_run

    rec = project.find_run(key)  # recorded runs and those in its runs folder
    if rec is None and Path(key).is_dir():
        rec = load_run(key)  # a run folder given by path
    if rec is None:
        known = ", ".join(r.id for r in project.run_records()) or "none yet"
        raise CliTrainingError(
            f"The project has no run '{key}' (runs: {known}). Train first "
            f"with: layerloom train {project.path.name if project.path else ''}"
        )
    folder = Path(rec.path)
    for name in (rec.best_model or BEST_MODEL, rec.final_model or FINAL_MODEL):
        if (folder / name).is_file():
            return rec, folder / name
    if rec.status == "interrupted":
        raise CliTrainingError(
            f"Run {rec.id} was interrupted after {_epochs(rec.epochs_done)} (the process that "
            f"ran it ended before it finished) and saved no model in {folder}; train again."
        )
    raise CliTrainingError(f"Run {rec.id} has no saved model in {folder} (status {rec.status}).")


def _unfinished_note(rec: Any, model_file: Path) -> str:
    """A sentence saying that the run's model comes from a run that did not finish, or from one
    fold of a k-fold cross-validation ('' if neither): evaluate and export never use one
    silently."""
    notes = []
    if rec.group is not None:
        notes.append(
            f"Note: run {rec.id} is fold {rec.fold + 1} of {rec.folds} of cross-validation "
            f"{rec.group} ('latest' is the last fold trained); using its {model_file.name}. "
            f"Name another fold's run id with --run."
        )
    unfinished = _status_note(rec, model_file)
    return " ".join([*notes, unfinished] if unfinished else notes)


def _status_note(rec: Any, model_file: Path) -> str:
    if rec.status == "interrupted":
        return (
            f"Note: run {rec.id} was interrupted after {_epochs(rec.epochs_done)} (the process "
            f"that ran it ended before it finished); using the best model it saved, "
            f"{model_file.name}."
        )
    if rec.status == "running":
        return (
            f"Note: run {rec.id} is still training; using the best model it has saved so far, "
            f"{model_file.name}."
        )
    return ""


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' * (n != 1)}"


def _load_model(path: Path, project: Project) -> Any:
    """A run's .keras file, through the checks every .keras file gets, compiled for evaluation.

    Besides Keras and LayerLoom, the file may name the project's code (custom layers, losses,
    metrics); that code runs only if trusted (--trust-code).
    """
    from app.training.run_model import load_run_model

    try:
        return load_run_model(path, project)
    except LayerLoomError as exc:
        raise CliTrainingError(
            f"The run's model in {path.parent} cannot be loaded: {exc.message}", path=str(path)
        ) from None
