"""Open a Keras training script as a project: the inverse of the code generator.

`import_script(script, data_path)` runs the (trusted) script in a child process up to its first
fit() (capture.run_script, runner.py), then builds a Project from what it took: the model as a
graph (its custom layers as CustomLayer nodes with their source), compile and fit settings
(training_of), the script's own losses, metrics, callbacks and schedules as project code, and
the arrays given to fit as an .npz data source written to `data_path`.  What could not be taken
is listed in ScriptImport.problems / notes; what could be taken is still returned.

Nothing here runs the script unless the caller has the user's trust: the CLI asks for
--trust-code, the GUI for the trust dialog.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.compiler.script_import.capture import Capture, ScriptImportError, run_script
from app.errors import CompileError, ImportModelError
from app.project import Project
from app.project.project_code import CODE_KINDS, CodeEntry
from app.project.settings import DataSettings

__all__ = ["ScriptImport", "ScriptImportError", "import_script", "SCRIPT_SUFFIX"]

SCRIPT_SUFFIX = ".py"


@dataclass
class ScriptImport:
    """The project made from a script, and in words what was and was not taken."""

    project: Project
    problems: list[str] = field(default_factory=list)  # what could not be taken
    notes: list[str] = field(default_factory=list)  # what was taken differently
    data_path: Path | None = None
    params: int = 0


def import_script(
    script: str | os.PathLike,
    data_path: str | os.PathLike,
    *,
    timeout: float | None = None,
    cancelled: Callable[[], bool] | None = None,
    data_reference: str | None = None,
) -> ScriptImport:
    """Run `script` (already trusted by the user) and turn what it trains into a Project.

    The arrays given to fit are written to `data_path` (an .npz); the project's data settings
    name it as `data_reference` (default: its absolute path), e.g. a name relative to where the
    project will be saved.  ScriptImportError when nothing could be taken.
    """
    script = Path(script).resolve()
    with tempfile.TemporaryDirectory(prefix="layerloom-script-") as tmp:
        kwargs: dict[str, Any] = {"cancelled": cancelled}
        if timeout is not None:
            kwargs["timeout"] = timeout
        capture = run_script(script, tmp, **kwargs)
        return _assemble(script, capture, Path(data_path), data_reference)


def _assemble(
    script: Path, capture: Capture, data_path: Path, data_reference: str | None
) -> ScriptImport:
    from app.compiler.custom_code import SERIALIZABLE_PACKAGE, load_custom_class, trust
    from app.compiler.importer import import_model
    from app.compiler.keras_file import load_checked_model
    from app.compiler.layout import layout_graph
    from app.compiler.script_import.training_of import training_of

    result = capture.result
    problems = list(capture.problems)
    notes = [str(n) for n in result.get("notes") or [] if isinstance(n, str)]
    if not result.get("captured"):
        raise ScriptImportError(
            " ".join(problems) or f"{script.name} never started training.", path=str(script)
        )
    code_items = [c for c in result.get("code") or [] if _is_code_item(c)]
    custom_objects: dict[str, Any] = {}
    custom_layers: dict[type, str] = {}
    for item in code_items:
        if item["kind"] != "layer":
            continue
        own = _layerloom_class(item)
        if own is not None:  # LayerLoom's own layer, as generated scripts paste it
            custom_objects[item["name"]] = own
            custom_objects[f"{SERIALIZABLE_PACKAGE}>{item['name']}"] = own
            continue
        trust(item["source"])  # the user trusted the script it comes from
        try:
            cls = load_custom_class(item["source"], item["name"], item["name"])
        except CompileError as exc:
            problems.append(exc.message)
            continue
        custom_objects[item["name"]] = cls
        custom_layers[cls] = item["source"]
    model_file = capture.file("model_file")
    if model_file is None:
        raise ScriptImportError(
            " ".join(problems) or f"{script.name} gave no model LayerLoom can draw.",
            path=str(script),
        )
    model = load_checked_model(model_file, custom_objects=custom_objects)
    try:
        graph = import_model(model, custom_layers=custom_layers)
    except ImportModelError as exc:
        raise ScriptImportError(f"{script.name}: {exc.message}", path=str(script)) from None
    graph.name = model.name
    _leave_adapting_to_runs(graph, result.get("adapted"))
    layout_graph(graph)
    taken = training_of(result, model)
    notes += taken.notes
    if taken.training.step and taken.training.step["models"]:
        _blocks_by_id(taken.training.step, graph, problems)
    code: list[CodeEntry] = []
    for item in code_items:
        kind = taken.code_kinds.get(item["name"]) or _kind_of(item)
        if kind == "layer":
            continue
        if kind not in CODE_KINDS:
            problems.append(_not_kept(item, kind))
            continue
        trust(item["source"])
        code.append(CodeEntry(kind, item["name"], item["source"]))
    project = Project(name=script.stem, graph=graph, training=taken.training, code=code)
    project.trusted_code = True
    out = ScriptImport(project, problems, notes, params=int(model.count_params()))
    data_file = capture.file("data_file")
    if data_file is not None:
        from app.data.files import npz_arrays

        npz_arrays(data_file)  # headers checked (DataError) before the file is used
        data_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_file, data_path)
        project.data = _data_settings(result, data_reference or str(data_path))
        out.data_path = data_path
    return out


def _data_settings(result: dict[str, Any], reference: str) -> DataSettings:
    names = result.get("array_names") or {}
    xs = names.get("x") or {}
    ys = names.get("y") or {}
    arrays = result.get("arrays") or {}
    data = DataSettings(source="numpy")
    x = [xs[k] for k in xs if xs[k] in arrays]
    y = [ys[k] for k in ys if ys[k] in arrays]
    x_val = ["val_" + n for n in x if "val_" + n in arrays]
    y_val = ["val_" + n for n in y if "val_" + n in arrays]
    data.options = {"path": reference, "x": x, "y": y}
    kfold = result.get("kfold")
    if x_val:
        data.options.update({"x_val": x_val, "y_val": y_val})
        data.validation = "source"
    elif isinstance(kfold, dict):  # the whole data set; each fold is cut from it as the script's
        data = DataSettings.from_dict(
            {
                "source": "numpy",
                "options": data.options,
                "validation": "kfold",
                "folds": kfold.get("folds"),
                "seed": kfold.get("seed", data.seed),
                "normalization": kfold.get("normalization", "none"),
            }
        )
    else:
        data.validation = "none"
    data.output_map = {k: v for k, v in ys.items() if k != v and v in arrays}
    weights = result.get("weights") or {}
    for option in ("weights", "weights_val"):  # the sample weights given to fit
        if isinstance(weights.get(option), str) and weights[option] in arrays:
            data.options[option] = weights[option]
    if "weights_val" in data.options and not x_val:
        del data.options["weights_val"]
    return data


def _blocks_by_id(step: dict[str, Any], graph: Any, problems: list[str]) -> None:
    """The step's "models" name sub-models; the project names blocks by node id."""
    from app.model.grouping import block_names

    ids = {name: node_id for node_id, name in block_names(graph).items() if node_id != name}
    for param, name in list(step["models"].items()):
        if name in ids:
            step["models"][param] = ids[name]
        else:
            problems.append(f"The training step's '{param}' ({name}) is not a block of the graph.")
            del step["models"][param]


