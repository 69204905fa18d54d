"""Closing the window while training runs: training holds while the question is open, goes on
after Cancel, and stops in order (recorded as stopped) after yes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.project.examples import example_path

pytest.importorskip("keras")

RUN_TIMEOUT = 90_000


def test_training_holds_while_close_asks_resumes_on_cancel_and_stops_on_yes(qtbot, window):
    assert window.open_path(example_path("digits_mlp"), origin="example")
    panel = window.show_training_panel()
    data = panel.document.project.data
    panel.document.project.data = type(data).from_dict({**data.to_dict(), "max_samples": 1000})
    panel.form.batch_size.setValue(8)
    panel.form.epochs.setValue(40)
    batches = []
    panel.batch_received.connect(batches.append)
    assert panel.start()
    qtbot.waitUntil(lambda: len(batches) > 0, timeout=RUN_TIMEOUT)
    held = {}

    def cancel(title, question):  # the dialog is open: its event loop runs, training must not
        qtbot.waitUntil(lambda: panel.stats.text().startswith("Paused"), timeout=20_000)
        qtbot.wait(300)  # batches finished before the pause reach the panel
        n = len(batches)
        qtbot.wait(500)
        held["batches_while_asking"] = len(batches) - n
        return False

    panel.ask = cancel
    window.close()
    assert window.isVisible() and panel.is_running
    assert held["batches_while_asking"] == 0
    n = len(batches)
    qtbot.waitUntil(lambda: len(batches) > n, timeout=RUN_TIMEOUT)  # Cancel: it trains on
    assert panel.pause_btn.isVisible() and not panel.resume_btn.isVisible()

    panel.ask = lambda title, question: True
    window.close()
    assert not window.isVisible() and not panel.is_running
    result = panel.last_result
    assert result["status"] == "stopped", result
    folder = Path(result["record"]["path"])
    on_disk = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert on_disk["status"] == "stopped" and on_disk["epochs_done"] < 40


def test_a_paused_training_stays_paused_after_cancel(qtbot, window):
    assert window.open_path(example_path("digits_mlp"), origin="example")
    panel = window.show_training_panel()
    data = panel.document.project.data
    panel.document.project.data = type(data).from_dict({**data.to_dict(), "max_samples": 1000})
    panel.form.batch_size.setValue(8)
    panel.form.epochs.setValue(40)
    assert panel.start()
    panel.pause()
    qtbot.waitUntil(lambda: panel.stats.text().startswith("Paused"), timeout=RUN_TIMEOUT)
    panel.ask = lambda title, question: False
    window.close()
    assert panel.is_running and panel.worker.hooks.control.paused
    assert panel.resume_btn.isVisible()
    panel.ask = lambda title, question: True
    window.close()
    assert not panel.is_running and panel.last_result["status"] == "stopped"
