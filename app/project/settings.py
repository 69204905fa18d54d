"""Project settings: app.data's DataConfig and the TrainingConfig, kept losslessly.

DataSettings *is* a DataConfig and TrainingSettings *is* a TrainingConfig (subclasses), so the
trainer, the data loader and the UI read them directly.  Keys neither class knows (written by a
newer LayerLoom, say) are kept in `extra` and written back unchanged.  Neither module imports
Keras, so importing app.project stays light.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.data.dataset import DataConfig, DataError
from app.data.source import SOURCES
from app.errors import ProjectFileError
from app.project.training_config import TrainingConfig, TrainingError

if TYPE_CHECKING:
    from app.project.project import Project


class SettingsError(ProjectFileError, ValueError):
    """A settings value in a project file has the wrong type; the message is a plain sentence."""


# Option names of file-based sources that hold a path (relative paths are project-relative).
PATH_OPTIONS = ("path", "y_path")


@dataclass
class DataSettings(DataConfig):
    """Where the data comes from and how it is split, normalised and mapped (see DataConfig).

    `source` "" means no data source has been chosen yet.
    """

    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data: every DataConfig field plus the kept unknown keys."""
        d = DataConfig.to_dict(self)
        return {**d.pop("extra"), **d}

    @classmethod
    def from_dict(cls, data: Any) -> DataSettings:
        """Read and check plain data; missing keys take defaults; SettingsError on bad values."""
        d = {} if data is None else _mapping(data, "data settings")
        try:
            obj = super().from_dict({"source": "", **d})
        except DataError as exc:
            raise SettingsError(f"In the data settings: {exc.message}") from None
        _text(obj.source, "data source")
        obj.extra = _extra(cls, d)
        return obj

    def config(self) -> DataConfig:
        """A plain DataConfig with the same values (for code that wants exactly that class)."""
        return DataConfig(**{f.name: getattr(self, f.name) for f in fields(DataConfig)})

    def resolved(self, folder: str | Path | None) -> DataConfig:
        """The DataConfig with relative file paths in the options made absolute under `folder`.

        Data files that sit next to a project keep working wherever the project is opened from.
        """
        cfg = self.config()
        if folder is None:
            return cfg
        cfg.options = _resolve_paths(cfg.source, cfg.options, Path(folder))
        if cfg.validation_source:
            vs = dict(cfg.validation_source)
            vs["options"] = _resolve_paths(
                vs.get("source", ""), vs.get("options") or {}, Path(folder)
            )
            cfg.validation_source = vs
        return cfg


@dataclass
class TrainingSettings(TrainingConfig):
    """Optimizer, schedule, losses / weights / metrics per output, callbacks, ... (TrainingConfig).

    Files of older formats are brought up to date by app.project.migrations before this reads them.
    """

    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data: every TrainingConfig field plus the kept unknown keys."""
        d = TrainingConfig.to_dict(self)
        return {**d.pop("extra"), **d}

    @classmethod
    def from_dict(cls, data: Any) -> TrainingSettings:
        """Read and check plain data; missing keys take defaults; SettingsError on bad values."""
        d = {} if data is None else dict(_mapping(data, "training settings"))
        _check_training(d)
        try:
            obj = super().from_dict(d)
        except TrainingError as exc:
            raise SettingsError(f"In the training settings: {exc.message}") from None
        obj.extra = _extra(cls, d)
        return obj

    def config(self) -> TrainingConfig:
        """A plain TrainingConfig with the same values."""
        return TrainingConfig.from_dict(TrainingConfig.to_dict(self))


def settings_from_project(project: Project) -> tuple[dict[str, Any], dict[str, Any]]:
    """(DataConfig dict, TrainingConfig dict) a project trains with; training and generated
    scripts both start from it.

    The data's relative file paths are resolved next to the project file (Project.data_config()).
    TrainingError if no data source has been chosen yet.
    """
    data = project.data_config().to_dict()
    if not data.get("source"):
        raise TrainingError(
            "The project has no data source yet: choose one in the data "
            "settings (for example the bundled digits, a CSV file or "
            "synthetic data)."
        )
    return data, project.training.config().to_dict()


def _check_training(d: dict[str, Any]) -> None:
    """The checks with the wording users of earlier versions saw; TrainingConfig does the rest."""
    for k, v in _mapping(d.get("losses", {}), "losses").items():
        _text(k, "output name")
        if v is not None:
            _text(v, f"loss of output '{k}'")
    for k, v in _mapping(d.get("loss_weights", {}), "loss weights").items():
        _number(v, f"loss weight of output '{k}'", 0.0, 1e6)
    for key, what in (("metrics", "metric"), ("weighted_metrics", "weighted metric")):
        for k, v in _mapping(d.get(key, {}), what + "s").items():
            for m in [v] if isinstance(v, str) else _list(v, what + "s"):
                _text(m, f"{what} of output '{k}'")
    if "batch_size" in d:
        _whole(d["batch_size"], "batch size", 1, 1 << 24)
    if "epochs" in d:
        _whole(d["epochs"], "number of epochs", 1, 1 << 24)
    if d.get("callbacks") is not None:
        for c in _list(d["callbacks"], "callbacks"):
            _mapping(c, "callback settings")


def _resolve_paths(source: str, options: dict[str, Any], folder: Path) -> dict[str, Any]:
    if source not in SOURCES or SOURCES[source].kind != "file":
        return dict(options)
    out = dict(options)
    for key in PATH_OPTIONS:
        value = out.get(key)
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            out[key] = str(folder / value)
    return out


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
