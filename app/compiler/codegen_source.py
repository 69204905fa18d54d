"""Source of LayerLoom's custom layer classes for generated scripts, with what they need.

A generated script must not import `app`, so the classes are copied in (decorator included)
together with the module-level imports, helpers and constants their code uses.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from types import ModuleType

Import = tuple[str, str | None, str | None]  # (module, name or None for `import module`, alias)


class CustomSource:
    """What must be pasted into a script so that `classes` are defined there."""

    def __init__(self, classes: list[type]) -> None:
        self.classes = list(classes)
        self.imports: list[Import] = []
        self.future: set[str] = set()
        self._chunks: list[tuple[str, int, list[str]]] = []  # (module, line, source lines)
        seen: set[tuple[str, str]] = set()
        for cls in self.classes:
            module = inspect.getmodule(cls)
            if module is not None:
                self._collect(module, cls.__name__, seen)

    def bound_names(self) -> set[str]:
        """Module-level names the pasted code defines or imports (variables must avoid them)."""
        names = {c.__name__ for c in self.classes}
        for module, name, alias in self.imports:
            names.add(alias or name or module.split(".")[0])
        names.update(name for _, _, lines in self._chunks for name in _defined(lines))
        return names

    def definitions(self) -> list[list[str]]:
        """The pasted classes, helpers and constants, in their modules' order."""
        return [lines for _, _, lines in sorted(self._chunks, key=lambda c: (c[0], c[1]))]

    def import_lines(self, base: tuple[Import, ...]) -> list[str]:
        """isort-ordered import block: __future__, standard library, third party, first party."""
        sections: dict[int, list[Import]] = {}
        for imp in (*base, *self.imports):
            sections.setdefault(_section(imp[0]), []).append(imp)
        out: list[str] = []
        if self.future:
            out += [f"from __future__ import {', '.join(sorted(self.future))}", ""]
        for key in sorted(sections):
            out += _section_lines(sections[key]) + [""]
        return out[:-1] if out and out[-1] == "" else out

    # ----- collection -----------------------------------------------------------------------------
    def _collect(self, module: ModuleType, name: str, seen: set[tuple[str, str]]) -> None:
        if (module.__name__, name) in seen:
            return
        seen.add((module.__name__, name))
        tree = ast.parse(inspect.getsource(module))
        source = inspect.getsource(module).splitlines()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                self.future.update(a.name for a in node.names)
            if _binds(node, name):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    self._add_import(node, name)
                    return
                start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
                lines = source[start - 1 : node.end_lineno]
                self._chunks.append(
                    (module.__name__, start, textwrap.dedent("\n".join(lines)).splitlines())
                )
                for used in sorted(_used_names(node) - {name}):
                    if hasattr(module, used):
                        self._collect(module, used, seen)
                return

    def _add_import(self, node: ast.Import | ast.ImportFrom, name: str) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            if bound != name:
                continue
            if isinstance(node, ast.Import):
                imp: Import = (alias.name, None, alias.asname)
            else:
                imp = ("." * node.level + (node.module or ""), alias.name, alias.asname)
            if imp not in self.imports:
                self.imports.append(imp)


def _binds(node: ast.stmt, name: str) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return any((a.asname or a.name.split(".")[0]) == name for a in node.names)
    if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name == name
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(isinstance(t, ast.Name) and t.id == name for t in targets)
    return False


def _used_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _defined(lines: list[str]) -> set[str]:
    tree = ast.parse("\n".join(lines))
    out = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
    return out


def _section(module: str) -> int:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return 0
    if top == "app" or module.startswith("."):
        return 2
    return 1


def _section_lines(imports: list[Import]) -> list[str]:
    """Straight imports first, then from-imports, each sorted the way ruff's isort sorts them."""
    straight = sorted(
        {(m, a) for m, n, a in imports if n is None}, key=lambda t: (t[0].lower(), t[1] or "")
    )
    lines = [f"import {m}" + (f" as {a}" if a else "") for m, a in straight]
    froms: dict[str, set[tuple[str, str | None]]] = {}
    for m, n, a in imports:
        if n is not None:
            froms.setdefault(m, set()).add((n, a))
    for m in sorted(froms, key=str.lower):
        names = sorted(froms[m], key=lambda t: (_type_rank(t[0]), t[0].lower(), t[0], t[1] or ""))
        # As ruff's isort: the plain names on one line, then each aliased name on its own.
        groups = [[n for n, a in names if not a]] + [[f"{n} as {a}"] for n, a in names if a]
        for parts in (g for g in groups if g):
            line = f"from {m} import {', '.join(parts)}"
            if len(line) > 100:
                line = f"from {m} import (\n" + "".join(f"    {p},\n" for p in parts) + ")"
            lines.append(line)
    return lines


def _type_rank(name: str) -> int:
    """isort's order-by-type: CONSTANTS, then Classes, then everything else."""
    if name.isupper() and len(name) > 1:
        return 0
    if name[:1].isupper():
        return 1
    return 2
