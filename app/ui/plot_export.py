"""File > Export > Training plots: every plot of the Training tab as PNG, SVG or CSV files.

Each plot card writes itself (PlotCard.export); this only names the files, one per plot, from
the name the user chose: <stem>_<plot>.<format>, e.g. digits_loss.png, digits_digit_accuracy.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.ui.training.plots import TrainingPlots

PLOT_FORMATS = ("png", "svg", "csv")


def plotted_cards(plots: TrainingPlots | None) -> dict:
    """The plot cards that hold data (key -> card); none before a first run."""
    if plots is None:
        return {}
    out = {}
    for key, card in plots.cards.items():
        xs = (item.getOriginalDataset()[0] for item in card.curves.values())
        if any(x is not None and len(x) for x in xs):
            out[key] = card
    return out


def plot_file(chosen: Path, key: str, fmt: str) -> Path:
    """The file of plot `key` for the name the user chose (its folder and stem)."""
    part = re.sub(r"[^A-Za-z0-9_.-]+", "_", key).strip("_") or "plot"
    return chosen.parent / f"{chosen.stem}_{part}.{fmt}"


def export_training_plots(plots: TrainingPlots | None, chosen: Path, fmt: str) -> list[Path]:
    """Write every plot with data next to `chosen`; returns the files written (in plot order)."""
    if fmt not in PLOT_FORMATS:
        raise ValueError(f"Plots export as {', '.join(PLOT_FORMATS)}, not {fmt}.")
    if not chosen.parent.is_dir():
        raise OSError(f"The folder {chosen.parent} does not exist.")
    written = []
    for key, card in plotted_cards(plots).items():
        path = card.export(plot_file(chosen, key, fmt))
        if not path.is_file():  # Qt's image writer fails without raising
            raise OSError(f"{path.name} could not be written in {path.parent}.")
        written.append(path)
    return written
