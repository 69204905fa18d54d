"""Headless commands over the same core as the editor: validate, summary, codegen, import,
train, evaluate, export.

`python -m app validate model.llproj` etc.  Exit codes: 0 fine, 1 the model has errors or
training failed, 2 a file, argument or the data could not be used (the message says why, on
stderr), 130 training was interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

import app
from app.cli_training import add_parsers as add_training_parsers
from app.cli_training import cmd_evaluate, cmd_export, cmd_train
from app.errors import LayerLoomError
from app.model import ModelGraph
from app.project import PROJECT_SUFFIX, Project, load_project, save_project

EXIT_OK, EXIT_MODEL_ERRORS, EXIT_BAD_INPUT = 0, 1, 2


class CliError(LayerLoomError):
    """A command-line problem that is not about a file's content (e.g. a wrong extension)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="layerloom",
        description="LayerLoom: build Keras models as graphs. Without a command, opens the editor.",
    )
    parser.add_argument("--version", action="version", version=f"layerloom {app.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check a project's model; list its problems")
    p.add_argument("project", type=Path, help="a .llproj file")

    p = sub.add_parser("summary", help="a table of layers, output shapes and parameter counts")
    p.add_argument("model", type=Path, help="a .llproj project or a .keras model")

    p = sub.add_parser("codegen", help="write the model as a runnable Keras script")
    p.add_argument("project", type=Path, help="a .llproj file")
    p.add_argument("-o", "--output", type=Path, help="write to this .py file (default: print)")
    p.add_argument(
        "--cluster",
        choices=["tf", "jax"],
        help="train on several machines: tf = MultiWorkerMirroredStrategy with TF_CONFIG; "
        "jax = keras.distribution DataParallel on JAX with KERAS_DISTRIBUTION_* (see the README)",
    )

    p = sub.add_parser(
        "import", help="turn a .keras model or a Keras training script into a LayerLoom project"
    )
    p.add_argument(
        "model",
        type=Path,
        help="a .keras file (checked before anything is loaded), or a .py training script "
        "(run up to its first fit() only with --trust-code)",
    )
    p.add_argument("-o", "--output", type=Path, help="project file (default: MODEL.llproj)")
    p.add_argument("--force", action="store_true", help="overwrite an existing project file")
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds a script may run before its first fit() (default: 600)",
    )

    add_training_parsers(sub)

    sub.add_parser("examples", help="list the bundled example projects")
    for name, p in sub.choices.items():
        if name == "import":
            p.add_argument(
                "--trust-code",
                action="store_true",
                help="run a .py script (and keep its code in the project); never run unless asked",
            )
        elif name != "examples":
            p.add_argument(
                "--trust-code",
                action="store_true",
                help="run the project's custom code: layers, losses, metrics (never run unless asked)",
            )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (never raises for user errors)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, bad arguments
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    handler = COMMANDS[args.command]
    if args.command in KERAS_COMMANDS:
        from app.keras_internals import list_devices_quietly

        list_devices_quietly()
    try:
        if getattr(args, "trust_code", False):
            _trust_code_of(getattr(args, "project", None) or getattr(args, "model", None))
        return handler(args, sys.stdout)
    except LayerLoomError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_BAD_INPUT


# ----- commands -------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    from app.compiler import infer_shapes
    from app.training.adapt import adapt_problems

    project = load_project(args.project)
    for warning in project.warnings:
        print(f"warning: {warning}", file=out)
    report = infer_shapes(project.graph)
    names = _names(project.graph)
    errors = 0
    adapting = adapt_problems(project.graph, has_data=bool(project.data.source))
    for problem in [*report.problems, *adapting]:
        severity = getattr(problem, "severity", "error")
        errors += severity == "error"
        node_id = getattr(problem, "node_id", None)
        where = f" [{names[node_id]}]" if node_id in names else ""
        print(f"{severity}: {problem.message}{where}", file=out)
    if errors:
        print(f"{args.project.name}: {errors} error(s).", file=out)
        return EXIT_MODEL_ERRORS
    print(
        f"{args.project.name}: OK - {len(project.graph)} layers, "
        f"{_count(report.total_params)} parameters.",
        file=out,
    )
    return EXIT_OK


def cmd_summary(args: argparse.Namespace, out: TextIO) -> int:
    from app.compiler import infer_shapes

    graph = _load_graph(args.model)
    report = infer_shapes(graph)
    rows = [("Layer (type)", "Output shape", "Param #")]
    for node_id in graph.topological_order():
        node = graph.node(node_id)
        spec = graph.spec(node_id)
        owner = graph.owner(node_id)
        kind = "Model" if spec.kind == "block" else spec.class_name
        if owner.id != node_id:
            kind += f", shares '{owner.name}'"
        result = report.nodes.get(node_id)
        if result is None or getattr(result, "error", None):
            shape, params = "?", "?"
        else:
            shape = ", ".join(_shape(s) for s in result.output_shapes) or "-"
            params = _count(result.params) if owner.id == node_id else "0"
        rows.append((f"{node.name} ({kind})", shape, params))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    line = "-" * (sum(width) + 4)
    print(f'Model: "{graph.name}"', file=out)
    print(line, file=out)
    for i, (a, b, c) in enumerate(rows):
        print(f"{a:<{width[0]}}  {b:<{width[1]}}  {c:>{width[2]}}", file=out)
        if i == 0:
            print(line, file=out)
    print(line, file=out)
    total, trainable = report.total_params, report.trainable_params
    print(f"Total params: {_count(total)}", file=out)
    print(f"Trainable params: {_count(trainable)}", file=out)
    print(f"Non-trainable params: {_count(total - trainable)}", file=out)
    errors = [p for p in report.problems if getattr(p, "severity", "error") == "error"]
    for problem in errors:
        print(f"error: {problem.message}", file=out)
    return EXIT_MODEL_ERRORS if errors else EXIT_OK


