"""User-written code in generated scripts: CustomLayer classes and project code pasted verbatim,
Lambda expressions.

The script runs the user's code with the names the app gives it (`keras`, `ops`, `np`), so it
imports those it uses.  Each distinct code text is written once, as written except for its
top-level imports, which join the script's import block (an import below code fails ruff E402).
"""

from __future__ import annotations

import ast
from typing import Any

from app.compiler.codegen_expr import Atom, Call, Expr, flat, literal
from app.compiler.codegen_layers import ObjectWriter, is_keyword_name
from app.compiler.codegen_source import CustomSource
from app.errors import CompileError
from app.nodes import REGISTRY, NodeSpec
from app.nodes.custom_code_specs import CODE_KIND, CUSTOM_LAYER_SPEC_ID, code_texts, lambda_param

# Names the app's code namespace provides, and the import that gives each in a script.
_PROVIDED = {"ops": ("keras", "ops", None), "np": ("numpy", None, "np")}


class UserCodeSource(CustomSource):
    """CustomSource plus the user's CustomLayer classes and the imports user code needs."""

    def __init__(self, classes: list[type], graph: Any, project_code: list | None = None) -> None:
        super().__init__(classes)
        self.user_code: list[str] = []  # distinct code texts, first use first, imports hoisted
        self._texts: set[str] = set()
        self._defined: set[str] = set()
        owners: dict[str, tuple[str, str]] = {}  # class name -> (code, node name)
        used: set[str] = set()
        for _, g in graph.walk():
            for node in g.nodes():
                spec = REGISTRY.get(node.spec_id)
                if spec is None or spec.kind != CODE_KIND:
                    continue
                for text in code_texts(spec, node.params):
                    used |= _names(text, spec)
                    if spec.id != CUSTOM_LAYER_SPEC_ID:
                        continue
                    cls = {**spec.defaults(), **node.params}.get("class_name")
                    seen = owners.setdefault(cls, (text, node.name))
                    if seen[0] != text:
                        raise CompileError(
                            f"Custom layers '{seen[1]}' and '{node.name}' define different "
                            f"classes named '{cls}'; rename one to write a script.",
                            node_id=node.id,
                        )
                    self._add_code(text)
        for entry in project_code or []:  # custom losses, metrics: pasted after the layers
            used |= _names(entry.source, None)
            self._add_code(entry.source)
        for name, imp in _PROVIDED.items():
            if name in used and imp not in self.imports:
                self.imports.append(imp)

    def _add_code(self, text: str) -> None:
        if text in self._texts:
            return
        self._texts.add(text)
        self._defined |= _top_level_names(text)
        body, imports, future = _hoist_imports(text)
        self.user_code.append(body)
        self.imports += [imp for imp in imports if imp not in self.imports]
        self.future |= future

    def bound_names(self) -> set[str]:
        """Names the pasted code binds, so generated variables avoid them."""
        return super().bound_names() | self._defined

    def definitions(self) -> list[list[str]]:
        """LayerLoom's own classes, then the user's code exactly as written."""
        return super().definitions() + [t.strip("\n").rstrip().splitlines() for t in self.user_code]


def code_layer_expr(owner: Any, spec: NodeSpec, objects: ObjectWriter) -> Expr:
    """`Scale(units=3, name="scale")` or `layers.Lambda(lambda x: x * 2, name="lam")`."""
    params = {**spec.defaults(), **owner.params}
    kwargs: list[tuple[str, Expr]] = []
    if spec.id == CUSTOM_LAYER_SPEC_ID:
        config = params.get("config") or {}
        func = str(params.get("class_name"))
        if not all(is_keyword_name(k) for k in config):
            return Atom(f"{func}(**{flat(literal(config))}, name={flat(literal(owner.name))})")
        kwargs += [(k, objects.value(v)) for k, v in config.items()]
        args: list[Expr] = []
    else:
        func = "layers.Lambda"
        expression = params.get("expression") or ""
        args = [Atom(f"lambda {lambda_param(expression)}: {_expression(expression)}")]
        if params.get("output_shape") is not None:
            kwargs.append(("output_shape", literal(params["output_shape"], tuples=True)))
    kwargs.append(("name", literal(owner.name)))
    if not owner.trainable:
        kwargs.append(("trainable", literal(False)))
    return Call(Atom(func), args, kwargs)


def _expression(text: str) -> str:
    """The expression as a lambda body: parenthesised where a bare one would change meaning."""
    body = text.strip()
    try:
        tree = ast.parse(body, mode="eval").body
    except SyntaxError:
        return f"({body})"
    if "\n" in body or isinstance(tree, ast.Tuple | ast.NamedExpr | ast.Lambda):
        return f"({body})"
    return body


def project_code_expr(entry: Any) -> Expr:
    """How compile takes a project code entry: `weighted_mse` (a function) or `RMSE()` (a class)."""
    try:
        tree = ast.parse(entry.source)
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    is_class = any(isinstance(n, ast.ClassDef) and n.name == entry.name for n in tree.body)
    return Atom(f"{entry.name}()" if is_class else entry.name)


def _names(text: str, spec: NodeSpec | None) -> set[str]:
    """Names the code reads (spec None: project code, a module)."""
    try:
        exec_mode = spec is None or spec.id == CUSTOM_LAYER_SPEC_ID
        tree = ast.parse(text, mode="exec" if exec_mode else "eval")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _hoist_imports(text: str) -> tuple[str, list[tuple[str, str | None, str | None]], set[str]]:
    """(the code without its top-level import statements, those imports, __future__ names).

    Only whole-line absolute imports move; a relative one, or one sharing a line with other
    code, stays where it is.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text, [], set()
    lines = text.splitlines()
    drop: set[int] = set()
    imports: list[tuple[str, str | None, str | None]] = []
    future: set[str] = set()
    statements = list(tree.body)
    for i, node in enumerate(statements):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom) and (node.level or node.module is None):
            continue
        span = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        neighbours = statements[max(i - 1, 0) : i] + statements[i + 1 : i + 2]
        if (
            any(n.lineno in span or (n.end_lineno or n.lineno) in span for n in neighbours)
            or lines[node.lineno - 1][: node.col_offset].strip()
        ):
            continue  # `import a; x = 1`: not a whole line
        drop.update(span)
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imports += [(str(node.module), a.name, a.asname) for a in node.names]
        else:
            imports += [(a.name, None, a.asname) for a in node.names]
    if not drop:
        return text, [], set()
    kept = [line for n, line in enumerate(lines, 1) if n not in drop]
    return "\n".join(kept) + "\n", imports, future


def _top_level_names(text: str) -> set[str]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            out.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return out
