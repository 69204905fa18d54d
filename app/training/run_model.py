"""Loading a run's saved model (best.keras / final.keras) with the project's own code.

A run of a project with custom layers or project code (losses, metrics, schedules) saves a
.keras file that names those classes (layerloom_custom>Name) but does not hold their code: the
code stays in the project.  `load_run_model` gives Keras exactly the classes the file names,
taken from the project and only once trusted, after the checks every .keras file gets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.compiler.custom_code import code_object, load_custom_class
from app.compiler.keras_file import ProjectCodeModelError, load_checked_model
from app.errors import ImportModelError
from app.model.graph import ModelGraph
from app.nodes import REGISTRY
from app.nodes.custom_code_specs import CUSTOM_LAYER_SPEC_ID
from app.project.project_code import find_entry


def load_run_model(path: str | Path, project: Any, *, compile: bool = True) -> Any:
    """The keras.Model of a run file of `project`, its code classes supplied from the project.

    Raises CompileError (plain words, how to trust) when the file names project code that is
    not trusted, and the checker's error when it names code the project no longer has.
    Nothing runs before the file passed the checks and the code is trusted.
    """
    return _load_with_project(path, project, compile)[0]


def run_model_graph(path: str | Path, project: Any) -> ModelGraph:
    """An editable graph of a .keras file that names `project`'s classes (a run's model, an
    export of the project's model), those classes supplied from the project as for
    `load_run_model`: its custom layers (subclassed keras.Models used as layers too) become
    CustomLayer nodes carrying the project's code for them.

    Refused in words, with nothing run, when that code is not trusted or the project does not
    define a class the file names.
    """
    import keras

    from app.compiler.importer import import_model

    model, custom = _load_with_project(path, project, compile=False)
    layers = {
        obj: project_layer_source(project, name)
        for name, obj in custom.items()
        if isinstance(obj, type) and issubclass(obj, keras.layers.Layer)
    }
    try:
        return import_model(model, custom_layers={k: v for k, v in layers.items() if v})
    except ImportModelError as exc:
        raise type(exc)(f"{Path(path).name}: {exc.message}", path=str(path)) from None


def project_defines(project: Any, names: list[str]) -> bool:
    """True if `project` defines every class or function in `names` (project code or a custom
    layer node's class); reads the project only, runs nothing."""
    return all(
        find_entry(project.code, n) is not None or project_layer_source(project, n) is not None
        for n in names
    )


def untrusted_names(project: Any, names: list[str]) -> list[str]:
    """The names in `names` whose code in `project` is not trusted yet (nothing runs)."""
    from app.compiler.custom_code import is_trusted

    out = []
    for name in names:
        entry = find_entry(project.code, name)
        source = entry.source if entry is not None else project_layer_source(project, name)
        if source is not None and not is_trusted(source):
            out.append(name)
    return out


def project_layer_source(project: Any, name: str) -> str | None:
    """The code of the custom layer node of `project` whose class is `name`, or None."""
    found = _custom_layer_node(project, name)
    return None if found is None else found[1]


def _custom_layer_node(project: Any, name: str) -> tuple[Any, str] | None:
    """The custom layer node of `project` (at any level) whose class is `name`, and its code."""
    for _, g in project.graph.walk():
        for node in g.nodes():
            spec = REGISTRY.get(node.spec_id)
            if spec is None or spec.id != CUSTOM_LAYER_SPEC_ID:
                continue
            params = {**spec.defaults(), **node.params}
            if params.get("class_name") == name:
                return node, params["code"]
    return None


def _load_with_project(path: str | Path, project: Any, compile: bool) -> tuple[Any, dict]:
    """(the model, {name: the project's object} for every project name the file holds)."""
    import app.compiler.custom_layers  # noqa: F401  (Sampling, KLDivergence)

    custom: dict[str, Any] = {}
    while True:
        try:
            return load_checked_model(path, compile=compile, custom_objects=custom), custom
        except ProjectCodeModelError as exc:
            missing = [n for n in exc.class_names if n not in custom]
            found = {n: project_object(project, n) for n in missing}
            if not missing or None in found.values():
                gone = ", ".join(n for n, obj in found.items() if obj is None) or ", ".join(
                    exc.class_names
                )
                raise ProjectCodeModelError(
                    f"{Path(path).name} names project code ({gone}) that {project.name or 'the project'} "
                    "no longer defines: the code was renamed or removed after the run. Put it back "
                    "under that name, or train again.",
                    exc.class_names,
                    path=str(path),
                ) from None
            custom.update(found)


def project_object(project: Any, name: str) -> Any:
    """The class or function `name` as the project defines it (project code first, then the
    custom layer nodes of its graph), or None if it defines no such name; untrusted code is
    refused (CompileError) before it runs."""
    entry = find_entry(project.code, name)
    if entry is not None:
        return code_object(entry)
    found = _custom_layer_node(project, name)
    if found is None:
        return None
    node, code = found
    return load_custom_class(code, name, node.name, node.id)
