"""The terminal progress bar of `layerloom train` shows what the batches report: the loss, or a
training step's own losses when it reports no "loss" (a GAN's d_loss and g_loss)."""

from __future__ import annotations

import io

from app.training.headless import TerminalProgress


def _batch(logs: dict) -> dict:
    return {
        "kind": "batch",
        "epoch": 0,
        "batch": 3,
        "steps_per_epoch": 4,
        "logs": logs,
        "samples_per_s": 120.0,
        "eta_s": 2.0,
    }


def test_a_step_without_a_loss_shows_its_own_losses():
    out = io.StringIO()
    bar = TerminalProgress(out)
    bar({"kind": "started", "epochs": 2})
    bar(_batch({"d_loss": 0.83, "g_loss": 0.77, "learning_rate": 0.001}))
    text = out.getvalue()
    assert "d_loss 0.8300  g_loss 0.7700" in text, text
    assert "nan" not in text and "learning_rate" not in text


def test_the_loss_is_shown_alone_when_there_is_one():
    out = io.StringIO()
    bar = TerminalProgress(out)
    bar({"kind": "started", "epochs": 2})
    bar(_batch({"loss": 0.5, "accuracy": 0.9}))
    text = out.getvalue()
    assert "loss 0.5000  120 samples/s" in text and "accuracy" not in text, text
