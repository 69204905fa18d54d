"""Node types as data: NodeSpec / ParamSpec / PortSpec and the REGISTRY of every Keras layer.

Importing this package does not import TensorFlow or Keras.
"""

from app.nodes.registry import Registry
from app.nodes.spec import CATEGORIES, PARAM_KINDS, NodeSpec, ParamSpec, PortSpec

REGISTRY = Registry()

from app.nodes import catalog as _catalog  # noqa: E402  (fills REGISTRY)

_catalog.populate(REGISTRY)

INPUT_SPEC_ID = "keras.Input"
BLOCK_SPEC_ID = "layerloom.Block"

__all__ = [
    "BLOCK_SPEC_ID",
    "CATEGORIES",
    "INPUT_SPEC_ID",
    "PARAM_KINDS",
    "REGISTRY",
    "NodeSpec",
    "ParamSpec",
    "PortSpec",
    "Registry",
]