def _layerloom_class(item: dict[str, Any]) -> type | None:
    """LayerLoom's own layer class (app.compiler.custom_layers) if the script's class is its
    code (generated scripts paste it), else None."""
    import inspect

    from app.compiler.custom_layers import ensure_registered

    for cls in ensure_registered().values():
        if cls.__name__ == item["name"]:
            ours = _class_tree(inspect.getsource(cls), cls.__name__)
            if ours is not None and ours == _class_tree(item["source"], item["name"]):
                return cls
    return None


def _class_tree(source: str, name: str) -> str | None:
    import ast
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            node.decorator_list = []
            return ast.dump(node)
    return None


def _is_code_item(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("name"), str)
        and item["name"].isidentifier()
        and isinstance(item.get("source"), str)
        and isinstance(item.get("kind"), str)
    )


def _kind_of(item: dict[str, Any]) -> str:
    return str(item["kind"])


def _not_kept(item: dict[str, Any], kind: str) -> str:
    if kind == "model":
        return (
            f"{item['name']} (a keras.Model subclass with its own training step) is not kept: "
            "the project trains with Keras' standard step."
        )
    return f"{item['name']} ({kind}) is not kept."


def _leave_adapting_to_runs(graph: Any, adapted: Any) -> None:
    """Drop the learned state of the layers the script adapts itself before fit: each run
    adapts them from its own training split (app.training.adapt), as the script does, so the
    project does what the script does rather than freezing one run's vocabulary."""
    from app.nodes import REGISTRY
    from app.nodes.learned_state import learns_state, without_state

    names = {a for a in adapted or [] if isinstance(a, str)}
    for node in list(graph.nodes()):
        spec = REGISTRY.get(node.spec_id)
        if node.name in names and learns_state(spec):
            graph.update_node(node.id, params=without_state(spec, node.params))
