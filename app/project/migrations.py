"""Step-by-step upgrades of older project files to the current format.

Each entry of MIGRATIONS turns a file of version N into version N + 1 (plain dicts in, plain
dicts out), so a file of any older version walks up one step at a time.

Version 0 (the preview format, before files carried "app" / "format_version") looked like::

    {"name": "...",
     "nodes": [{"id": "a1", "type": "Dense", "name": "dense", "params": {...}, "x": 10, "y": 20,
                "trainable": true, "shared_with": null, "subgraph": {<same shape, no training>}}],
     "edges": [{"from": "a1", "to": "b2", "from_output": 0, "port": "inputs", "slot": 0}],
     "inputs": ["a1"],            # optional, Input nodes in model order
     "outputs": ["c3"],           # node ids (first output of each)
     "training": {"optimizer": "adam", "lr": 0.001, "loss": "mse", "batch_size": 32,
                  "epochs": 10}}

"type" was the Keras class name ("Dense", "Input"/"InputLayer", "Block"); version 1 names node
types by registry id ("keras.layers.Dense") under "spec" and keeps the graph under "graph".

Version 1 settings looked like::

    "data": {"source": "sklearn.digits", "options": {...}, <other keys kept as they were>},
    "training": {"optimizer": "Adam", "learning_rate": 0.001, "loss": {"out": "mse"},
                 "loss_weights": {...}, "metrics": {"out": ["mae"]}, "batch_size": 32,
                 "epochs": 10, "validation_split": 0.2, "seed": null, <other keys kept>}

Version 2 stores app.data's DataConfig and app.training's TrainingConfig as they are: the
losses are under "losses", and the validation split and the data seed live with the data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.errors import GraphError
from app.nodes import BLOCK_SPEC_ID, INPUT_SPEC_ID, REGISTRY

FORMAT_VERSION = 2
APP_TAG = "layerloom"


def _v0_spec_id(type_name: Any) -> Any:
    if not isinstance(type_name, str):
        return type_name  # graph_from_dict reports the bad value
    if type_name in ("Input", "InputLayer", INPUT_SPEC_ID):
        return INPUT_SPEC_ID
    if type_name in ("Block", "Functional", "Model", BLOCK_SPEC_ID):
        return BLOCK_SPEC_ID
    if type_name in REGISTRY:
        return REGISTRY[type_name].id
    spec = REGISTRY.for_class_name(type_name)
    return spec.id if spec is not None else f"keras.layers.{type_name}"


def _v0_graph(d: Any, depth: int = 0) -> Any:
    if not isinstance(d, dict) or depth > 64:
        return d  # left for graph_from_dict to reject in plain words
    nodes = []
    for nd in d.get("nodes", []) if isinstance(d.get("nodes", []), list) else []:
        if not isinstance(nd, dict):
            nodes.append(nd)
            continue
        new = {k: v for k, v in nd.items() if k not in ("type", "x", "y")}
        new["spec"] = _v0_spec_id(nd.get("type"))
        new["position"] = [nd.get("x", 0), nd.get("y", 0)]
        if new.get("shared_with") is None:
            new.pop("shared_with", None)
        if "subgraph" in nd and nd["subgraph"] is not None:
            new["subgraph"] = _v0_graph(nd["subgraph"], depth + 1)
        else:
            new.pop("subgraph", None)
        nodes.append(new)
    edges = []
    for ed in d.get("edges", []) if isinstance(d.get("edges", []), list) else []:
        if not isinstance(ed, dict):
            edges.append(ed)
            continue
        edges.append(
            {
                "src": ed.get("from"),
                "src_index": ed.get("from_output", 0),
                "dst": ed.get("to"),
                "port": ed.get("port", "inputs"),
                "slot": ed.get("slot", 0),
            }
        )
    outputs = d.get("outputs", [])
    if isinstance(outputs, list):
        outputs = [[o, 0] if isinstance(o, str) else o for o in outputs]
    graph = {"name": d.get("name", "model"), "nodes": nodes, "edges": edges, "outputs": outputs}
    if "inputs" in d:
        graph["inputs"] = d["inputs"]
    return graph


def _v0_output_names(doc: dict[str, Any]) -> list[str]:
    nodes = doc.get("nodes") if isinstance(doc.get("nodes"), list) else []
    names = {n.get("id"): n.get("name") for n in nodes if isinstance(n, dict)}
    outs = doc.get("outputs") if isinstance(doc.get("outputs"), list) else []
    found = [names.get(o) for o in outs if isinstance(o, str)]
    return [n for n in found if isinstance(n, str)]


def migrate_0_to_1(doc: dict[str, Any]) -> dict[str, Any]:
    """Preview files: class names under "type", x/y, from/to edges, graph at the top level."""
    train = doc.get("training", {})
    training: Any = train
    if isinstance(train, dict):
        training = {k: v for k, v in train.items() if k not in ("lr", "loss")}
        if "lr" in train:
            training["learning_rate"] = train["lr"]
        if isinstance(train.get("loss"), str):
            # v0 had one loss for every output; v1 keeps a loss per output name.
            training["loss"] = {name: train["loss"] for name in _v0_output_names(doc)}
    return {
        "app": APP_TAG,
        "format_version": 1,
        "name": doc.get("name", "Untitled"),
        "graph": _v0_graph(doc),
        "data": doc.get("data", {}),
        "training": training,
        "runs": [],
    }


def migrate_1_to_2(doc: dict[str, Any]) -> dict[str, Any]:
    """Settings become DataConfig / TrainingConfig: "loss" -> "losses", split and seed -> data."""
    doc = dict(doc)
    data, training = doc.get("data", {}), doc.get("training", {})
    if not isinstance(data, dict) or not isinstance(training, dict):
        return doc  # left for the settings check to reject in plain words
    data, training = dict(data), dict(training)
    if "loss" in training:
        loss = training.pop("loss")
        training.setdefault("losses", loss)
    if "validation_split" in training:
        split = training.pop("validation_split")
        data.setdefault("validation_split", split)
        if split == 0:
            data.setdefault("validation", "none")
    seed = training.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        data.setdefault("seed", seed)
    data.setdefault("source", "")
    doc["data"], doc["training"] = data, training
    return doc


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    0: migrate_0_to_1,
    1: migrate_1_to_2,
}


def detect_version(doc: dict[str, Any]) -> int | None:
    """The format version of a parsed file, or None if it is not a LayerLoom project."""
    if "format_version" in doc:
        v = doc["format_version"]
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if "app" not in doc and isinstance(doc.get("nodes"), list) and "edges" in doc:
        return 0
    return None


def migrate(doc: dict[str, Any], version: int) -> dict[str, Any]:
    """Upgrade `doc` from `version` to FORMAT_VERSION one step at a time."""
    while version < FORMAT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise GraphError(f"Files of format version {version} can no longer be read.")
        doc = step(doc)
        version += 1
        doc["format_version"] = version
    return doc
