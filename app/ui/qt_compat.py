"""Work-arounds for binding bugs of the installed Qt for Python, applied once when app.ui is imported.

PySide6 6.12.0 abi3 wheels on CPython 3.11 return None from void methods without taking a
reference to it, so each call (QPen.setWidth, QGraphicsItem.update, ...) drops one reference
to None; after some ten thousand calls CPython aborts with "none_dealloc: deallocating None".
From CPython 3.12 on None is immortal (PEP 683) and nothing needs doing.  On older versions we
give None a reference count so large that no session can exhaust it, which is what 3.12 does.
"""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 48


def guard_none_refcount() -> None:
    """Make None, True and False practically immortal on CPython < 3.12 (idempotent).

    True and False need it too: Signal.emit returns True without a reference, so every emit
    (one per training batch, say) drops one reference to True.
    """
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))
        if refcnt.value < _RESERVE // 2:
            refcnt.value += _RESERVE
