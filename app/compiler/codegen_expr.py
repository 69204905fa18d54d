"""Python expressions for generated scripts: a tiny tree that renders one line or wraps at 100."""

from __future__ import annotations

import builtins
import keyword
import re
from dataclasses import dataclass, field

LINE_WIDTH = 100
INDENT = "    "


@dataclass
class Atom:
    """Source text that is never broken (a name, a number, a string literal)."""

    text: str


@dataclass
class Call:
    """`func(args..., key=value...)`; `func` may itself be a call (layer(...)(x))."""

    func: Expr
    args: list[Expr] = field(default_factory=list)
    kwargs: list[tuple[str, Expr]] = field(default_factory=list)


@dataclass
class Seq:
    """A list or tuple display."""

    items: list[Expr]
    tuple_: bool = False


@dataclass
class DictDisplay:
    """A dict display with expression keys."""

    items: list[tuple[Expr, Expr]]


Expr = Atom | Call | Seq | DictDisplay


def py_str(text: str) -> str:
    """A string literal, double-quoted when that needs no escaping (the style of the seeds)."""
    r = repr(text)
    if r.startswith("'") and '"' not in text:
        r = '"' + r[1:-1] + '"'
    return r


def literal(value: object, tuples: bool = False) -> Expr:
    """An expression for a plain JSON-like value; lists become tuples when `tuples` is set."""
    if value is None or isinstance(value, bool | int | float):
        return Atom(repr(value))
    if isinstance(value, str):
        return Atom(py_str(value))
    if isinstance(value, list | tuple):
        return Seq([literal(v, tuples) for v in value], tuple_=tuples or isinstance(value, tuple))
    if isinstance(value, dict):
        return DictDisplay([(literal(k), literal(v, tuples)) for k, v in value.items()])
    raise TypeError(f"cannot write {type(value).__name__} as a Python literal")


def flat(e: Expr) -> str:
    """The expression on one line."""
    if isinstance(e, Atom):
        return e.text
    if isinstance(e, Call):
        parts = [flat(a) for a in e.args] + [f"{k}={flat(v)}" for k, v in e.kwargs]
        return f"{flat(e.func)}({', '.join(parts)})"
    if isinstance(e, Seq):
        inner = ", ".join(flat(i) for i in e.items)
        if e.tuple_:
            return f"({inner},)" if len(e.items) == 1 else f"({inner})"
        return f"[{inner}]"
    return "{" + ", ".join(f"{flat(k)}: {flat(v)}" for k, v in e.items) + "}"


def render(e: Expr, indent: str = "", prefix: str = "", suffix: str = "") -> list[str]:
    """Lines of `indent + prefix + e + suffix`, wrapped black-style when longer than the width."""
    line = f"{indent}{prefix}{flat(e)}{suffix}"
    if len(line) <= LINE_WIDTH or isinstance(e, Atom):
        return [line]
    inner = indent + INDENT
    if isinstance(e, Call):
        if isinstance(e.func, Call) and _fits_tail(e, indent, suffix):
            # layers.Dense(...)(x): break the constructor, keep the call arguments on its last line.
            tail = flat(Call(Atom(""), e.args, e.kwargs)) + suffix
            return render(e.func, indent, prefix, tail)
        head = f"{indent}{prefix}{flat(e.func)}("
        items = [("", a) for a in e.args] + [(f"{k}=", v) for k, v in e.kwargs]
        return _wrapped(head, items, f"{indent}){suffix}", inner)
    if isinstance(e, Seq):
        opener, closer = ("(", ")") if e.tuple_ else ("[", "]")
        items = [("", v) for v in e.items]
        one = len(e.items) == 1 and e.tuple_  # a 1-tuple keeps its comma
        return _wrapped(f"{indent}{prefix}{opener}", items, f"{indent}{closer}{suffix}", inner, one)
    items = [(f"{flat(k)}: ", v) for k, v in e.items]
    return _wrapped(f"{indent}{prefix}{{", items, f"{indent}}}{suffix}", inner)


def _wrapped(
    head: str, items: list[tuple[str, Expr]], tail: str, inner: str, keep_comma: bool = False
) -> list[str]:
    """Items on one indented line if they fit (black's hug), else one per line with commas."""
    joined = inner + ", ".join(f"{p}{flat(v)}" for p, v in items) + ("," if keep_comma else "")
    if len(joined) <= LINE_WIDTH:
        return [head, joined, tail]
    body = [ln for p, v in items for ln in render(v, inner, p, ",")]
    return [head, *body, tail]


def _fits_tail(e: Call, indent: str, suffix: str) -> bool:
    tail = flat(Call(Atom(""), e.args, e.kwargs)) + suffix
    return len(indent) + 1 + len(tail) <= LINE_WIDTH


_RESERVED = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))


def identifier(name: str) -> str:
    """A Python identifier close to a layer name: "dense-1.a" -> "dense_1_a", "lambda" -> "lambda_".

    Keywords and builtins get a trailing "_" (a variable "len" would break pasted layer code).
    """
    ident = re.sub(r"\W", "_", name) or "x"
    if ident[0].isdigit():
        ident = "_" + ident
    if ident in _RESERVED:
        ident += "_"
    return ident


class Names:
    """Hands out unique identifiers in one scope; `taken` holds names the scope must not reuse."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = set(taken or ())

    def new(self, base: str) -> str:
        """A fresh identifier derived from `base` (base, base_1, base_2, ...)."""
        ident = identifier(base)
        name, i = ident, 1
        while name in self.taken:
            name = f"{ident}_{i}"
            i += 1
        self.taken.add(name)
        return name
