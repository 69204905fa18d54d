"""A start refused because the project's code is untrusted: trusting it clears the refusal."""

from __future__ import annotations

import pytest

from app.compiler import custom_code as cc
from app.compiler.custom_code import HOW_TO_TRUST
from app.project.examples import example_path
from app.ui.window_parts import TRAINING_TAB

TIMEOUT_MS = 120_000


@pytest.fixture(autouse=True)
def _fresh_trust():
    cc.forget_trust()
    yield
    cc.forget_trust()


def test_trusting_the_code_clears_the_refusal_of_the_last_start(window, qtbot, errors):
    assert window.open_path(str(example_path("gan")))
    training = window.panels.show(TRAINING_TAB)
    training.show_error = lambda title, message: errors.append((title, message))
    assert training.start()
    qtbot.waitUntil(lambda: not training.is_running, timeout=TIMEOUT_MS)
    assert training.last_result["status"] == "failed"
    assert HOW_TO_TRUST in training.banner.text() and training.banner.isVisible()
    assert training.progress.format() == "Failed"
    window.trust_banner.trust_all()
    assert not training.banner.isVisible()
    assert training.progress.format() == "" and training.stats.text() == "Ready"
