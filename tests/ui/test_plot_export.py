"""File > Export > Training plots: every plot with data written as PNG, SVG or CSV files."""

from __future__ import annotations

import csv

from PySide6.QtWidgets import QFileDialog


def _feed_two_epochs(plots) -> None:
    """What a run's worker sends the plots: batches, then epoch logs (a real TrainingPlots)."""
    plots.reset(["digit"])
    for epoch in range(2):
        for batch in range(3):
            plots.add_batch(
                {"epoch": epoch, "batch": batch, "steps_per_epoch": 3, "lr": 0.001,
                 "logs": {"loss": 1.0 / (epoch * 3 + batch + 1)}}
            )  # fmt: skip
        plots.add_epoch(
            {"epoch": epoch, "logs": {"loss": 0.5 - epoch / 10, "accuracy": 0.6 + epoch / 10,
                                      "val_loss": 0.6 - epoch / 10}}
        )  # fmt: skip
    plots.finish()


def test_file_export_menu_offers_the_training_plots(window) -> None:
    texts = [a.text() for a in window.actions_.export_menu.actions()]
    for fmt in ("PNG", "SVG", "CSV"):
        assert f"Training plots as {fmt}…" in texts


def test_before_training_there_is_nothing_to_export(window, errors) -> None:
    window.export_plots_dialog("png")  # the Training tab was never built
    assert errors == [("No plots to export", "Train the model first: its plots are empty.")]


def test_training_plots_export_one_file_per_plot(window, tmp_path, monkeypatch, errors) -> None:
    window.open_example("digits_mlp")
    _feed_two_epochs(window.show_training_panel().plots)
    chosen = tmp_path / "plots" / "digits.csv"
    chosen.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a: (str(chosen), ""))
    window.actions_.export_plots[2].trigger()  # … as CSV
    names = sorted(p.name for p in chosen.parent.iterdir())
    assert names == [
        "digits_accuracy.csv",
        "digits_batch_loss.csv",
        "digits_learning_rate.csv",
        "digits_loss.csv",
    ]
    with open(chosen.parent / "digits_loss.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["series", "x", "y"]
    assert [r[0] for r in rows[1:]] == ["training", "training", "validation", "validation"]
    assert window.export_plots(tmp_path / "missing" / "run.png", "png") == []
    assert errors[-1] == (
        "Could not export the plots",
        f"The folder {tmp_path / 'missing'} does not exist.",
    )
    written = window.export_plots(tmp_path / "run.png", "png")
    assert len(written) == 4 and all(p.stat().st_size > 1000 for p in written)
    assert window.export_plots(tmp_path / "run.svg", "svg")[0].read_text().startswith("<?xml")
