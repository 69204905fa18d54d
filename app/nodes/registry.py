"""The registry of node types: every Keras layer LayerLoom can put on a canvas, keyed by a stable id."""

from __future__ import annotations

from collections.abc import Iterator

from app.errors import UnknownSpecError
from app.nodes.spec import CATEGORIES, NodeSpec


class Registry:
    """A read-mostly mapping spec id -> NodeSpec that refuses duplicate ids and resolves aliases."""

    def __init__(self) -> None:
        self._specs: dict[str, NodeSpec] = {}
        self._by_class: dict[str, str] = {}
        self._aliases: dict[str, str] = {}

    def register(self, spec: NodeSpec, *, replace: bool = False) -> NodeSpec:
        """Add `spec`; a second spec with the same id is refused unless `replace`."""
        if spec.id in self._specs and not replace:
            raise ValueError(f"duplicate node spec id {spec.id!r}")
        if spec.category not in CATEGORIES:
            raise ValueError(f"{spec.id}: unknown category {spec.category!r}")
        self._specs[spec.id] = spec
        self._by_class.setdefault(f"{spec.module}.{spec.class_name}", spec.id)
        self._by_class.setdefault(spec.class_name, spec.id)
        for alias in spec.aliases:
            self._aliases[alias] = spec.id
        return spec

    def __getitem__(self, spec_id: str) -> NodeSpec:
        spec = self.get(spec_id)
        if spec is None:
            raise UnknownSpecError(f"Unknown layer type {spec_id!r}.")
        return spec

    def get(self, spec_id: str) -> NodeSpec | None:
        """The spec with this id or alias, or None."""
        spec = self._specs.get(spec_id)
        if spec is None and spec_id in self._aliases:
            spec = self._specs[self._aliases[spec_id]]
        return spec

    def __contains__(self, spec_id: object) -> bool:
        return isinstance(spec_id, str) and self.get(spec_id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def values(self) -> list[NodeSpec]:
        return list(self._specs.values())

    def for_class_name(self, class_name: str, module: str | None = None) -> NodeSpec | None:
        """The spec that builds the Keras class `class_name` (e.g. "Dense" or "InputLayer")."""
        if module is not None:
            key = self._by_class.get(f"{module}.{class_name}")
            if key:
                return self._specs[key]
        key = self._by_class.get(class_name) or self._aliases.get(f"keras.layers.{class_name}")
        return self._specs.get(key) if key else None

    def by_category(self) -> dict[str, list[NodeSpec]]:
        """Specs grouped by palette category, categories in CATEGORIES order, specs by name."""
        groups: dict[str, list[NodeSpec]] = {c: [] for c in CATEGORIES}
        for spec in self._specs.values():
            groups[spec.category].append(spec)
        return {c: sorted(s, key=lambda x: x.class_name) for c, s in groups.items() if s}

    def search(self, text: str) -> list[NodeSpec]:
        """Specs whose name, alias or doc matches `text` (case-insensitive), best first."""
        needle = text.strip().lower()
        if not needle:
            return sorted(self._specs.values(), key=lambda s: s.class_name)
        scored = []
        for spec in self._specs.values():
            names = [spec.class_name.lower()] + [a.rsplit(".", 1)[-1].lower() for a in spec.aliases]
            if any(n == needle for n in names):
                score = 0
            elif any(n.startswith(needle) for n in names):
                score = 1
            elif any(needle in n for n in names):
                score = 2
            elif needle in spec.doc.lower() or needle in spec.category.lower():
                score = 3
            else:
                continue
            scored.append((score, not spec.curated, spec.class_name, spec))
        return [s[-1] for s in sorted(scored, key=lambda t: t[:3])]
