"""Where a run trains: the "devices" training setting turned into a TensorFlow placement.

"cpu" pins the run to the CPU; "gpu" leaves it to TensorFlow, which takes the first GPU; "all"
trains under tf.distribute.MirroredStrategy over every GPU (model built, compiled and fitted in
its scope; Keras then splits each batch between them, so the batch size is the global batch).
Without a GPU, "gpu" and "all" train on the CPU and say so. A CPU split into several logical
devices (tf.config.set_logical_device_configuration) counts as several devices for "all", so
the strategy path runs on a machine without GPUs too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

NO_GPU = "no GPU found: training on the CPU"


@dataclass
class Placement:
    """How one run is placed: the devices it uses, the strategy (None: no distribution), and a
    note for the user ("" when the setting is carried out as it says)."""

    setting: str
    devices: list[str]
    strategy: Any = None
    note: str = ""
    _pin: str | None = field(default=None, repr=False)

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync) if self.strategy is not None else 1

    def describe(self) -> str:
        """One line for the run's log: where it trains and how."""
        where = ", ".join(self.devices)
        if self.strategy is not None:
            text = f"Training on {self.replicas} devices with MirroredStrategy ({where})"
        else:
            text = f"Training on {where}"
        return f"{text}; {self.note}." if self.note else f"{text}."

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """The context the model is built, compiled and trained in."""
        if self.strategy is not None:
            with self.strategy.scope():
                yield
        elif self._pin is not None:
            import tensorflow as tf

            with tf.device(self._pin):
                yield
        else:
            yield


def gpu_names() -> list[str]:
    """The logical GPUs TensorFlow sees (imports TensorFlow)."""
    import tensorflow as tf

    return [d.name for d in tf.config.list_logical_devices("GPU")]


def placement_for(setting: str) -> Placement:
    """The Placement of a "devices" setting on this machine."""
    import tensorflow as tf

    gpus = gpu_names()
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    if setting == "cpu":
        return Placement(setting, cpus[:1], _pin=cpus[0] if cpus else "/CPU:0")
    if setting == "all":
        several = gpus or (cpus if len(cpus) > 1 else [])
        if several:
            strategy = tf.distribute.MirroredStrategy(devices=several)
            return Placement(setting, several, strategy, "" if gpus else NO_GPU)
    if gpus:
        return Placement(setting, gpus[:1])
    return Placement(setting, cpus[:1], note=NO_GPU)
