"""The Training form's lists of Keras names read Keras only once it is imported whole: while
the start-up import is under way (`app.keras_internals.import_keras` holds its lock), the
half-loaded `sys.modules["keras"]` is not read."""

from __future__ import annotations

import threading

import pytest

from app import keras_internals
from app.ui.training import catalog

pytest.importorskip("keras")


@pytest.fixture
def import_under_way(monkeypatch):
    """The state during the start-up import: `keras` is in sys.modules, the owner has not
    finished (no module handed out yet) and holds its lock."""
    import keras  # noqa: F401 - in sys.modules, as a half-done import puts it there

    monkeypatch.setattr(keras_internals, "_imported", None)
    held, release = threading.Event(), threading.Event()

    def importing() -> None:
        with keras_internals._import_lock:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=importing)
    thread.start()
    assert held.wait(10)
    yield
    release.set()
    thread.join(10)


def test_optimizer_params_come_from_keras_once_it_is_imported():
    params = catalog.optimizer_params("Adam")
    assert any(p.startswith("beta_1=") for p in params)
    assert catalog.refresh_from_keras()


def test_nothing_is_read_from_keras_while_it_is_being_imported(import_under_way):
    assert catalog.optimizer_params("Adam") == []
    assert not catalog.refresh_from_keras()
