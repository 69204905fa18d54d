"""The DataSource base and the registry of sources by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from app.data.dataset import DataError, Dataset


@dataclass(frozen=True)
class OptionSpec:
    """One option of a source, as data for the UI: name, kind, default, choices, help."""

    name: str
    kind: str  # "path", "dir", "text", "int", "float", "bool", "choice", "columns", "arrays"
    default: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""


class DataSource:
    """A kind of data: `load(options, model)` returns a Dataset (not yet split or normalised).

    Subclasses set id, title, kind ("bundled", "keras", "file", "synthetic") and options.
    `needs_model` sources (synthetic data) read the built keras.Model.
    """

    id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    kind: ClassVar[str] = "bundled"
    options: ClassVar[tuple[OptionSpec, ...]] = ()
    needs_model: ClassVar[bool] = False
    has_test_set: ClassVar[bool] = False

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        """Read the data; DataError with a plain message when it cannot."""
        raise NotImplementedError

    def available(self) -> tuple[bool, str]:
        """(True, "") if load can work now; else (False, why) — e.g. not cached and offline."""
        return True, ""

    def option(self, options: dict[str, Any], name: str) -> Any:
        """The option value, or its declared default."""
        for spec in self.options:
            if spec.name == name:
                return options.get(name, spec.default)
        return options.get(name)

    def describe(self) -> dict[str, Any]:
        """Plain data for the source picker."""
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "needs_model": self.needs_model,
            "has_test_set": self.has_test_set,
            "options": [spec.__dict__ for spec in self.options],
        }


@dataclass
class SourceRegistry:
    """Sources by id, in registration order."""

    sources: dict[str, DataSource] = field(default_factory=dict)

    def register(self, source: DataSource) -> DataSource:
        if source.id in self.sources:
            raise ValueError(f"Duplicate data source id {source.id!r}")
        self.sources[source.id] = source
        return source

    def __getitem__(self, source_id: str) -> DataSource:
        try:
            return self.sources[source_id]
        except KeyError:
            known = ", ".join(self.sources)
            raise DataError(f"Unknown data source '{source_id}'. Known sources: {known}.") from None

    def __contains__(self, source_id: object) -> bool:
        return source_id in self.sources

    def __iter__(self):
        """Sources in picker order: bundled, keras.datasets, files, synthetic."""
        order = {"bundled": 0, "keras": 1, "file": 2, "synthetic": 3}
        return iter(sorted(self.sources.values(), key=lambda s: order.get(s.kind, 9)))

    def ids(self) -> list[str]:
        return [s.id for s in self]


SOURCES = SourceRegistry()
