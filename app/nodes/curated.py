"""Hand-written specs for the layers people use most: chosen defaults, ranges and one-line docs.

Every default equals the Keras constructor default, except the params listed in
`spec.extra["chosen_defaults"]` (required args such as Dense.units).  Each spec carries
`extra["example_inputs"]`: [shape without batch, dtype] per input tensor, in port order.
"""

from __future__ import annotations

from app.nodes import curated_conv, curated_core, curated_prep, curated_seq
from app.nodes.spec import NodeSpec

SPECS: list[NodeSpec] = [
    *curated_core.SPECS,
    *curated_conv.SPECS,
    *curated_seq.SPECS,
    *curated_prep.SPECS,
]
