"""'Fit model to data' with text: string Inputs, a text layer after each (one undo step), and
the run adapts the new layers before it trains."""

from __future__ import annotations

from pathlib import Path

from app.data import DataConfig, load_dataset, suggest_model_settings
from app.model import ModelGraph, graph_to_dict
from app.project import DataSettings, Project, TrainingSettings
from app.project.commands import fit_model_to_data
from app.ui.data.fit_model import fit_command

TICKETS = Path(__file__).resolve().parents[2] / "resources/examples/data/tickets.csv"


def _stand_in_graph() -> ModelGraph:
    """The guides' ticket model as it was before text: numbers and word ids in."""
    g = ModelGraph("tickets")
    title = g.add_node("keras.Input", "title", {"shape": [10000]})
    body = g.add_node("keras.Input", "body", {"shape": [None], "dtype": "int32"})
    tags = g.add_node("keras.Input", "tags", {"shape": [100]})
    emb = g.add_node(
        "keras.layers.Embedding", "body_embedding", {"input_dim": 3000, "output_dim": 8}
    )
    pool = g.add_node("keras.layers.GlobalAveragePooling1D", "pool")
    cat = g.add_node("keras.layers.Concatenate", "concatenate")
    out = g.add_node("keras.layers.Dense", "department", {"units": 2, "activation": "sigmoid"})
    g.connect(body, emb)
    g.connect(emb, pool)
    for src in (title, pool, tags):
        g.connect(src, cat)
    g.connect(cat, out)
    g.set_outputs([out])
    return g


def test_fit_puts_a_text_layer_after_each_text_input_as_one_undo_step(tmp_path):
    options = {"path": str(TICKETS), "features": ["title", "body", "tags"],
               "target": "department", "layout": "columns"}  # fmt: skip
    data = DataSettings("csv", options, validation_split=0.2)
    project = Project("t", _stand_in_graph(), data, TrainingSettings())
    dataset = load_dataset(DataConfig.from_dict(data.to_dict()))
    before = graph_to_dict(project.graph)
    cmd, losses, words = fit_command(project.graph, suggest_model_settings(dataset), {})
    step = fit_model_to_data(project, cmd, losses)
    undo = step.apply(project)
    g = project.graph
    by_name = {n.name: n for n in g.nodes()}
    for name in ("title", "body", "tags"):
        assert by_name[name].params["shape"] == [] and by_name[name].params["dtype"] == "string"
        (after,) = g.successors(by_name[name].id)
        assert g.node(after).spec_id == "keras.layers.TextVectorization", name
    body_vec = by_name["body_vectorizer"].params
    assert body_vec["output_mode"] == "int" and body_vec["max_tokens"] == 3000  # the Embedding's
    assert g.successors(by_name["body_vectorizer"].id) == [by_name["body_embedding"].id]
    title_vec = by_name["title_vectorizer"].params
    assert title_vec["output_mode"] == "multi_hot" and title_vec["pad_to_max_tokens"] is True
    assert "vocabulary" not in title_vec  # left to the run's adapt
    assert any("new TextVectorization 'title_vectorizer'" in w for w in words)
    assert losses["department"] == "sparse_categorical_crossentropy"

    from app.training import train_project

    record = train_project(project, epochs=1, out_dir=tmp_path, max_samples=120)
    assert record.status == "completed", record.message

    undo.apply(project)  # one step back: the graph as it was
    assert graph_to_dict(project.graph) == before
    # Fitting again after fitting once changes nothing more.
    step.apply(project)
    cmd, losses, _ = fit_command(project.graph, suggest_model_settings(dataset),
                                 project.training.losses)  # fmt: skip
    assert cmd is None and not losses
