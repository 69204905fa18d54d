"""Specs of LayerLoom's own Keras layers (app.compiler.custom_layers)."""

from __future__ import annotations

from app.nodes.spec import NodeSpec, ParamSpec, PortSpec

_LATENT = [[[8], "float32"], [[8], "float32"]]

SPECS: list[NodeSpec] = [
    NodeSpec(
        id="layerloom.Sampling",
        class_name="Sampling",
        module="app.compiler.custom_layers",
        category="Custom",
        doc="VAE sampling: z = z_mean + exp(z_log_var / 2) * random normal noise.",
        params=(
            ParamSpec(
                "seed", "int", default=None, optional=True, advanced=True, doc="Random seed."
            ),
        ),
        inputs=(PortSpec("z_mean"), PortSpec("z_log_var")),
        call_style="list",
        kind="custom",
        curated=True,
        extra={"example_inputs": _LATENT},
    ),
    NodeSpec(
        id="layerloom.KLDivergence",
        class_name="KLDivergence",
        module="app.compiler.custom_layers",
        category="Custom",
        doc="Adds the VAE's KL-divergence loss; passes z_mean and z_log_var through unchanged.",
        params=(
            ParamSpec("weight", "float", default=1.0, minimum=0.0, doc="Factor of the KL loss."),
        ),
        inputs=(PortSpec("z_mean"), PortSpec("z_log_var")),
        call_style="list",
        kind="custom",
        curated=True,
        key_params=("weight",),
        extra={"example_inputs": _LATENT, "outputs": ["z_mean", "z_log_var"]},
    ),
]
