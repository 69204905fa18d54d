"""Turns Keras exceptions into one plain sentence naming the layer, without traceback noise."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_BOLD_BLOCK = re.compile(r"\x1b\[1m(.*?)\x1b\[0m", re.S)
_MAX_LEN = 300

# Keras' input-spec messages, rewritten in plain words.
_RANK = re.compile(
    r"Input (\d+)(?: with name '[^']*')? of layer '[^']*' is incompatible with the layer: "
    r"expected (min_ndim|max_ndim|ndim)=(\d+), found ndim=(\d+)\. Full shape received: (.*)"
)
_AXIS = re.compile(
    r"Input (\d+)(?: with name '[^']*')? of layer '[^']*' is incompatible with the layer: "
    r"expected axis (-?\d+) of input shape to have value (\d+), but received input with shape (.*)"
)
_DTYPE = re.compile(
    r"Input (\d+)(?: with name '[^']*')? of layer '[^']*' is incompatible with the layer: (.*)"
)
# TensorFlow graph-op detail: " for '{{node add}} = AddV2[T=DT_FLOAT](x, y)'".
_TF_NODE = re.compile(r" for '\{\{node [^']*'")
_NOISE = (
    "Exception encountered when calling",
    "Arguments received by",
    "Error when deserializing class",
    "Traceback",
    "•",
)


def who(class_name: str, name: str) -> str:
    """How a message names a node: "Dense 'dense_2'"."""
    return f"{class_name} '{name}'"


def keras_message(exc: BaseException) -> str:
    """The first meaningful line of a Keras/TensorFlow exception, in plain words."""
    text = str(exc) or type(exc).__name__
    bold = _BOLD_BLOCK.search(text)
    if bold:
        text = bold.group(1)
    elif "Exception encountered:" in text:
        text = text.split("Exception encountered:", 1)[1]
    text = _ANSI.sub("", text)
    line = _first_line(text)
    line = _rewrite(line)
    if len(line) > _MAX_LEN:
        line = line[: _MAX_LEN - 3].rstrip() + "..."
    return line


def layer_error(class_name: str, name: str, exc: BaseException) -> str:
    """A plain one-liner such as: Dense 'dense_2': expected input rank >= 2, got shape (None,)."""
    return f"{who(class_name, name)}: {keras_message(exc)}"


def _first_line(text: str) -> str:
    for raw in text.splitlines():
        line = raw.strip()
        if not line or any(line.startswith(n) for n in _NOISE):
            continue
        return line
    return text.strip() or "unknown error"


def _rewrite(line: str) -> str:
    m = _RANK.search(line)
    if m:
        index, kind, want, _found, shape = m.groups()
        op = {"min_ndim": ">= ", "max_ndim": "<= ", "ndim": ""}[kind]
        return f"expected {_which(index)}rank {op}{want}, got shape {shape.rstrip('.')}"
    m = _AXIS.search(line)
    if m:
        index, axis, value, shape = m.groups()
        return (
            f"expected axis {axis} of {_which(index)}to have size {value}, "
            f"got shape {shape.rstrip('.')}"
        )
    m = _DTYPE.search(line)
    if m:
        index, rest = m.groups()
        return f"{_which(index)}is incompatible: {rest}"
    return _TF_NODE.sub("", line).rstrip()


def _which(index: str) -> str:
    return "input " if index == "0" else f"input {int(index) + 1} "
