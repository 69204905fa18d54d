"""The graph of layer calls: ModelGraph, nodes, edges, undoable commands, change events.

Pure Python: no Qt, no TensorFlow.
"""

from app.model.events import GraphEvent
from app.model.graph import ModelGraph
from app.model.history import History
from app.model.node import Edge, Node, OutputRef
from app.model.serialize import graph_from_dict, graph_to_dict

__all__ = [
    "Edge",
    "GraphEvent",
    "History",
    "ModelGraph",
    "Node",
    "OutputRef",
    "graph_from_dict",
    "graph_to_dict",
]
