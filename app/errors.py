"""Errors meant for the user: every one carries a plain message and, where known, what it is about."""

from __future__ import annotations


class LayerLoomError(Exception):
    """Base of every error LayerLoom reports to a user; `str(err)` is a plain sentence."""

    def __init__(self, message: str, *, node_id: str | None = None, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.node_id = node_id
        self.path = path

    def __str__(self) -> str:
        return self.message


class GraphError(LayerLoomError):
    """A graph edit that would break the model's rules (cycle, arity, unknown node)."""


class CycleError(GraphError):
    """A connection that would close a cycle."""


class PortError(GraphError):
    """A connection to a port that does not exist or is already taken."""


class UnknownSpecError(GraphError):
    """A node type that is not in the registry."""


class NodeNotFoundError(GraphError):
    """A node id that is not in the graph."""


class InvalidNameError(GraphError):
    """A node name that is not a valid, unique Keras layer name."""


class ParamError(GraphError):
    """A parameter value that does not fit its ParamSpec."""


class CompileError(LayerLoomError):
    """The graph could not be turned into a Keras model."""


class ImportModelError(LayerLoomError):
    """A Keras model or .keras file could not be read into a graph."""


class UnsafeModelError(ImportModelError):
    """A .keras file asks for code LayerLoom refuses to run (Lambda, TFSMLayer, unknown classes)."""


class ProjectFileError(LayerLoomError):
    """A project file is missing, corrupt, too new or does not validate."""