def cmd_codegen(args: argparse.Namespace, out: TextIO) -> int:
    from app.compiler import generate_code

    project = load_project(args.project)
    if args.output is None:
        out.write(generate_code(project.graph, project=project, cluster=args.cluster))
        return EXIT_OK
    from app.compiler.script_files import write_script

    try:  # with the weights file it loads, when the project holds imported weights
        written = write_script(project.graph, project, args.output, cluster=args.cluster)
    except OSError as exc:  # names the user's file (e.g. "the folder ... does not exist")
        raise CliError(f"Could not write '{args.output}': {exc.strerror or exc}.") from None
    for path in written:
        print(f"Wrote {path}", file=out)
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    from app.compiler import load_keras_file

    target = args.output or args.model.with_suffix(PROJECT_SUFFIX)
    if target.exists() and not args.force:
        raise CliError(f"'{target}' already exists; use --force to replace it.")
    if args.model.suffix.lower() == ".py":
        return _import_script(args, target, out)
    graph = load_keras_file(args.model)
    _layout(graph)
    project = Project(name=args.model.stem, graph=graph)
    save_project(project, target)
    print(f"Imported {args.model.name}: {len(graph)} layers -> {target}", file=out)
    return EXIT_OK


def _import_script(args: argparse.Namespace, target: Path, out: TextIO) -> int:
    """`layerloom import SCRIPT.py`: run the trusted script to its first fit, save the project
    and the arrays fit was given (TARGET_data.npz next to it)."""
    from app.compiler.custom_code import HOW_TO_TRUST
    from app.compiler.script_import import import_script

    if not getattr(args, "trust_code", False):
        raise CliError(
            f"{args.model.name} is a Python script: opening it runs it (up to its first fit()); "
            f"{HOW_TO_TRUST}."
        )
    if not args.model.is_file():
        raise CliError(f"'{args.model}' is not a file.")
    data_name = f"{target.stem}_data.npz"
    data_path = target.resolve().parent / data_name
    result = import_script(args.model, data_path, timeout=args.timeout, data_reference=data_name)
    project = result.project
    save_project(project, target)
    for note in result.notes:
        print(f"note: {note}", file=out)
    for problem in result.problems:
        print(f"not taken: {problem}", file=out)
    code = f", {len(project.code)} code entries" if project.code else ""
    data = f"; data -> {result.data_path.name}" if result.data_path else "; no data taken"
    print(
        f"Imported {args.model.name}: {len(project.graph)} layers, {_count(result.params)} "
        f"parameters{code} -> {target}{data}",
        file=out,
    )
    return EXIT_OK


def cmd_examples(args: argparse.Namespace, out: TextIO) -> int:
    from app.project.examples import DEFAULT_EXAMPLE, list_examples

    examples = list_examples()
    if not examples:
        print("No bundled examples found.", file=out)
        return EXIT_OK
    width = max(len(name) for name, _, _ in examples)
    for name, title, _path in examples:
        mark = " (default)" if name == DEFAULT_EXAMPLE else ""
        print(f"{name:<{width}}  {title}{mark}", file=out)
    print(f"\nFolder: {examples[0][2].parent}", file=out)
    return EXIT_OK


KERAS_COMMANDS = {"validate", "summary", "codegen", "import", "train", "evaluate", "export"}
COMMANDS = {
    "validate": cmd_validate,
    "summary": cmd_summary,
    "codegen": cmd_codegen,
    "import": cmd_import,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "export": cmd_export,
    "examples": cmd_examples,
}


# ----- helpers --------------------------------------------------------------------------------


def _trust_code_of(path: Path | None) -> None:
    """Trust the custom layer and project code of the project at `path` in this process
    (--trust-code)."""
    if path is None or path.suffix.lower() in (".keras", ".py"):
        return
    from app.compiler.custom_code import trust_graph, trust_project_code

    project = load_project(path)
    trust_graph(project.graph)
    trust_project_code(project.code)


def _load_graph(path: Path) -> ModelGraph:
    if path.suffix.lower() == ".keras":
        from app.compiler import load_keras_file

        return load_keras_file(path)
    return load_project(path).graph


def _layout(graph: ModelGraph) -> None:
    try:
        from app.compiler import layout_graph
    except ImportError:  # layout is a nicety; the graph is complete without it
        return
    layout_graph(graph)


def _names(graph: ModelGraph) -> dict[str, str]:
    return {n.id: n.name for _, g in graph.walk() for n in g.nodes()}


def _shape(shape: Any) -> str:
    if shape is None:
        return "?"
    dims = ["None" if d is None else str(d) for d in shape]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


def _count(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) else "?"


if __name__ == "__main__":
    sys.exit(main())
