"""Opening a .keras file: a file that will be refused is refused before "save changes?", and a
file LayerLoom saved from a project with custom layers offers that project when it is known."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF

from app.model import ModelGraph
from app.project import Project, save_project


def _lambda_keras_file(path: Path) -> Path:
    import keras

    inp = keras.Input(shape=(4,), name="features")
    out = keras.layers.Lambda(lambda t: t * 2.0, name="double")(inp)
    keras.Model(inp, out).save(path)
    return path


def _custom_layer_graph() -> ModelGraph:
    graph = ModelGraph("with_custom")
    x = graph.add_node("keras.Input", "x", params={"shape": [4]})
    c = graph.add_node("layerloom.CustomLayer", "linear", position=(260, 0))
    graph.connect(x, c)
    graph.set_outputs([c])
    return graph


def _custom_keras_file(path: Path) -> Path:
    from app.compiler import build_model

    path.parent.mkdir(parents=True, exist_ok=True)
    build_model(_custom_layer_graph()).save(path)
    return path


def _count_save_questions(window) -> list[int]:
    asked: list[int] = []

    def ask() -> str:
        asked.append(1)
        return "cancel"

    window.ask_save_changes = ask
    return asked


def _offers(window, answer: bool) -> list[tuple]:
    offered: list[tuple] = []

    def ask(keras_path, project, reason) -> bool:
        offered.append((Path(keras_path).name, Path(project), reason))
        return answer

    window.ask_open_origin = ask
    return offered


def test_a_refused_file_does_not_ask_to_save_first(window, tmp_path, errors) -> None:
    window.scene.add_node_at("keras.Input", QPointF(0, 0))  # an edit: unsaved work
    assert window.document.is_dirty
    graph = window.document.graph
    asked = _count_save_questions(window)
    assert not window.open_path(_lambda_keras_file(tmp_path / "lam.keras"))
    assert asked == []
    assert errors[-1][0] == "Could not open lam.keras"
    assert "Lambda layers run Python code" in errors[-1][1]
    assert window.document.graph is graph and window.document.is_dirty


def test_a_run_model_with_custom_code_offers_its_project(window, tmp_path, errors) -> None:
    project = tmp_path / "tickets.llproj"
    save_project(Project(name="tickets", graph=_custom_layer_graph()), project)
    best = _custom_keras_file(tmp_path / "tickets_runs" / "20250101-120000_ab12" / "best.keras")
    offered = _offers(window, answer=True)
    assert not window.open_path(best)  # the .keras file is not opened ...
    assert offered and offered[0][:2] == ("best.keras", project)
    assert (
        "was saved by LayerLoom from a project with custom layer code (Linear)" in (offered[0][2])
    )
    assert window.document.path == project  # ... its project is
    assert errors == []


def test_an_exported_model_with_custom_code_offers_the_project_it_was_exported_from(
    window, tmp_path, errors
) -> None:
    project = tmp_path / "mine.llproj"
    window.document.graph.add_node("keras.Input", "x", params={"shape": [4]})
    for node in _custom_layer_graph().nodes():
        if node.name == "linear":
            window.document.graph.add_node(node.spec_id, node.name)
    x, c = (window.document.graph.node_by_name(n).id for n in ("x", "linear"))
    window.document.graph.connect(x, c)
    window.document.graph.set_outputs([c])
    assert window.save_to(project)
    exported = tmp_path / "elsewhere" / "model.keras"
    exported.parent.mkdir()
    assert window.export_keras(exported), errors
    window.new_document()
    offered = _offers(window, answer=False)
    assert not window.open_path(exported)
    assert [o[:2] for o in offered] == [("model.keras", project)]
    assert window.document.path is None  # declined: nothing opened, nothing else asked


def test_a_custom_code_model_of_unknown_origin_says_it_needs_its_project(
    window, tmp_path, errors
) -> None:
    path = _custom_keras_file(tmp_path / "loose.keras")
    offered = _offers(window, answer=True)
    asked = _count_save_questions(window)
    assert not window.open_path(path)
    assert offered == [] and asked == []
    title, message = errors[-1]
    assert title == "Could not open loose.keras"
    assert message.startswith(
        "loose.keras was saved by LayerLoom from a project with custom layer code (Linear)."
    )
    assert "open the project it came from" in message
