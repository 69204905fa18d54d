"""The DataSource base and the registry of sources by id.

A source reads its arrays with one call of a self-contained reading function (ReaderCall): the
app runs the call, and a generated script gets the function's source and makes the same call,
so the app and the script read the data with the same code.
"""

from __future__ import annotations

from collections.abc import Callable
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


@dataclass(frozen=True)
class ReaderCall:
    """One call of a reading function of app.data, run by the app and written into scripts.

    `function(**kwargs)` returns a dict with the named arrays "x" and "y" and, where the source
    has them, "x_val", "y_val", "task", "class_names", "feature_names" and "notes" (Dataset's
    fields). The function is pasted into generated scripts with the module-level names it uses,
    so it imports nothing from `app` (numpy and the standard library at module level; keras or
    scikit-learn inside its body) and raises ValueError with a plain message for bad data.
    `x_names` / `y_names` are the names of the arrays it returns, known before it runs, and
    `has_validation` says whether it returns validation arrays of the data's own.
    """

    function: Callable[..., dict[str, Any]]
    kwargs: dict[str, Any]
    x_names: tuple[str, ...] = ("x",)
    y_names: tuple[str, ...] = ("y",)
    has_validation: bool = False

    def run(self) -> dict[str, Any]:
        """The function's result; its ValueErrors become DataErrors with the same message."""
        try:
            return self.function(**self.kwargs)
        except ValueError as exc:
            raise DataError(str(exc)) from exc


class DataSource:
    """A kind of data: `load(options, model)` returns a Dataset (not yet split or normalised).

    Subclasses set id, title, kind ("bundled", "keras", "file", "synthetic") and options, and
    give `reader(options, model)`, the call that reads the arrays; `load` runs it and adds what
    the UI shows. `needs_model` sources (synthetic data) read the built keras.Model.
    """

    id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    kind: ClassVar[str] = "bundled"
    options: ClassVar[tuple[OptionSpec, ...]] = ()
    needs_model: ClassVar[bool] = False
    has_test_set: ClassVar[bool] = False
    # False for downloads and folders of files: a generated script then reads no sample of
    # the data while it is being written.
    reads_quickly: ClassVar[bool] = True

    def reader(self, options: dict[str, Any], model: Any = None) -> ReaderCall:
        """The call that reads the arrays; DataError when the options cannot be read."""
        raise DataError(f"The data source '{self.title}' has no reading function.")

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        """Read the data; DataError with a plain message when it cannot."""
        return Dataset(**self.reader(options, model).run(), title=self.title)

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
