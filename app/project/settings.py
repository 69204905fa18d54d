"""Project settings as small JSON-safe dataclasses: where the data comes from and how to train."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from app.errors import ProjectFileError


class SettingsError(ProjectFileError, ValueError):
    """A settings value in a project file has the wrong type; the message is a plain sentence."""


@dataclass
class DataSettings:
    """Which dataset source feeds the model, and its options (source ids come from app.data).

    Keys this class does not know (split, normalisation, input map, ... owned by app.data's
    DataConfig) are kept in `extra` and written back unchanged.
    """

    source: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _with_extra(self)

    @classmethod
    def from_dict(cls, data: Any) -> DataSettings:
        """Read and check plain data; SettingsError if a value has the wrong type."""
        d = _mapping(data, "data settings")
        return cls(
            source=_text(d.get("source", ""), "data source"),
            options=dict(_mapping(d.get("options", {}), "data options")),
            extra=_extra(cls, d),
        )


@dataclass
class TrainingSettings:
    """How `fit` runs: optimizer, losses/metrics per output name, batch size, epochs, split, seed.

    Losses and metrics are Keras names ("mse", "accuracy").  Keys this class does not know
    (callbacks, schedules, ... owned by app.training's TrainingConfig) are kept in `extra`.
    """

    optimizer: str = "Adam"
    learning_rate: float = 1e-3
    loss: dict[str, str] = field(default_factory=dict)
    loss_weights: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, list[str]] = field(default_factory=dict)
    batch_size: int = 32
    epochs: int = 10
    validation_split: float = 0.2
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _with_extra(self)

    @classmethod
    def from_dict(cls, data: Any) -> TrainingSettings:
        """Read and check plain data; missing keys take the defaults, unknown ones go to extra."""
        d = _mapping(data, "training settings")
        base = cls()
        loss = _mapping(d.get("loss", {}), "losses")
        metrics = _mapping(d.get("metrics", {}), "metrics")
        weights = _mapping(d.get("loss_weights", {}), "loss weights")
        seed = d.get("seed", base.seed)
        return cls(
            optimizer=_text(d.get("optimizer", base.optimizer), "optimizer"),
            learning_rate=_number(
                d.get("learning_rate", base.learning_rate), "learning rate", 0.0, 1e3
            ),
            loss={
                _text(k, "output name"): _text(v, f"loss of output '{k}'") for k, v in loss.items()
            },
            loss_weights={
                _text(k, "output name"): _number(v, f"loss weight of output '{k}'", 0.0, 1e6)
                for k, v in weights.items()
            },
            metrics={
                _text(k, "output name"): [
                    _text(m, f"metric of output '{k}'") for m in _list(v, "metrics")
                ]
                for k, v in metrics.items()
            },
            batch_size=_whole(d.get("batch_size", base.batch_size), "batch size", 1, 1 << 24),
            epochs=_whole(d.get("epochs", base.epochs), "number of epochs", 1, 1 << 24),
            validation_split=_number(
                d.get("validation_split", base.validation_split), "validation split", 0.0, 0.99
            ),
            seed=None if seed is None else _whole(seed, "random seed", 0, 2**32 - 1),
            extra=_extra(cls, d),
        )


def _with_extra(obj: Any) -> dict[str, Any]:
    d = asdict(obj)
    return {**d.pop("extra"), **d}


def _extra(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    known = {f.name for f in fields(cls)}
    return {str(k): v for k, v in d.items() if k not in known}


def _mapping(v: Any, what: str) -> dict:
    if not isinstance(v, dict):
        raise SettingsError(f"The {what} must be a mapping, not {_kind(v)}.")
    return v


def _list(v: Any, what: str) -> list:
    if not isinstance(v, list):
        raise SettingsError(f"The {what} must be a list, not {_kind(v)}.")
    return v


def _text(v: Any, what: str) -> str:
    if not isinstance(v, str) or len(v) > 1000:
        raise SettingsError(f"The {what} must be text, not {_kind(v)}.")
    return v


def _whole(v: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise SettingsError(f"The {what} must be a whole number from {lo} to {hi}, got {v!r:.40}.")
    return v


def _number(v: Any, what: str, lo: float, hi: float) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise SettingsError(f"The {what} must be a number, got {v!r:.40}.")
    if not lo <= v <= hi:
        raise SettingsError(f"The {what} must be between {lo:g} and {hi:g}, got {v:g}.")
    return float(v)


def _kind(v: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    return names.get(type(v), "a number" if isinstance(v, int | float) else type(v).__name__)
