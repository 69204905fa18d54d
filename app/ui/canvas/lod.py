"""Level of detail: how a node card reads when the canvas is zoomed out too far for its texts.

Below FULL_DETAIL a card is drawn as one box in its category colour with the layer's name
written at a fixed size on screen (wrapped at `_`, `-`, `.`, `/` and camelCase breaks, the
last line elided).  When the name does not fit whole, the layer's type does the talking if
*it* fits ("Conv", "BN", "ReLU", "Add": what a whole-model overview is read for, as in
Netron), elided if need be; else the elided name; when not even a few letters fit, the box
stays plain.  Inputs, outputs, blocks and custom layers are told apart only by their names
('text_body', 'title' and 'tags' are all "Input"), so they show the name, elided.  Fonts are
made for a few fixed zoom levels so a card's wrapped lines can be cached per level.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF, QGuiApplication

FULL_DETAIL = 0.35  # from this scale up a card shows all its texts
SCREEN_TEXT_PX = 9.0  # the overview name is at least this tall on screen
LEVELS = (0.35, 0.29, 0.24, 0.2, 0.165, 0.135, 0.11, 0.09)  # scales overview fonts are made for
TEXT_PAD = 6.0  # scene units between the box edge and the name
MIN_CHARS = 3  # fewer letters than this (before the ellipsis) and the box stays plain
ELLIPSIS = "…"
# Card types that say nothing about which one a card is: the name speaks, elided if need be.
NAMED_ONLY = frozenset({"Input", "InputLayer", "Block", "CustomLayer"})
# Short forms of long Keras class names for zoomed-out cards; other types show as they are.
SHORT_TYPES = {
    "BatchNormalization": "BN",
    "LayerNormalization": "LN",
    "GroupNormalization": "GN",
    "DepthwiseConv2D": "DW",
    "Conv2D": "Conv",
    "Conv1D": "Conv",
    "Conv3D": "Conv",
    "SeparableConv2D": "SepConv",
    "Conv2DTranspose": "ConvT",
    "ZeroPadding2D": "Pad",
    "GlobalAveragePooling2D": "GAP",
    "GlobalMaxPooling2D": "GMP",
    "AveragePooling2D": "AvgPool",
    "MaxPooling2D": "MaxPool",
    "Activation": "Act",
    "ReLU": "relu",  # narrower than "ReLU": fits the smallest readable card
    "Concatenate": "Concat",
    "MultiHeadAttention": "MHA",
    "InputLayer": "Input",
}
_BREAK = re.compile(r"(?<=[_\-./ ])|(?<=[a-z0-9])(?=[A-Z])")


def level_for(scale: float) -> int | None:
    """Index of the overview font level for a view scale below FULL_DETAIL (None: too small)."""
    for i, level in enumerate(LEVELS):
        if scale >= level * 0.999:
            return i
    return None


class OverviewFonts:
    """One bold font (and its metrics) per level, sized in scene units to read SCREEN_TEXT_PX."""

    def __init__(self) -> None:
        self._fonts: dict[int, tuple[QFont, QFontMetricsF]] = {}

    def get(self, level: int) -> tuple[QFont, QFontMetricsF]:
        found = self._fonts.get(level)
        if found is None:
            font = QFont(QGuiApplication.font().family())
            font.setBold(True)
            font.setPixelSize(max(1, round(SCREEN_TEXT_PX / LEVELS[level])))
            found = self._fonts[level] = (font, QFontMetricsF(font))
        return found


def wrap_name(name: str, metrics: QFontMetricsF, width: float, height: float) -> list[str]:
    """`name` in as many lines as fit `height`, broken at word-like parts, last line elided.

    Empty when fewer than MIN_CHARS letters would show.
    """
    max_lines = int(height // metrics.height())
    if max_lines < 1 or not name:
        return []
    parts = [p for p in _BREAK.split(name) if p]
    lines: list[str] = []
    i = 0
    while i < len(parts) and len(lines) < max_lines - 1:
        line = parts[i]
        i += 1
        while i < len(parts) and metrics.horizontalAdvance(line + parts[i]) <= width:
            line += parts[i]
            i += 1
        if metrics.horizontalAdvance(line) > width:  # one part wider than the box: the rest
            i -= 1  # goes to the last line, elided
            break
        lines.append(line)
    if i < len(parts):
        rest = "".join(parts[i:])
        last = metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)
        shown = last[:-1] if last.endswith(ELLIPSIS) and last != rest else last
        if last != rest and len(shown) < MIN_CHARS:  # a short name that fits is shown
            if not lines:
                return []
        else:
            lines.append(last)
    return lines


def overview_label(
    name: str,
    type_name: str,
    metrics: QFontMetricsF,
    width: float,
    height: float,
    named: bool = False,
) -> list[str]:
    """Lines for a zoomed-out card: the whole name if it fits, else the layer's (short) type,
    elided if need be, else the name elided (empty when not even a few letters fit). Cards whose
    type tells them apart from nothing (inputs, blocks, custom layers) and `named` ones (the
    model's outputs) always show the name."""
    lines = wrap_name(name, metrics, width, height)
    if lines and ("".join(lines) == name or named or type_name in NAMED_ONLY):
        return lines
    short = SHORT_TYPES.get(type_name, type_name)
    return wrap_name(short, metrics, width, min(height, metrics.height())) or lines
