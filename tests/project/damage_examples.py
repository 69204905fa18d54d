"""Randomly damaged example projects: how many are refused, opened with problems, opened clean?

`python -m tests.project.damage_examples [--count 1500] [--seed 10]` prints the figures;
test_damage.py runs a smaller sample. Each case takes one bundled example
(resources/examples/*.llproj) and makes one random change to its JSON: a value of another
type, an out-of-range or junk value, a deleted key or list item, an unknown key, a duplicated
list item, junk text inserted, or the file cut short. The case is then opened with
load_project and sorted:

- refused: ProjectFileError (the file as a whole is not opened);
- problems: opened, with load notes (graph.damage at some level) or project warnings;
- clean: opened with no note (the change was harmless, or went unnoticed);
- crashed: any other exception (a bug: hostile files must get a plain message).

Every opened case is saved again and reopened: it must reopen clean (`resave_failed` counts
those that do not).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import ProjectFileError
from app.project import load_project, save_project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
OUTCOMES = ("refused", "problems", "clean", "crashed")
JUNK_VALUES: tuple[Any, ...] = (
    None, True, 0, -1, 7, 2.5, -1e300, 10**12, "", "junk", "a b/c", "\x00",
    [], [1, "x"], {}, {"junk": 1}, [[[]]],
)  # fmt: skip


@dataclass
class Figures:
    """Counts of outcomes overall and per kind of mutation; notes of crashes."""

    outcomes: Counter = field(default_factory=Counter)
    by_mutation: dict[str, Counter] = field(default_factory=dict)
    by_place: dict[str, Counter] = field(default_factory=dict)
    resave_failed: int = 0
    crashes: list[str] = field(default_factory=list)

    def add(self, mutation: str, place: str, outcome: str) -> None:
        self.outcomes[outcome] += 1
        self.by_mutation.setdefault(mutation, Counter())[outcome] += 1
        self.by_place.setdefault(place, Counter())[outcome] += 1


def example_texts() -> dict[str, str]:
    """name -> file text of every bundled example project."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.llproj"))}


def _slots(doc: Any) -> list[tuple[Any, Any, bool]]:
    """Every (container, key or index, inside the graph?) in the document, below the root."""
    found, stack = [], [(doc, False)]
    while stack:
        c, in_graph = stack.pop()
        keys = list(c) if isinstance(c, dict) else range(len(c)) if isinstance(c, list) else ()
        for k in keys:
            inside = in_graph or (c is doc and k == "graph")
            found.append((c, k, inside))
            stack.append((c[k], inside))
    return found


def _containers(doc: Any, kind: type) -> list[tuple[Any, bool]]:
    out = [(doc, False)] if isinstance(doc, kind) else []
    return out + [(c[k], g) for c, k, g in _slots(doc) if isinstance(c[k], kind)]


def _other_type(value: Any, rng: random.Random) -> Any:
    options = [v for v in JUNK_VALUES if type(v) is not type(value)]
    return copy.deepcopy(rng.choice(options))


def mutate(text: str, rng: random.Random) -> tuple[str, str, str]:
    """(mutation name, where: text / graph / settings, damaged text) for one random change."""
    doc = json.loads(text)
    kind = rng.choice(
        ("retype", "junk_value", "delete", "unknown_key", "duplicate", "junk_text", "truncate")
    )
    if kind == "truncate":
        return kind, "text", text[: rng.randrange(len(text))]
    if kind == "junk_text":
        at = rng.randrange(len(text))
        junk = "".join(rng.choice('{}[],:"0a- \n') for _ in range(rng.randint(1, 4)))
        return kind, "text", text[:at] + junk + text[at:]
    in_graph = False
    if kind in ("retype", "junk_value"):
        c, k, in_graph = rng.choice(_slots(doc))
        c[k] = (
            _other_type(c[k], rng) if kind == "retype" else copy.deepcopy(rng.choice(JUNK_VALUES))
        )
    elif kind == "delete":
        c, k, in_graph = rng.choice(_slots(doc))
        del c[k]
    elif kind == "unknown_key":
        d, in_graph = rng.choice(_containers(doc, dict))
        d[f"junk_{rng.randrange(100)}"] = copy.deepcopy(rng.choice(JUNK_VALUES))
    elif kind == "duplicate":
        lst, in_graph = rng.choice([(c, g) for c, g in _containers(doc, list) if c])
        lst.append(copy.deepcopy(rng.choice(lst)))
    return kind, "graph" if in_graph else "settings", json.dumps(doc, indent=1)


def load_notes(project: Any) -> int:
    """How many load notes the opened project carries (graph damage and warnings)."""
    notes = len(project.warnings)
    for _path, level in project.graph.walk():
        notes += sum(len(v) for v in getattr(level, "damage", {}).values())
    return notes


def open_case(path: Path) -> tuple[str, Any]:
    """(outcome, project or None) of opening one damaged file."""
    try:
        project = load_project(path)
    except ProjectFileError:
        return "refused", None
    except Exception as exc:  # noqa: BLE001 - counted: a crash is what this measures
        return "crashed", f"{type(exc).__name__}: {exc}"
    return ("problems" if load_notes(project) else "clean"), project


def resaves_clean(project: Any, folder: Path) -> bool:
    """True if the opened project saves and reopens with no load note."""
    target = folder / "resaved.llproj"
    try:
        save_project(project, target)
        return load_notes(load_project(target)) == 0
    except Exception:  # noqa: BLE001 - any failure counts
        return False


def run(count: int, seed: int) -> Figures:
    """Open `count` randomly damaged examples; the figures."""
    rng = random.Random(seed)
    texts = example_texts()
    names = sorted(texts)
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="damaged-") as tmp:
        folder = Path(tmp)
        for i in range(count):
            name = rng.choice(names)
            mutation, place, text = mutate(texts[name], rng)
            path = folder / name
            path.write_text(text, encoding="utf-8")
            outcome, result = open_case(path)
            figures.add(mutation, place, outcome)
            if outcome == "crashed":
                figures.crashes.append(f"#{i} {name} {mutation}: {result}")
            elif result is not None and not resaves_clean(result, folder):
                figures.resave_failed += 1
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args(argv)
    figures = run(args.count, args.seed)
    total = sum(figures.outcomes.values())
    print(f"{total} damaged example projects (seed {args.seed}):")
    for outcome in OUTCOMES:
        n = figures.outcomes[outcome]
        print(f"  {outcome:9} {n:5d}  {100 * n / total:5.1f}%")
    print(f"  opened, but not saved and reopened clean: {figures.resave_failed}")
    print("by mutation (refused / problems / clean / crashed):")
    for mutation, c in sorted(figures.by_mutation.items()):
        print(f"  {mutation:12} " + " / ".join(f"{c[o]:4d}" for o in OUTCOMES))
    print("by place (text: the JSON itself; graph: inside the model; settings: elsewhere):")
    for place, c in sorted(figures.by_place.items()):
        print(f"  {place:12} " + " / ".join(f"{c[o]:4d}" for o in OUTCOMES))
    for line in figures.crashes[:10]:
        print("  crash:", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
